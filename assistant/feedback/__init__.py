"""Feedback on answers, stored for the maintainers: ratings, comments and what was answered."""

from assistant.feedback.store import (
    EXPORT_FORMATS,
    Feedback,
    FeedbackError,
    FeedbackStorageError,
    FeedbackStore,
    StoredFeedback,
)

__all__ = [
    "EXPORT_FORMATS",
    "Feedback",
    "FeedbackError",
    "FeedbackStorageError",
    "FeedbackStore",
    "StoredFeedback",
]
