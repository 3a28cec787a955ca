"""The shared stores while the database is down: answers go on, without what needs it.

The index lives in each replica's memory, so an answer needs no database; what
does is the conversation, the rate limit and the key lookup. Each store here
wraps its PostgreSQL store and, on DatabaseError (which comes at once while the
database is known to be down, see ``components.database``), goes on with what
this replica holds itself:

- :class:`FallbackConversations`: the replica's own copy of the conversations it
  served; turns added meanwhile are written to the database, in order, with the
  conversation's next turn once it answers again.
- :class:`FallbackRateLimiter`: the replica's own token bucket per caller.
- :class:`RememberedKeys`: a key this replica verified in the last ``grace_s``
  seconds is still accepted; any other key cannot be checked
  (KeyStoreUnavailableError, which the API answers with 503, never 401).

Feedback has no fallback: ``PostgresFeedbackStore`` refuses it with
FeedbackUnavailableError, and the chat says to give it again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from assistant.answer.models import Turn
from assistant.components.database import DatabaseError
from assistant.stores.conversations import ConversationStore
from assistant.stores.keys import ApiKey, KeyStore, KeyStoreUnavailableError, hash_key
from assistant.stores.ratelimit import RateLimiter

NOT_SHARED = {
    "nb": (
        "Databasen svarer ikke akkurat nå: samtalen huskes bare på denne serveren og deles "
        "ikke med de andre før databasen er tilbake."
    ),
    "en": (
        "The shared database does not answer right now: this conversation is remembered on "
        "this server only, and not shared with the others until the database is back."
    ),
}
"""The notice on an answer whose conversation only this replica holds, by its language."""


def not_shared_notice(store: ConversationStore, conversation_id: str, language: str) -> str | None:
    """:data:`NOT_SHARED` when ``store`` holds turns of this conversation that the database
    has not got (it was down), else None."""
    if isinstance(store, FallbackConversations) and store.unshared(conversation_id):
        return NOT_SHARED.get(language, NOT_SHARED["en"])
    return None


class FallbackConversations(ConversationStore):
    """A shared conversation store that goes on in this replica's memory while it is down.

    Every conversation this replica reads or adds to is copied here (its last
    ``max_turns`` turns, for the latest ``max_conversations``). While the database
    cannot be reached, ``history`` reads the copy and ``append`` adds to it; until
    those turns reach the database, :meth:`unshared` is true for that conversation
    (another replica would not see them).
    """

    def __init__(self, shared: ConversationStore, max_conversations: int = 1000):
        super().__init__(max_conversations, shared.max_turns, shared.ttl_s)
        self.shared = shared
        self._copies: OrderedDict[str, tuple[float, list[Turn]]] = OrderedDict()
        self._unshared: dict[str, list[Turn]] = {}
        self._guard = threading.Lock()

    def new_id(self) -> str:
        return self.shared.new_id()

    def history(self, conversation_id: str) -> list[Turn]:
        try:
            stored = self.shared.history(conversation_id)
        except DatabaseError:
            with self._guard:
                return list(self._copy(conversation_id))
        with self._guard:
            turns = [*stored, *self._unshared.get(conversation_id, [])][-self.max_turns :]
            self._keep(conversation_id, turns)
        return list(turns)

    def append(self, conversation_id: str, *turns: Turn) -> None:
        with self._guard:
            # claimed here, so two appends at once never write the same turns twice
            pending = [*self._unshared.pop(conversation_id, []), *turns]
            self._keep(conversation_id, [*self._copy(conversation_id), *turns])
        try:
            self.shared.append(conversation_id, *pending)
        except DatabaseError:
            with self._guard:
                later = self._unshared.get(conversation_id, [])
                if conversation_id in self._copies:
                    self._unshared[conversation_id] = [*pending, *later][-self.max_turns :]

    def unshared(self, conversation_id: str) -> bool:
        """Whether this conversation has turns that only this replica holds."""
        with self._guard:
            return conversation_id in self._unshared

    def _copy(self, conversation_id: str) -> list[Turn]:
        item = self._copies.get(conversation_id)
        if item is None or time.monotonic() - item[0] > self.ttl_s:
            return []
        return item[1]

    def _keep(self, conversation_id: str, turns: list[Turn]) -> None:
        self._copies.pop(conversation_id, None)
        self._copies[conversation_id] = (time.monotonic(), turns[-self.max_turns :])
        while len(self._copies) > self.max_conversations:
            gone, _ = self._copies.popitem(last=False)
            self._unshared.pop(gone, None)


class FallbackRateLimiter(RateLimiter):
    """A shared token bucket per caller; this replica's own bucket while the database is down.

    During an outage each replica allows a caller the whole limit, so a caller
    spread over n replicas may get up to n times it until the database is back.
    """

    def __init__(self, shared: RateLimiter):
        super().__init__(round(shared.capacity))
        self.shared = shared

    def peek(self, caller: str) -> float:
        try:
            return self.shared.peek(caller)
        except DatabaseError:
            return super().peek(caller)

    def acquire(self, caller: str) -> float:
        try:
            return self.shared.acquire(caller)
        except DatabaseError:
            return super().acquire(caller)


class RememberedKeys(KeyStore):
    """A shared key store whose lately verified keys are still accepted while it is down.

    A key found active is remembered for ``grace_s`` seconds from that lookup;
    only when the store cannot be reached is the memory used. The price: a key
    revoked while the database is down (or in the moment before, unseen by this
    replica) is accepted here until the database answers again or its grace ends.
    """

    def __init__(
        self,
        store: KeyStore,
        grace_s: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.grace_s = grace_s
        self.max_keys = max_keys
        self._clock = clock
        self._verified: OrderedDict[str, tuple[ApiKey, float]] = OrderedDict()
        self._guard = threading.Lock()

    def create(self, name: str, admin: bool = False) -> str:
        return self.store.create(name, admin)

    def list_keys(self) -> list[ApiKey]:
        return self.store.list_keys()

    def revoke(self, name: str) -> None:
        self.store.revoke(name)
        with self._guard:
            for digest in [d for d, (key, _) in self._verified.items() if key.name == name]:
                del self._verified[digest]

    def match(self, key: str) -> ApiKey | None:
        """As :meth:`KeyStore.match`; while the store is down, a key verified within
        ``grace_s``, else KeyStoreUnavailableError."""
        digest = hash_key(key)
        try:
            found = self.store.match(key)
        except KeyStoreUnavailableError:
            with self._guard:
                remembered = self._verified.get(digest)
            if remembered is not None and self._clock() - remembered[1] <= self.grace_s:
                return remembered[0]
            raise
        with self._guard:
            self._verified.pop(digest, None)
            if found is not None and found.revoked_at is None:
                self._verified[digest] = (found, self._clock())
                while len(self._verified) > self.max_keys:
                    self._verified.popitem(last=False)
        return found
