"""`assistant eval --baselines`: the simpler configurations run beside the full pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.index.store import read_manifest


@pytest.mark.slow
def test_baselines_run_side_by_side_with_their_own_chunks(
    cli_env: None,
    index_copy: Path,
    small_set: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "reports"
    args = ["--set", str(small_set), "--index", str(index_copy), "--out", str(out)]
    assert main(["eval", "--baselines", "--limit", "3", *args]) == 0
    report = json.loads(next(out.glob("*/report.json")).read_text(encoding="utf-8"))
    runs = report["runs"]
    assert list(runs) == ["fixed-chunks", "bm25-only", "dense-only", "full"]
    assert runs["bm25-only"]["settings"]["retrieval"]["mode"] == "bm25"
    assert runs["dense-only"]["settings"]["retrieval"]["mode"] == "dense"
    assert runs["full"]["settings"]["retrieval"]["mode"] == "hybrid"
    assert all(r["metrics"]["all"]["items"] == 3 for r in runs.values())

    fixed_index = index_copy / "baselines" / "fixed-chunks"
    assert runs["fixed-chunks"]["settings"]["index"]["dir"] == str(fixed_index)
    assert read_manifest(fixed_index)["chunking"]["structure"] is False
    assert read_manifest(index_copy)["chunking"]["structure"] is True
    assert (
        read_manifest(fixed_index)["counts"]["chunks"]
        != read_manifest(index_copy)["counts"]["chunks"]
    )

    folder = next(out.iterdir())
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "| metric               | fixed-chunks | bm25-only | dense-only | full" in markdown
    assert (folder / "baselines.png").stat().st_size > 0
    assert "Configurations side by side" in capsys.readouterr().out
