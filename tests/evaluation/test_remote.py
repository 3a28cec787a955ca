"""`assistant eval --url`: the same items scored through a running server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.remote import AskClient, ServerError, run_remote
from assistant.evaluation.runner import run
from assistant.launcher import Services
from tests.evaluation.conftest import STUB_KEY

SCORED = (
    "answer",
    "abstained",
    "facts_missing",
    "gold_rank",
    "citations_verbatim",
    "citation_correct",
    "retrieved",
)


@pytest.mark.slow
def test_server_answers_score_the_same_as_in_process(
    services: Services, stub_server: str, small_set: Path
) -> None:
    items = load_question_set(small_set).items
    local = run(services.answers, items)
    remote = run_remote(AskClient(stub_server, STUB_KEY), items, services.index.documents)
    assert [r.id for r in remote] == [r.id for r in local]
    for here, there in zip(local, remote, strict=True):
        assert {k: getattr(there, k) for k in SCORED} == {k: getattr(here, k) for k in SCORED}
        assert there.latency_ms > 0
    assert any(r.abstained for r in remote)
    assert any(r.gold_rank == 1 for r in remote)


@pytest.mark.slow
def test_eval_with_url_writes_a_report_of_the_server(
    eval_env: Path, stub_server: str, small_set: Path, tmp_path: Path
) -> None:
    args = ["eval", "--url", stub_server, "--api-key", STUB_KEY, "--set", str(small_set)]
    assert main([*args, "--out", str(tmp_path), "--limit", "2"]) == 0
    report_file = next(tmp_path.glob("*/report.json"))
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["url"] == stub_server
    assert report["runs"]["full"]["metrics"]["all"]["items"] == 2
    assert report["runs"]["full"]["metrics"]["all"]["hit@1"] == 1.0


def test_a_wrong_key_is_reported_with_the_status(
    eval_env: Path,
    stub_server: str,
    small_set: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["eval", "--url", stub_server, "--api-key", "wrong", "--set", str(small_set)]
    assert main([*args, "--out", str(tmp_path), "--limit", "1"]) == 2
    assert "/v1/ask answered 401" in capsys.readouterr().err
    assert not list(tmp_path.glob("*/report.json"))


def test_an_unreachable_server_is_a_server_error() -> None:
    from tests.support.llm_server import free_loopback_port

    client = AskClient(f"http://127.0.0.1:{free_loopback_port()}", timeout_s=5)
    with pytest.raises(ServerError, match="Cannot reach"):
        client.search("HPV")


def test_baselines_cannot_run_against_a_server(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--url", "http://127.0.0.1:9", "--baselines"]) == 2
    assert "cannot be combined with --url" in capsys.readouterr().err
