"""The ``assistant`` command's own checks: arguments it refuses and where it looks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("k", ["0", "-3", "fem"])
def test_search_refuses_a_k_below_one_instead_of_ignoring_it(
    k: str, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["search", "HPV", "-k", k])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "argument -k" in err
    assert ("must be at least 1" in err) or ("is not a whole number" in err)


@pytest.mark.slow
def test_run_from_another_folder_it_names_the_full_path_and_how_to_point_elsewhere(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "search", "HPV"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"assistant: No index found in {tmp_path.resolve() / 'index'}. Run `assistant ingest` "
        "to build it, or point to another index folder with --index or ASSISTANT_INDEX__DIR."
    ]
