"""Feedback in PostgreSQL: every replica writes to one ``feedback`` table.

The SQL is :class:`~assistant.feedback.store.FeedbackStore`'s own; only the
connection (a pooled psycopg one) and its ``%s`` placeholders differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assistant.components.database import DatabaseError, connect
from assistant.feedback.store import FeedbackStorageError, FeedbackStore


class PostgresFeedbackStore(FeedbackStore):
    """The ``feedback`` table; the same contract as the SQLite :class:`FeedbackStore`."""

    PLACEHOLDER = "%s"

    def __init__(self, url: str, pool_size: int = 4):
        self.url = url
        self.pool_size = pool_size

    def _has_rows(self) -> bool:
        return True  # the table is made with the schema, before any request

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            with connect(self.url, self.pool_size) as db:
                yield db
        except DatabaseError as exc:
            raise FeedbackStorageError(str(exc)) from exc
