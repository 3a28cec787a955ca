"""Two `assistant serve` processes on two loopback ports and one PostgreSQL: one truth."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import psycopg
import pytest

from assistant.index.pg_store import publish_build
from assistant.index.store import current_build
from tests.conftest import BuiltIndex
from tests.support.llm_server import free_loopback_port

pytestmark = pytest.mark.slow  # two servers, each loading the model and the index

PER_MINUTE = 4


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATABASE__URL=database_url,
        ASSISTANT_DATABASE__POLL_S="0.5",
        ASSISTANT_SERVER__OPEN_ACCESS="false",
        ASSISTANT_SERVER__RATE_LIMIT_PER_MINUTE=str(PER_MINUTE),
    )
    return env


def _assistant(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def replicas(
    database_url: str, built_index: BuiltIndex, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two servers (A, B) on their own ports, index folders and data folders."""
    publish_build(database_url, current_build(built_index.dir))
    env = _env(database_url)
    processes, urls = [], []
    with ExitStack() as logs:
        yield from _serve_two(env, tmp_path, logs, processes, urls)


def _serve_two(
    env: dict[str, str],
    tmp_path: Path,
    logs: ExitStack,
    processes: list[subprocess.Popen[bytes]],
    urls: list[str],
) -> Iterator[tuple[str, str]]:
    for name in ("a", "b"):
        port = free_loopback_port()
        log = logs.enter_context((tmp_path / f"{name}.log").open("wb"))
        command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
        command += ["--index", str(tmp_path / name / "index")]
        command += ["--data-dir", str(tmp_path / name / "data")]
        processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for process, url, name in zip(processes, urls, "ab", strict=True):
            _wait_ready(url, process, tmp_path / f"{name}.log")
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never became ready: {log.read_text(errors='replace')[-3000:]}")


def test_two_replicas_share_conversations_keys_limits_and_builds(
    replicas: tuple[str, str], database_url: str, built_index: BuiltIndex, tmp_path: Path
) -> None:
    a, b = replicas
    env = _env(database_url)
    key = _assistant(env, "keys", "create", "--name", "partner")
    auth = {"Authorization": f"Bearer {key}"}

    # a conversation started on A is continued on B
    first = httpx.post(f"{a}/v1/ask", json={"question": "Hva er tiårsmål 2?"}, headers=auth)
    assert first.status_code == 200, first.text
    cid = first.json()["conversation_id"]
    follow = httpx.post(
        f"{b}/v1/ask",
        json={"question": "Hvem har ansvaret for det?", "conversation_id": cid},
        headers=auth,
        timeout=60,
    )
    assert follow.status_code == 200, follow.text
    assert follow.json()["conversation_id"] == cid
    with psycopg.connect(database_url) as db:
        [(turns,)] = db.execute("SELECT turns FROM conversations WHERE id = %s", (cid,))
    assert [t["content"] for t in turns if t["role"] == "user"] == [
        "Hva er tiårsmål 2?",
        "Hvem har ansvaret for det?",
    ]

    # the per-key limit holds across both: together they allow PER_MINUTE (+ refill)
    limited = {"Authorization": f"Bearer {_assistant(env, 'keys', 'create', '--name', 'lim')}"}
    began = time.monotonic()
    statuses = [
        httpx.get(f"{url}/v1/goals", headers=limited, timeout=30).status_code
        for url in [a, b] * PER_MINUTE
    ]
    refilled = (time.monotonic() - began) * PER_MINUTE / 60
    assert set(statuses) == {200, 429}, statuses
    assert PER_MINUTE <= statuses.count(200) <= PER_MINUTE + refilled, statuses
    assert 429 in statuses[0::2] or 429 in statuses[1::2]

    # a key revoked with `assistant keys revoke` is refused by both at once
    _assistant(env, "keys", "revoke", "partner")
    for url in (a, b):
        refused = httpx.get(f"{url}/v1/goals", headers=auth, timeout=30)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "invalid_api_key"

    # a build made current elsewhere is taken up by both without a restart
    again = shutil.copytree(current_build(built_index.dir), tmp_path / "20990101-rebuilt")
    new = publish_build(database_url, again)
    deadline = time.monotonic() + 120
    serving = {}
    while time.monotonic() < deadline:
        serving = {url: httpx.get(f"{url}/readyz", timeout=10).json()["build"] for url in (a, b)}
        if set(serving.values()) == {new}:
            break
        time.sleep(0.5)
    assert set(serving.values()) == {new}, serving
