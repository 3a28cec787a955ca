"""Two `assistant serve` processes on two loopback ports and one PostgreSQL: one truth."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from assistant.index.pg_store import publish_build
from assistant.index.store import current_build
from tests.conftest import BuiltIndex
from tests.support.replicas import assistant_env, run_assistant, serving

pytestmark = pytest.mark.slow  # two servers, each loading the model and the index

PER_MINUTE = 4


def _env(database_url: str) -> dict[str, str]:
    return assistant_env(
        database_url,
        DATABASE__POLL_S="0.5",
        SERVER__OPEN_ACCESS="false",
        SERVER__RATE_LIMIT_PER_MINUTE=str(PER_MINUTE),
    )


@pytest.fixture
def replicas(
    database_url: str, built_index: BuiltIndex, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two servers (A, B) on their own ports, index folders and data folders."""
    publish_build(database_url, current_build(built_index.dir))
    with serving(_env(database_url), tmp_path, ("a", "b")) as (a, b):
        yield a.url, b.url


def test_two_replicas_share_conversations_keys_limits_and_builds(
    replicas: tuple[str, str], database_url: str, built_index: BuiltIndex, tmp_path: Path
) -> None:
    a, b = replicas
    env = _env(database_url)
    key = run_assistant(env, "keys", "create", "--name", "partner")
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
    limited = {"Authorization": f"Bearer {run_assistant(env, 'keys', 'create', '--name', 'lim')}"}
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
    run_assistant(env, "keys", "revoke", "partner")
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
