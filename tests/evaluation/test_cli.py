"""`assistant eval` on real services: reports, comparison, config overrides and the gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from assistant.evaluation.baselines import ConfigError, with_overrides
from assistant.settings import Settings

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _eval(*args: str | Path) -> int:
    return main(["eval", *map(str, args)])


def _only_report(out: Path) -> tuple[Path, dict[str, Any]]:
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    folder = folders[-1]
    return folder, json.loads((folder / "report.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_run_writes_json_markdown_and_plots(
    eval_env: Path, small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    assert _eval("--set", small_set, "--out", out) == 0
    captured = capsys.readouterr()
    folder, report = _only_report(out)
    assert f"Report: {folder / 'report.md'}" in captured.out
    assert "| hit@5" in captured.out
    assert "heldout" in captured.out
    assert "full" in captured.err  # the progress bar

    run = report["runs"]["full"]
    assert set(run["metrics"]) == {"all", "dev", "heldout"}
    assert run["metrics"]["all"]["items"] == 5
    assert run["metrics"]["all"]["citation_validity"] == 1.0
    assert run["metrics"]["all"]["abstention_recall"] is not None
    assert set(run["breakdown"]) == {"category", "language", "document"}
    assert set(run["breakdown"]["language"]) == {"nb", "en"}
    items = {i["id"]: i for i in run["items"]}
    assert items["conv-prostata"]["question"].count(" / ") == 1
    assert all(i["latency_ms"] > 0 for i in items.values())
    assert run["settings"]["retrieval"]["mode"] == "hybrid"
    assert report["git"] is None or len(report["git"]["commit"]) == 40

    markdown = (folder / "report.md").read_text(encoding="utf-8")
    for heading in ("## Results (full)", "### By category", "### By document", "## Failures"):
        assert heading in markdown
    for name in ("by_category.png", "latency.png"):
        assert (folder / name).read_bytes()[:8] == PNG_MAGIC
    assert not (folder / "comparison.png").exists()

    # A second run compares itself with the first.
    assert _eval("--set", small_set, "--out", out, "--split", "all") == 0
    second, again = _only_report(out)
    assert second != folder
    assert again["compared_with"] == str(folder)
    assert (second / "comparison.png").read_bytes()[:8] == PNG_MAGIC
    assert f"## Compared with {folder}" in (second / "report.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_failures_are_listed_with_question_answer_facts_and_retrieval(
    eval_env: Path, small_set: Path, tmp_path: Path
) -> None:
    config = tmp_path / "weak.toml"
    config.write_text("[answer]\nabstain_threshold = 1.0\n", encoding="utf-8")  # abstain always
    out = tmp_path / "reports"
    assert _eval("--set", small_set, "--out", out, "--config", config, "--split", "dev") == 0
    folder, report = _only_report(out)
    run = report["runs"]["full"]
    assert run["settings"]["answer"]["abstain_threshold"] == 1.0
    assert report["overrides"] == {"answer": {"abstain_threshold": 1.0}}
    assert set(run["metrics"]) == {"all", "dev"}
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    failure = markdown.split("### tm02-hpv (dev, tiarsmal, nb): abstained")[1]
    assert "**Question:** Hvilket tiårsmål dekker eliminering av HPV?" in failure
    assert "**Answer:** Jeg finner ikke svar" in failure
    assert "**Missing facts:** Tiårsmål 2 / tiårsmål nr. 2; livmorhalskreft" in failure
    assert "**Retrieved:** 1. `strategi-2025-2035:" in failure


@pytest.mark.slow
def test_gate_fails_naming_the_metric_below_its_threshold(
    eval_env: Path, small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small_set.with_suffix(".gate.toml").write_text(
        '[thresholds]\ncitation_validity = 1.0\n"hit@5" = 1.01\n', encoding="utf-8"
    )
    out = tmp_path / "reports"
    assert _eval("--set", small_set, "--out", out, "--gate", "--limit", "2") == 1
    err = capsys.readouterr().err
    assert "Gate failed: hit@5 = 1 < 1.01" in err
    assert "citation_validity" not in err.split("Gate failed:")[1]
    _, report = _only_report(out)
    assert report["gate"]["failures"] == ["hit@5 = 1 < 1.01"]


@pytest.mark.slow
def test_gate_passes_when_thresholds_are_met(
    eval_env: Path, small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small_set.with_suffix(".gate.toml").write_text(
        '[thresholds]\ncitation_validity = 1.0\n"hit@5" = 0.5\n', encoding="utf-8"
    )
    assert _eval("--set", small_set, "--out", tmp_path, "--gate", "--limit", "2") == 0
    assert "Gate passed." in capsys.readouterr().out


def test_gate_without_thresholds_is_an_error(
    eval_env: Path, small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval("--set", small_set, "--out", tmp_path, "--gate", "--limit", "1") == 2
    assert "--gate needs thresholds in" in capsys.readouterr().err


def test_a_bad_set_or_config_is_reported_in_one_line(
    eval_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_set = tmp_path / "bad.yaml"
    bad_set.write_text("items:\n  - id: Bad Id\n", encoding="utf-8")
    assert _eval("--set", bad_set, "--out", tmp_path) == 2
    assert "item 'Bad Id': 'id' must be lower-case" in capsys.readouterr().err
    config = tmp_path / "typo.toml"
    config.write_text('[retrieval]\nmod = "bm25"\n', encoding="utf-8")
    assert _eval("--config", config, "--out", tmp_path) == 2
    assert "Unknown setting 'retrieval.mod'" in capsys.readouterr().err
    assert _eval("--compare", tmp_path / "nowhere", "--out", tmp_path) == 2
    assert "nowhere: not a readable report" in capsys.readouterr().err


def test_overrides_are_validated_and_leave_the_base_unchanged() -> None:
    base = Settings()
    changed = with_overrides(base, {"retrieval": {"mode": "dense", "rrf_k": 30}})
    assert (changed.retrieval.mode, changed.retrieval.rrf_k) == ("dense", 30)
    assert (base.retrieval.mode, base.retrieval.rrf_k) == ("hybrid", 10)
    with pytest.raises(ConfigError, match="Unknown settings section 'retreival'"):
        with_overrides(base, {"retreival": {"mode": "dense"}})
    with pytest.raises(ConfigError, match=r"retrieval\.mode"):
        with_overrides(base, {"retrieval": {"mode": "fuzzy"}})


@pytest.mark.slow
def test_tiers_are_reported_side_by_side(
    eval_env: Path, small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    assert _eval("--set", small_set, "--out", out, "--tiers", "extractive", "--sample", "3") == 0
    captured = capsys.readouterr()
    assert "Tiers side by side (all):" in captured.out
    assert "| false_abstention" in captured.out
    folder, report = _only_report(out)
    assert report["mode"] == "tiers extractive"
    assert report["sample"] == 3
    assert report["primary"] == "extractive"
    run = report["runs"]["extractive"]
    assert run["metrics"]["all"]["items"] == 3
    assert run["settings"]["answer"] == {**run["settings"]["answer"], "mode": "extractive"}
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "## Tiers side by side" in markdown
    assert "3 items spread over the split" in markdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tiers", "extractive,writer"], "Unknown tier(s) writer"),
        (["--tiers", ""], "--tiers takes a comma-separated list"),
        (["--tiers", "extractive", "--mode", "llm"], "leave out --mode"),
        (["--tiers", "judge", "--url", "http://127.0.0.1:9"], "leave out --mode"),
        (["--sample", "0"], "--sample must be at least 1"),
    ],
)
def test_bad_tier_arguments_are_one_clear_line(
    cli_env: None, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(*args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.slow
def test_llm_tiers_without_an_endpoint_say_what_to_set(
    eval_env: Path, small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    assert _eval("--set", small_set, "--out", out, "--tiers", "extractive,judge") == 2
    captured = capsys.readouterr()
    assert "ASSISTANT_LLM__BASE_URL" in captured.err
    assert "extractive:" not in captured.err  # refused before any tier ran
    assert not out.exists()
