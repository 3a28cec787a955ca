"""Shared state in PostgreSQL for several replicas, and the one place that picks the backend.

With ``ASSISTANT_DATABASE__URL`` set, API keys, feedback, server-side
conversations and rate-limit counters live in the database (the same
interfaces as the single-machine stores: SQLite files and memory); without it
nothing changes. The index's backend is chosen by the launcher
(``index.pg_store``), from the same setting.
"""

from __future__ import annotations

from assistant.answer.conversation import ConversationStore
from assistant.api.ratelimit import RateLimiter
from assistant.api.security import KeyStore
from assistant.feedback.store import FeedbackStore
from assistant.settings import Settings

__all__ = ["conversation_store", "feedback_store", "key_store", "rate_limiter"]


def key_store(settings: Settings) -> KeyStore:
    """API keys: in PostgreSQL with a database URL, else SQLite in the data folder."""
    if url := settings.database.dsn():
        from assistant.database.keys import PostgresKeyStore

        return PostgresKeyStore(url, settings.database.pool_size)
    return KeyStore(settings.server.data_dir)


def feedback_store(settings: Settings) -> FeedbackStore:
    """Feedback: in PostgreSQL with a database URL, else SQLite in the data folder."""
    if url := settings.database.dsn():
        from assistant.database.feedback import PostgresFeedbackStore

        return PostgresFeedbackStore(url, settings.database.pool_size)
    return FeedbackStore.in_folder(settings.server.data_dir)


def conversation_store(settings: Settings) -> ConversationStore:
    """Server-side conversations: in PostgreSQL with a database URL, else in memory."""
    if url := settings.database.dsn():
        from assistant.database.conversations import PostgresConversationStore

        return PostgresConversationStore(url, settings.database.pool_size)
    return ConversationStore()


def rate_limiter(settings: Settings, per_minute: int, scope: str) -> RateLimiter:
    """A token bucket per caller, shared by all replicas with a database URL.

    ``scope`` keeps limiters apart in the shared table ('requests', 'failed_keys').
    """
    if url := settings.database.dsn():
        from assistant.database.ratelimit import PostgresRateLimiter

        return PostgresRateLimiter(url, per_minute, scope, settings.database.pool_size)
    return RateLimiter(per_minute)
