"""The shared stores while the database is down (``database/fallback.py``), without a server.

The shared stores here are the real contracts' single-machine stores with a switch
that makes them fail as a PostgreSQL store does when its database is down
(DatabaseError, KeyStoreUnavailableError); ``test_outage.py`` does it for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.models import Turn
from assistant.components.database import DatabaseError
from assistant.database.fallback import FallbackConversations, FallbackRateLimiter, RememberedKeys
from assistant.stores.conversations import ConversationStore
from assistant.stores.keys import ApiKey, KeyStore, KeyStoreUnavailableError
from assistant.stores.ratelimit import RateLimiter


class Down:
    """Shared between a test and its store: whether the database answers."""

    def __init__(self) -> None:
        self.now = False

    def check(self) -> None:
        if self.now:
            raise DatabaseError("The database (ASSISTANT_DATABASE__URL) cannot be used: down.")


class SharedConversations(ConversationStore):
    def __init__(self, down: Down):
        super().__init__()
        self.down = down
        self.appends: list[list[str]] = []

    def history(self, conversation_id: str) -> list[Turn]:
        self.down.check()
        return super().history(conversation_id)

    def append(self, conversation_id: str, *turns: Turn) -> None:
        self.down.check()
        self.appends.append([t.content for t in turns])
        super().append(conversation_id, *turns)


class SharedLimiter(RateLimiter):
    def __init__(self, down: Down, per_minute: int):
        super().__init__(per_minute)
        self.down = down

    def acquire(self, caller: str) -> float:
        self.down.check()
        return super().acquire(caller)

    def peek(self, caller: str) -> float:
        self.down.check()
        return super().peek(caller)


class SharedKeys(KeyStore):
    def __init__(self, down: Down, data_dir: Path):
        super().__init__(data_dir)
        self.down = down

    def match(self, key: str) -> ApiKey | None:
        if self.down.now:
            raise KeyStoreUnavailableError("The database cannot be reached.")
        return super().match(key)


def turns(*texts: str) -> list[Turn]:
    return [
        Turn(role="user" if n % 2 == 0 else "assistant", content=t) for n, t in enumerate(texts)
    ]


def test_a_conversation_goes_on_in_memory_and_reaches_the_database_once_in_order() -> None:
    down = Down()
    shared = SharedConversations(down)
    store = FallbackConversations(shared)
    cid = store.new_id()
    store.append(cid, *turns("Hva er tiårsmål 2?", "HPV [1]"))
    assert not store.unshared(cid)

    down.now = True
    assert [t.content for t in store.history(cid)] == ["Hva er tiårsmål 2?", "HPV [1]"]
    store.append(cid, *turns("Hvem har ansvaret?", "HOD [1]"))
    store.append(cid, *turns("Og når?", "2035 [1]"))
    assert store.unshared(cid)
    assert [t.content for t in store.history(cid)][-2:] == ["Og når?", "2035 [1]"]

    down.now = False
    # read from the database again, with the turns it has not got yet after its own
    assert len(store.history(cid)) == 6
    store.append(cid, *turns("Takk", "Bare hyggelig"))
    assert not store.unshared(cid)
    assert shared.appends[-1] == ["Hvem har ansvaret?", "HOD [1]", "Og når?", "2035 [1]", "Takk",
                                  "Bare hyggelig"]  # fmt: skip
    assert [t.content for t in shared.history(cid)] == [
        "Hva er tiårsmål 2?", "HPV [1]", "Hvem har ansvaret?", "HOD [1]", "Og når?", "2035 [1]",
        "Takk", "Bare hyggelig",
    ]  # fmt: skip
    store.append(cid, *turns("Og tiårsmål 3?", "…"))
    assert shared.appends[-1] == ["Og tiårsmål 3?", "…"]  # written once, never again


def test_a_conversation_begun_while_the_database_is_down_is_kept_and_bounded() -> None:
    down = Down()
    down.now = True
    store = FallbackConversations(SharedConversations(down), max_conversations=2)
    first, second, third = "c1", "c2", "c3"
    for cid in (first, second, third):
        store.append(cid, *turns(f"Spørsmål {cid}", "Svar"))
    assert store.history(first) == []  # the oldest went when a third came
    assert store.unshared(third)
    assert not store.unshared(first)


def test_the_rate_limit_falls_back_to_this_replicas_own_bucket() -> None:
    down = Down()
    shared = SharedLimiter(down, per_minute=2)
    limiter = FallbackRateLimiter(shared)
    assert [limiter.acquire("key:a"), limiter.acquire("key:a")] == [0.0, 0.0]
    assert limiter.acquire("key:a") > 0  # the shared bucket is spent

    down.now = True
    assert [limiter.acquire("key:a"), limiter.acquire("key:a")] == [0.0, 0.0]  # a bucket of its own
    assert limiter.acquire("key:a") > 0  # … with the same limit
    assert limiter.peek("key:a") > 0

    down.now = False
    assert [limiter.acquire("key:b"), limiter.acquire("key:b")] == [0.0, 0.0]
    assert shared.peek("key:b") > 0  # back to the shared bucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_verified_lately_is_accepted_while_the_database_is_down(tmp_path: Path) -> None:
    down, clock = Down(), Clock()
    shared = SharedKeys(down, tmp_path)
    keys = RememberedKeys(shared, grace_s=60, clock=clock)
    partner, other = keys.create("partner"), keys.create("other")
    revoked = keys.create("gone")
    match = keys.match(partner)
    assert match is not None
    assert match.name == "partner"
    keys.revoke("gone")
    assert keys.match(revoked) is not None  # known, and revoked: never remembered as active

    down.now = True
    clock.now += 59
    remembered = keys.match(partner)
    assert remembered is not None
    assert remembered.name == "partner"
    with pytest.raises(KeyStoreUnavailableError):
        keys.match(other)  # never verified here: cannot be checked
    with pytest.raises(KeyStoreUnavailableError):
        keys.match(revoked)
    with pytest.raises(KeyStoreUnavailableError):
        keys.match("kst_unknown")
    clock.now += 2  # past the grace since it was verified
    with pytest.raises(KeyStoreUnavailableError):
        keys.match(partner)


def test_a_revoked_key_is_forgotten_at_once(tmp_path: Path) -> None:
    down = Down()
    keys = RememberedKeys(SharedKeys(down, tmp_path), grace_s=60)
    partner = keys.create("partner")
    assert keys.verify(partner) is not None
    keys.revoke("partner")
    assert keys.verify(partner) is None
    down.now = True
    with pytest.raises(KeyStoreUnavailableError):
        keys.match(partner)
