"""The stores behind the API and the chat: their contracts and single-machine backends.

API keys (:mod:`~assistant.stores.keys`, SQLite), rate limits
(:mod:`~assistant.stores.ratelimit`, memory), server-side conversations
(:mod:`~assistant.stores.conversations`, memory) and feedback
(:mod:`~assistant.stores.feedback`, SQLite). The shared PostgreSQL backends in
``assistant.database`` keep the same contracts; both the API and the database
package import them from here, so neither imports the other's layer.
"""

from assistant.stores.conversations import ConversationStore
from assistant.stores.feedback import (
    EXPORT_FORMATS,
    Feedback,
    FeedbackError,
    FeedbackStorageError,
    FeedbackStore,
    FeedbackUnavailableError,
    StoredFeedback,
)
from assistant.stores.keys import ApiKey, KeyStore, KeyStoreError, KeyStoreUnavailableError
from assistant.stores.ratelimit import RateLimiter

__all__ = [
    "EXPORT_FORMATS",
    "ApiKey",
    "ConversationStore",
    "Feedback",
    "FeedbackError",
    "FeedbackStorageError",
    "FeedbackStore",
    "FeedbackUnavailableError",
    "KeyStore",
    "KeyStoreError",
    "KeyStoreUnavailableError",
    "RateLimiter",
    "StoredFeedback",
]
