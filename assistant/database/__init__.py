"""Shared state in PostgreSQL for several replicas, and the one place that picks the backend.

With ``ASSISTANT_DATABASE__URL`` set, API keys, feedback, server-side
conversations and rate-limit counters live in the database (the same
contracts as the single-machine stores in ``assistant.stores``: SQLite files
and memory); without it nothing changes. The index's backend is chosen by the
launcher (``index.pg_store``), from the same setting.

The stores a request uses wait on the database no longer than the configured
timeouts, and while it is down they go on without it (``database.fallback``):
conversations and rate limits in this replica's memory, keys verified lately
remembered for ``database.key_grace_s``; feedback is refused with a message.
"""

from __future__ import annotations

from assistant.components.database import Database
from assistant.settings import DatabaseSettings, Settings
from assistant.stores.conversations import ConversationStore
from assistant.stores.feedback import FeedbackStore
from assistant.stores.keys import KeyStore
from assistant.stores.ratelimit import RateLimiter

__all__ = ["conversation_store", "feedback_store", "key_store", "rate_limiter", "request_database"]


def request_database(settings: DatabaseSettings, *, limited: bool = True) -> Database | None:
    """The database as the stores of a request reach it (with the timeouts), or None.

    ``limited=False`` drops the statement limit, for a command that reads a whole table
    (``assistant feedback export``).
    """
    url = settings.dsn()
    if url is None:
        return None
    return Database(
        url,
        settings.pool_size,
        connect_timeout_s=settings.connect_timeout_s,
        statement_timeout_s=settings.statement_timeout_s if limited else None,
        retry_s=settings.retry_s,
    )


def key_store(settings: Settings) -> KeyStore:
    """API keys: in PostgreSQL with a database URL (keys verified lately remembered for an
    outage), else SQLite in the data folder."""
    if database := request_database(settings.database):
        from assistant.database.fallback import RememberedKeys
        from assistant.database.keys import PostgresKeyStore

        return RememberedKeys(PostgresKeyStore(database), settings.database.key_grace_s)
    return KeyStore(settings.server.data_dir)


def feedback_store(settings: Settings, *, limited: bool = True) -> FeedbackStore:
    """Feedback: in PostgreSQL with a database URL, else SQLite in the data folder.

    ``limited=False``: no statement limit (an export of every row).
    """
    if database := request_database(settings.database, limited=limited):
        from assistant.database.feedback import PostgresFeedbackStore

        return PostgresFeedbackStore(database)
    return FeedbackStore.in_folder(settings.server.data_dir)


def conversation_store(settings: Settings) -> ConversationStore:
    """Server-side conversations: in PostgreSQL with a database URL (in this replica's memory
    while it is down), else in memory."""
    if database := request_database(settings.database):
        from assistant.database.conversations import PostgresConversationStore
        from assistant.database.fallback import FallbackConversations

        return FallbackConversations(PostgresConversationStore(database))
    return ConversationStore()


def rate_limiter(settings: Settings, per_minute: int, scope: str) -> RateLimiter:
    """A token bucket per caller, shared by all replicas with a database URL (this replica's
    own bucket while it is down).

    ``scope`` keeps limiters apart in the shared table ('requests', 'failed_keys').
    """
    if database := request_database(settings.database):
        from assistant.database.fallback import FallbackRateLimiter
        from assistant.database.ratelimit import PostgresRateLimiter

        return FallbackRateLimiter(PostgresRateLimiter(database, per_minute, scope))
    return RateLimiter(per_minute)
