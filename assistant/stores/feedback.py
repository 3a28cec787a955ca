"""Feedback on answers (👍/👎 and an optional comment), kept in SQLite for maintainers.

Each row holds what was asked and answered — the question, the answer text,
its citations as JSON — with the rating, the comment, the time (UTC, ISO
8601), the conversation id and the answer mode. One store may be shared by
threads; every call opens its own short connection, so several processes
(the server and ``assistant feedback export``) can use the same file.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from assistant.data_folder import private_file

Rating = Literal["up", "down"]
ExportFormat = Literal["csv", "jsonl"]
RATINGS: tuple[str, ...] = ("up", "down")
EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl")
FILE_NAME = "feedback.sqlite3"
MAX_COMMENT_CHARS = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    abstained INTEGER NOT NULL DEFAULT 0,
    conversation_id TEXT,
    mode TEXT,
    source TEXT NOT NULL DEFAULT 'chat'
)
"""
COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "updated_at",
    "rating",
    "comment",
    "question",
    "answer",
    "citations",
    "abstained",
    "conversation_id",
    "mode",
    "source",
)


class FeedbackError(ValueError):
    """Feedback that cannot be stored as given (unknown rating, comment too long, no such row)."""


class FeedbackStorageError(FeedbackError):
    """The feedback file cannot be opened or written (the data folder is not writable)."""


class FeedbackUnavailableError(FeedbackStorageError):
    """The shared database cannot be reached: the feedback is refused, to be given again later.

    Refused rather than kept aside: the chat says so at once, and nothing is stored twice
    or out of order when the database comes back.
    """


@dataclass
class Feedback:
    """One rating of one answer, as given by a user."""

    rating: Rating
    question: str
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    comment: str = ""
    abstained: bool = False
    conversation_id: str | None = None
    mode: str | None = None
    source: str = "chat"


@dataclass
class StoredFeedback(Feedback):
    """Feedback as stored: with its id and times."""

    id: int = 0
    created_at: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


class FeedbackStore:
    """Feedback rows in one SQLite file; safe to share between threads.

    The SQL is written once, for any DB-API connection whose ``execute`` takes
    :attr:`PLACEHOLDER` parameters; a backend with another connection (the
    PostgreSQL store) overrides :meth:`_connection`, :meth:`_has_rows` and the
    placeholder only.
    """

    PLACEHOLDER = "?"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def in_folder(cls, data_dir: Path) -> FeedbackStore:
        """The store in a data folder (``settings.server.data_dir``)."""
        return cls(Path(data_dir) / FILE_NAME)

    def add(self, feedback: Feedback) -> int:
        """Store new feedback; return its id. Raises FeedbackError for invalid values."""
        _check(feedback.rating, feedback.comment)
        now = _now()
        row = asdict(feedback)
        row["citations"] = json.dumps(feedback.citations, ensure_ascii=False)
        names = [*row, "created_at", "updated_at"]
        values = [*row.values(), now, now]
        marks = ", ".join(self.PLACEHOLDER for _ in names)
        sql = f"INSERT INTO feedback ({', '.join(names)}) VALUES ({marks}) RETURNING id"
        with self._connection() as db:
            return int(db.execute(sql, values).fetchone()[0])

    def update(
        self, feedback_id: int, *, rating: Rating | None = None, comment: str | None = None
    ) -> None:
        """Change the rating and/or comment of stored feedback; FeedbackError if it is unknown."""
        _check(rating, comment)
        changes: dict[str, Any] = {"updated_at": _now()}
        if rating is not None:
            changes["rating"] = rating
        if comment is not None:
            changes["comment"] = comment
        mark = self.PLACEHOLDER
        assignments = ", ".join(f"{name} = {mark}" for name in changes)
        with self._connection() as db:
            cursor = db.execute(
                f"UPDATE feedback SET {assignments} WHERE id = {mark}",
                [*changes.values(), feedback_id],
            )
            if cursor.rowcount == 0:
                raise FeedbackError(f"No feedback with id {feedback_id}.")

    def get(self, feedback_id: int) -> StoredFeedback | None:
        """The feedback with this id, or None."""
        if not self._has_rows():
            return None
        with self._connection() as db:
            row = db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE id = {self.PLACEHOLDER}",
                (feedback_id,),
            ).fetchone()
        return _stored(tuple(row)) if row else None

    def entries(self) -> list[StoredFeedback]:
        """All feedback, oldest first (none when the file does not exist yet)."""
        if not self._has_rows():
            return []
        with self._connection() as db:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        return [_stored(tuple(row)) for row in rows]

    def export(self, out: TextIO, format: ExportFormat = "csv") -> int:
        """Write all feedback to ``out`` as CSV (header row) or JSON Lines; return the count.

        In CSV the citations are one JSON-encoded column, and a cell that a
        spreadsheet would run as a formula is neutralised (see
        :func:`spreadsheet_safe`). Raises FeedbackError for an unknown format.
        """
        if format not in EXPORT_FORMATS:
            raise FeedbackError(f"Unknown format '{format}'. Use one of: csv, jsonl.")
        entries = self.entries()
        if format == "jsonl":
            for entry in entries:
                out.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
            return len(entries)
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for entry in entries:
            data = entry.to_dict()
            data["citations"] = json.dumps(data["citations"], ensure_ascii=False)
            writer.writerow([spreadsheet_safe(data[name]) for name in COLUMNS])
        return len(entries)

    def _has_rows(self) -> bool:
        """Whether anything can have been stored yet (reading never creates the file)."""
        return self.path.exists()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        with self._lock:
            try:
                private_file(self.path)
                with closing(sqlite3.connect(self.path, timeout=10)) as db:
                    db.execute(SCHEMA)  # a no-op once the table exists
                    with db:  # one transaction: committed on success, rolled back on error
                        yield db
            except (sqlite3.Error, OSError) as exc:
                raise FeedbackStorageError(
                    f"Feedback cannot be stored in {self.path.parent} ({_reason(exc)}): make the "
                    "folder writable or choose another with ASSISTANT_SERVER__DATA_DIR."
                ) from exc


def spreadsheet_safe(value: Any) -> Any:
    """A text cell starting with = + - @ tab or CR gets a leading ' (OWASP CSV injection).

    Spreadsheets run such cells as formulas (``=HYPERLINK(…)``, ``=cmd|…``); the
    quote makes them plain text. Numbers and other cells are left as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _check(rating: str | None, comment: str | None) -> None:
    if rating is not None and rating not in RATINGS:
        raise FeedbackError(f"Unknown rating '{rating}'. Use 'up' or 'down'.")
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackError(
            f"The comment is {len(comment)} characters; the limit is {MAX_COMMENT_CHARS}."
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stored(row: tuple[Any, ...]) -> StoredFeedback:
    data = dict(zip(COLUMNS, row, strict=True))
    data["citations"] = json.loads(data["citations"])
    data["abstained"] = bool(data["abstained"])
    return StoredFeedback(**data)
