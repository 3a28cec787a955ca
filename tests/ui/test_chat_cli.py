"""``assistant feedback export`` and ``assistant ui`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from assistant.cli import build_parser, main
from assistant.stores.feedback import Feedback, FeedbackStore


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    store = FeedbackStore.in_folder(tmp_path)
    store.add(Feedback("up", "Hva er tiårsmål 2?", "Tiårsmål 2 [1]", [{"n": 1}], "Bra"))
    store.add(Feedback("down", "Hva koster pizza?", "Jeg finner ikke svar.", [], abstained=True))
    return tmp_path


@pytest.mark.usefixtures("cli_env")
def test_export_writes_csv_to_standard_output(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feedback", "export", "--data-dir", str(stored)]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["rating"], r["comment"]) for r in rows] == [("up", "Bra"), ("down", "")]
    assert "Exported 2 feedback row(s) as csv" in err


@pytest.mark.usefixtures("cli_env")
def test_export_writes_jsonl_to_a_file_chosen_by_its_suffix(stored: Path, tmp_path: Path) -> None:
    target = tmp_path / "feedback.jsonl"
    assert main(["feedback", "export", "--data-dir", str(stored), "--output", str(target)]) == 0
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["question"] for line in lines] == ["Hva er tiårsmål 2?", "Hva koster pizza?"]
    assert lines[1]["abstained"] is True


def test_export_reads_the_data_dir_from_settings(
    stored: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_env: None,
) -> None:
    monkeypatch.setenv("ASSISTANT_SERVER__DATA_DIR", str(stored))
    assert main(["feedback", "export", "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


@pytest.mark.usefixtures("cli_env")
def test_export_of_an_empty_store_is_an_empty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feedback", "export", "--data-dir", str(tmp_path / "none")]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("id,created_at")
    assert len(out.splitlines()) == 1
    assert "Exported 0" in err


def test_ui_command_is_registered_with_host_and_port() -> None:
    args = build_parser().parse_args(["ui", "--host", "127.0.0.1", "--port", "8123"])
    assert (args.host, args.port) == ("127.0.0.1", 8123)
    assert args.func.__module__ == "ui.cli"
