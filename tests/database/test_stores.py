"""Keys, feedback, conversations and rate limits in a real PostgreSQL: the same behaviour
as the single-machine stores, shared by every process that uses the database."""

from __future__ import annotations

import io
import json

import pytest

from assistant.answer.models import Turn
from assistant.components.database import Database
from assistant.database import conversation_store, feedback_store, key_store, rate_limiter
from assistant.database.conversations import PostgresConversationStore
from assistant.settings import DatabaseSettings, Settings
from assistant.stores.feedback import Feedback, FeedbackError
from assistant.stores.keys import KeyStoreError, KeyStoreUnavailableError

pytestmark = pytest.mark.slow  # starts a PostgreSQL server (a few seconds, once)


def _settings(url: str) -> Settings:
    return Settings(database=DatabaseSettings(url=url))


def test_without_a_url_nothing_changes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    settings.server.data_dir = tmp_path
    assert type(key_store(settings)).__name__ == "KeyStore"
    assert type(feedback_store(settings)).__name__ == "FeedbackStore"
    assert type(conversation_store(settings)).__name__ == "ConversationStore"  # in memory
    assert type(rate_limiter(settings, 5, "requests")).__name__ == "RateLimiter"


def test_a_key_revoked_anywhere_is_refused_everywhere(database_url: str) -> None:
    one, other = key_store(_settings(database_url)), key_store(_settings(database_url))
    key = one.create("helse-bergen")
    assert other.verify(key) is not None
    assert other.verify(key + "x") is None
    with pytest.raises(KeyStoreError, match="exists"):
        other.create("helse-bergen")
    other.revoke("helse-bergen")
    assert one.verify(key) is None
    match = one.match(key)
    assert match is not None
    assert match.revoked_at
    with pytest.raises(KeyStoreError, match="No active key"):
        one.revoke("helse-bergen")
    assert [k.name for k in one.list_keys()] == ["helse-bergen"]


def test_feedback_from_two_stores_lands_in_one_table(database_url: str) -> None:
    one, other = feedback_store(_settings(database_url)), feedback_store(_settings(database_url))
    first = one.add(Feedback("up", "Hva er tiårsmål 1?", "Tiårsmål 1 …", [{"n": 1, "quote": "…"}]))
    second = other.add(Feedback("down", "Hvem?", "Vet ikke", comment="=HYPERLINK(1)"))
    other.update(first, comment="bra")
    with pytest.raises(FeedbackError, match="No feedback"):
        one.update(999, rating="up")
    entries = one.entries()
    assert [e.id for e in entries] == [first, second]
    assert entries[0].comment == "bra"
    assert entries[0].citations == [{"n": 1, "quote": "…"}]
    out = io.StringIO()
    assert other.export(out, "csv") == 2
    assert "'=HYPERLINK(1)" in out.getvalue()  # neutralised for spreadsheets
    out = io.StringIO()
    other.export(out, "jsonl")
    assert [json.loads(line)["rating"] for line in out.getvalue().splitlines()] == ["up", "down"]


def test_a_conversation_goes_on_in_another_store(database_url: str) -> None:
    one = conversation_store(_settings(database_url))
    other = conversation_store(_settings(database_url))
    cid = one.new_id()
    one.append(
        cid, Turn(role="user", content="Hva er tiårsmål 2?"), Turn(role="assistant", content="HPV")
    )
    other.append(cid, Turn(role="user", content="Og hvem har ansvaret?"))
    assert [t.content for t in one.history(cid)] == [
        "Hva er tiårsmål 2?",
        "HPV",
        "Og hvem har ansvaret?",
    ]
    assert other.history("unknown") == []


