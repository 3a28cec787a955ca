"""Feedback in PostgreSQL: every replica writes to one ``feedback`` table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from assistant.components.database import DatabaseError, connect
from assistant.feedback.store import (
    COLUMNS,
    Feedback,
    FeedbackError,
    FeedbackStorageError,
    FeedbackStore,
    Rating,
    StoredFeedback,
    _check,
    _now,
    _stored,
)


class PostgresFeedbackStore(FeedbackStore):
    """The ``feedback`` table; the same contract as the SQLite :class:`FeedbackStore`."""

    def __init__(self, url: str, pool_size: int = 4):
        self.url = url
        self.pool_size = pool_size

    def add(self, feedback: Feedback) -> int:
        _check(feedback.rating, feedback.comment)
        now = _now()
        row = asdict(feedback)
        row["citations"] = json.dumps(feedback.citations, ensure_ascii=False)
        names = [*row, "created_at", "updated_at"]
        values = [*row.values(), now, now]
        sql = (
            f"INSERT INTO feedback ({', '.join(names)}) "
            f"VALUES ({', '.join('%s' for _ in names)}) RETURNING id"
        )
        with self._pg() as db:
            return int(db.execute(sql, values).fetchone()[0])

    def update(
        self, feedback_id: int, *, rating: Rating | None = None, comment: str | None = None
    ) -> None:
        _check(rating, comment)
        changes: dict[str, Any] = {"updated_at": _now()}
        if rating is not None:
            changes["rating"] = rating
        if comment is not None:
            changes["comment"] = comment
        assignments = ", ".join(f"{name} = %s" for name in changes)
        with self._pg() as db:
            cursor = db.execute(
                f"UPDATE feedback SET {assignments} WHERE id = %s", [*changes.values(), feedback_id]
            )
            if cursor.rowcount == 0:
                raise FeedbackError(f"No feedback with id {feedback_id}.")

    def get(self, feedback_id: int) -> StoredFeedback | None:
        with self._pg() as db:
            row = db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE id = %s", (feedback_id,)
            ).fetchone()
        return _stored(tuple(row)) if row else None

    def entries(self) -> list[StoredFeedback]:
        with self._pg() as db:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        return [_stored(tuple(row)) for row in rows]

    @contextmanager
    def _pg(self) -> Iterator[Any]:
        try:
            with connect(self.url, self.pool_size) as db:
                yield db
        except DatabaseError as exc:
            raise FeedbackStorageError(str(exc)) from exc
