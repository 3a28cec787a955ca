"""Feedback in PostgreSQL: every replica writes to one ``feedback`` table.

The SQL is :class:`~assistant.stores.feedback.FeedbackStore`'s own; only the
connection (a pooled psycopg one) and its ``%s`` placeholders differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assistant.components.database import Database, DatabaseError
from assistant.stores.feedback import FeedbackStore, FeedbackUnavailableError


class PostgresFeedbackStore(FeedbackStore):
    """The ``feedback`` table; the same contract as the SQLite :class:`FeedbackStore`."""

    PLACEHOLDER = "%s"

    def __init__(self, database: Database):
        self.database = database

    def _has_rows(self) -> bool:
        return True  # the table is made with the schema, before any request

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            with self.database.connect() as db:
                yield db
        except DatabaseError as exc:
            raise FeedbackUnavailableError(
                "The shared database cannot be reached right now, so the feedback was not "
                "stored; give it again in a moment."
            ) from exc
