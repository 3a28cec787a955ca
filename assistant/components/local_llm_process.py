"""``assistant llm serve`` as a child process, for ``assistant serve --local-llm`` and tests.

``running_local_server`` starts the same command a user runs, waits until its ``/health``
answers and stops it on exit; on Linux the child also gets SIGTERM if this process dies,
so no model server (2 GB, two busy cores) is left behind.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.components.local_llm import MODEL_NAME, LocalModelError, require_model
from assistant.settings import Settings

_STARTUP_TIMEOUT_S = 180.0


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LocalServerProcess:
    """A running ``assistant llm serve`` child: its base URL, model name, log and pid."""

    base_url: str
    model: str
    log_path: Path
    pid: int


@contextmanager
def running_local_server(
    settings: Settings, port: int, log_path: Path, timeout_s: float = _STARTUP_TIMEOUT_S
) -> Iterator[LocalServerProcess]:
    """Run ``assistant llm serve --port PORT`` as a child, yield once it answers, stop it.

    The child gets this process's environment and the settings' model folder, threads and
    context size. Raises ``LocalModelError`` with the log's tail if the child exits or does
    not answer ``GET /health`` within ``timeout_s``.
    """
    import subprocess

    gguf = require_model(settings)
    command = [sys.executable, "-m", "assistant.cli", "llm", "serve", "--port", str(port)]
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ASSISTANT_LLM__MODEL_DIR": str(gguf.parent),
        "ASSISTANT_LLM__LOCAL_THREADS": str(settings.llm.local_threads),
        # its own count, not the one this process set for its small passes (threads.py)
        "OMP_NUM_THREADS": str(settings.llm.local_threads),
        "ASSISTANT_LLM__LOCAL_CTX": str(settings.llm.local_ctx),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_stop_with_parent if sys.platform == "linux" else None,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_healthy(child, f"http://127.0.0.1:{port}/health", log_path, timeout_s)
        yield LocalServerProcess(base_url, MODEL_NAME, log_path, child.pid)
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=15)


def _stop_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the parent dies, so no server is orphaned."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _wait_until_healthy(child: Any, health_url: str, log_path: Path, timeout_s: float) -> None:
    """Poll ``health_url`` until it answers 200; raise ``LocalModelError`` if it never does."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        code = child.poll()
        if code is not None:
            raise LocalModelError(
                f"The local model server exited with code {code} before answering. "
                f"Log {log_path}:\n{_log_tail(log_path)}"
            )
        try:
            if httpx.get(health_url, timeout=2.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise LocalModelError(
                f"The local model server did not answer {health_url} within {timeout_s:g} s. "
                f"Log {log_path}:\n{_log_tail(log_path)}"
            )
        time.sleep(0.25)


def _log_tail(log_path: Path, chars: int = 4000) -> str:
    """The end of a log file."""
    try:
        return log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError as exc:
        return f"(no log: {exc})"