@pytest.fixture
def no_pruning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Appends prune expired rows at random (one in PRUNE_EVERY): off, so a test that writes
    with a tiny TTL reads back what it wrote, every time (it failed about once in 100)."""
    from assistant.database import conversations

    monkeypatch.setattr(conversations, "PRUNE_EVERY", float("inf"))


@pytest.fixture
def always_pruning(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.database import conversations

    monkeypatch.setattr(conversations, "PRUNE_EVERY", 1)


@pytest.mark.usefixtures("no_pruning")
def test_a_conversation_keeps_its_last_turns_and_expires(database_url: str) -> None:
    store = PostgresConversationStore(Database(database_url), max_turns=3, ttl_s=3600)
    for n in range(5):
        store.append("c", Turn(role="user", content=str(n)))
    assert [t.content for t in store.history("c")] == ["2", "3", "4"]
    expired = PostgresConversationStore(Database(database_url), max_turns=3, ttl_s=0.000001)
    assert expired.history("c") == []
    expired.append("c", Turn(role="user", content="ny"))
    assert [t.content for t in store.history("c")] == ["ny"]


@pytest.mark.usefixtures("always_pruning")
def test_an_append_prunes_the_conversations_idle_past_the_ttl_and_keeps_the_rest(
    database_url: str,
) -> None:
    import time

    database = Database(database_url)
    store = PostgresConversationStore(database, max_turns=3, ttl_s=0.5)
    store.append("gammel", Turn(role="user", content="før"))
    time.sleep(0.6)
    store.append("ny", Turn(role="user", content="nå"))
    with database.connect() as db:
        rows = {r[0] for r in db.execute("SELECT id FROM conversations").fetchall()}
    assert "gammel" not in rows  # the row itself is gone, not only hidden
    assert [t.content for t in store.history("ny")] == ["nå"]


def test_the_rate_limit_is_shared(database_url: str) -> None:
    one = rate_limiter(_settings(database_url), 3, "requests")
    other = rate_limiter(_settings(database_url), 3, "requests")
    apart = rate_limiter(_settings(database_url), 3, "failed_keys")
    assert [one.acquire("key:a"), other.acquire("key:a"), one.acquire("key:a")] == [0, 0, 0]
    wait = other.acquire("key:a")
    assert 0 < wait <= 20  # a token every 20 s at 3 per minute
    assert one.peek("key:a") > 0
    assert one.acquire("key:b") == 0  # another caller has its own bucket
    assert apart.acquire("key:a") == 0  # another limiter has its own buckets


def test_a_bucket_pruned_by_another_replica_meanwhile_fails_no_request(database_url: str) -> None:
    """Replicas prune full buckets now and then; a request taking that bucket at the same
    moment starts a new full one instead of failing (seen as a reset connection under load)."""
    import threading

    limiter = rate_limiter(_settings(database_url), 100_000, "requests")
    database = Database(database_url)
    stop = threading.Event()

    def prune() -> None:
        while not stop.is_set():
            with database.connect() as db:
                db.execute("DELETE FROM rate_buckets WHERE caller = 'addr:race'")

    pruner = threading.Thread(target=prune, daemon=True)
    pruner.start()
    try:
        waits = [limiter.acquire("addr:race") for _ in range(400)]
    finally:
        stop.set()
        pruner.join(timeout=10)
    assert waits == [0.0] * 400


def test_an_unreachable_database_says_what_to_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"postgresql://nobody@/none?host={tmp_path}&connect_timeout=1"
    store = key_store(_settings(url))
    with pytest.raises(KeyStoreUnavailableError, match="ASSISTANT_DATABASE__URL"):
        store.list_keys()


def test_chat_feedback_of_two_replicas_is_exported_from_one_table(database_url: str) -> None:
    import os
    import subprocess
    import sys
    from types import SimpleNamespace

    from ui.app import _feedback_provider

    replicas = [
        _feedback_provider(lambda: SimpleNamespace(settings=_settings(database_url)), None)  # type: ignore[arg-type, return-value]
        for _ in range(2)
    ]
    for n, get_feedback in enumerate(replicas):
        get_feedback().add(Feedback("up", f"Spørsmål {n}", "Svar", source="chat"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_DATABASE__URL"] = database_url
    exported = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "feedback", "export", "--format", "jsonl"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [json.loads(line)["question"] for line in exported.splitlines()] == [
        "Spørsmål 0",
        "Spørsmål 1",
    ]


def test_a_server_whose_database_is_down_answers_503_saying_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app

    url = f"postgresql://nobody@/none?host={tmp_path}&connect_timeout=1"
    settings = _settings(url)
    settings.index.dir = tmp_path / "index"
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "ASSISTANT_DATABASE__URL" in ready.text
        refused = client.get("/v1/goals")
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "database_unavailable"
