"""API keys: created once, stored only as a SHA-256 hash, checked in constant time.

:class:`KeyStore` is the contract every key store keeps (the SQLite one here, the
PostgreSQL one in ``assistant.database``) and the single-machine implementation.

A key is ``kst_`` followed by 32 random bytes (``secrets.token_urlsafe``), so a
plain SHA-256 is enough to store it: there is nothing to guess that a slow
hash would protect. The store re-reads its table when the database file
changes, so ``assistant keys revoke`` in another process takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.data_folder import private_file

KEY_PREFIX = "kst_"
KEYS_FILE = "api_keys.sqlite3"
_NAME = re.compile(r"^[\w.@ -]{1,64}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    name TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    revoked_at TEXT
)
"""


class KeyStoreError(ValueError):
    """A key operation that cannot be done as asked; the message says why."""


class KeyStoreUnavailableError(KeyStoreError):
    """The keys cannot be read or written: the data folder is not writable, or the shared
    database cannot be reached."""


@dataclass(frozen=True)
class ApiKey:
    """What is known about a key: never the key itself."""

    name: str
    admin: bool
    created_at: str
    revoked_at: str | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", errors="replace")).hexdigest()


def new_key(name: str) -> tuple[str, str]:
    """A fresh key for ``name`` and the time it is made; KeyStoreError for a bad name.

    Every key store (SQLite here, PostgreSQL for replicas) makes its keys here.
    """
    if not _NAME.match(name):
        raise KeyStoreError(
            "A key name is 1–64 letters, digits, spaces or . _ @ -, e.g. 'helse-bergen'."
        )
    return KEY_PREFIX + secrets.token_urlsafe(32), datetime.now(UTC).isoformat(timespec="seconds")


class KeyStore:
    """The API keys in ``<data_dir>/api_keys.sqlite3``; safe to share between threads."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / KEYS_FILE
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._stored: list[tuple[str, ApiKey]] = []

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One short connection (0600 file in a 0700 folder); storage failures become
        KeyStoreUnavailableError naming the folder."""
        try:
            private_file(self.path)
            with closing(sqlite3.connect(self.path, timeout=10)) as db:
                db.execute(SCHEMA)
                yield db
        except (sqlite3.Error, OSError) as exc:
            reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            raise KeyStoreUnavailableError(
                f"The API key store in {self.path.parent} cannot be used ({reason}): make the "
                "folder writable or choose another with --data-dir or ASSISTANT_SERVER__DATA_DIR."
            ) from exc

    def create(self, name: str, admin: bool = False) -> str:
        """Store a new key under ``name`` and return it; it cannot be shown again."""
        key, now = new_key(name)
        with self._connect() as db, db:
            if db.execute("SELECT 1 FROM api_keys WHERE name = ?", (name,)).fetchone():
                raise KeyStoreError(f"A key named '{name}' exists; revoke it or pick another name.")
            db.execute(
                "INSERT INTO api_keys (name, key_hash, admin, created_at) VALUES (?, ?, ?, ?)",
                (name, hash_key(key), int(admin), now),
            )
        self._seen = None
        return key

    def list_keys(self) -> list[ApiKey]:
        """All keys, revoked ones included, oldest first."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, admin, created_at, revoked_at FROM api_keys ORDER BY created_at, name"
            ).fetchall()
        return [
            ApiKey(name, bool(admin), created, revoked) for name, admin, created, revoked in rows
        ]

    def revoke(self, name: str) -> None:
        """Revoke the key named ``name``; KeyStoreError when there is no such active key."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as db, db:
            changed = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (now, name),
            ).rowcount
        self._seen = None
        if not changed:
            raise KeyStoreError(f"No active key named '{name}'. See `assistant keys list`.")

    def verify(self, key: str) -> ApiKey | None:
        """The active key matching ``key``, or None; compared with every hash in constant time."""
        found = self.match(key)
        return found if found is not None and found.revoked_at is None else None

    def match(self, key: str) -> ApiKey | None:
        """The stored key matching ``key``, revoked or not, or None (constant time per hash)."""
        digest = hash_key(key)
        found = None
        for stored, info in self._stored_keys():
            if hmac.compare_digest(stored, digest):
                found = info
        return found

    def _stored_keys(self) -> list[tuple[str, ApiKey]]:
        try:
            stat = self.path.stat()
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            return []
        with self._lock:
            if seen != self._seen:
                with self._connect() as db:
                    rows = db.execute(
                        "SELECT key_hash, name, admin, created_at, revoked_at FROM api_keys"
                    ).fetchall()
                self._stored = [(h, ApiKey(n, bool(a), c, r)) for h, n, a, c, r in rows]
                self._seen = seen
            return self._stored
