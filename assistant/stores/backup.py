"""Back up and restore the single-machine stores: the API keys and the feedback (SQLite).

``backup`` copies ``api_keys.sqlite3`` and ``feedback.sqlite3`` from the data folder
into a folder of their own with SQLite's online backup API, so a running server may go
on writing meanwhile: each copy is one consistent snapshot. ``restore`` writes a backup
back the same way, replacing what the data folder holds (a running server sees it at
its next request). Conversations and rate limits are not kept: they live in memory and
matter for minutes. With a database URL these stores live in PostgreSQL, and pg_dump
and pg_restore back them up (``docs/operations.md``).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from assistant.data_folder import prepare, private_file
from assistant.stores import feedback, keys

STORES: dict[str, tuple[str, str]] = {
    keys.KEYS_FILE: ("api_keys", keys.SCHEMA),
    feedback.FILE_NAME: ("feedback", feedback.SCHEMA),
}
"""Each store's file, its table and the schema an empty one is made with."""


class BackupError(ValueError):
    """A backup that cannot be made or restored as asked; the message says why."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds: how many keys (revoked ones too) and feedback rows."""

    keys: int
    feedback: int


def backup(data_dir: Path, folder: Path) -> BackupSummary:
    """Copy the stores of ``data_dir`` into ``folder`` (made 0700; it must hold no backup yet).

    A store the data folder does not have yet is backed up empty, so that restoring
    the backup always gives back exactly what was there.
    """
    taken = [name for name in STORES if (folder / name).exists()]
    if taken:
        raise BackupError(f"{folder} already holds a backup ({taken[0]}); choose a new folder.")
    prepare(folder)
    for name, (_, schema) in STORES.items():
        _copy(Path(data_dir) / name, folder / name, schema)
    return summary(folder)


def restore(folder: Path, data_dir: Path) -> BackupSummary:
    """Replace the stores of ``data_dir`` with the backup in ``folder``; what it holds.

    Raises BackupError, changing nothing, when ``folder`` is not a whole backup.
    """
    held = summary(folder)
    for name, (_, schema) in STORES.items():
        _copy(folder / name, Path(data_dir) / name, schema)
    return held


def summary(folder: Path) -> BackupSummary:
    """The counts of the backup in ``folder``; BackupError if a file is missing or damaged."""
    counts = []
    for name, (table, _) in STORES.items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{folder} holds no backup: {name} is missing.")
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
                if db.execute("PRAGMA quick_check").fetchone() != ("ok",):
                    raise BackupError(f"{path} is damaged (SQLite's quick_check fails).")
                counts.append(int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]))
        except sqlite3.Error as exc:
            raise BackupError(f"{path} is not a backup of the {table} store ({exc}).") from exc
    return BackupSummary(*counts)


def _copy(source: Path, target: Path, schema: str) -> None:
    """Make ``target`` (mode 0600) a copy of ``source``, or an empty store when there is none."""
    private_file(target)
    with closing(sqlite3.connect(target, timeout=10)) as copy:
        if source.exists():
            with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as db:
                db.backup(copy)
        with copy:
            copy.execute(schema)  # a no-op after a copy
