"""API keys in PostgreSQL: every replica sees a revocation on its next request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from assistant.components.database import Database, DatabaseError
from assistant.stores.keys import (
    ApiKey,
    KeyStore,
    KeyStoreError,
    KeyStoreUnavailableError,
    hash_key,
    new_key,
)


class PostgresKeyStore(KeyStore):
    """The ``api_keys`` table; the same contract as the SQLite :class:`KeyStore`.

    A key is looked up by its SHA-256 on every request (no cache), so ``assistant
    keys revoke`` on any host is refused by every replica at once. Looking up by
    hash leaks nothing a timing attack could use: the hash of a random 256-bit key.
    """

    def __init__(self, database: Database):
        self.database = database

    def create(self, name: str, admin: bool = False) -> str:
        key, now = new_key(name)
        with self._connect() as db:
            inserted = db.execute(
                "INSERT INTO api_keys (name, key_hash, admin, created_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (name) DO NOTHING",
                (name, hash_key(key), admin, now),
            ).rowcount
        if not inserted:
            raise KeyStoreError(f"A key named '{name}' exists; revoke it or pick another name.")
        return key

    def list_keys(self) -> list[ApiKey]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, admin, created_at, revoked_at FROM api_keys ORDER BY created_at, name"
            ).fetchall()
        return [ApiKey(n, bool(a), c, r) for n, a, c, r in rows]

    def revoke(self, name: str) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            changed = db.execute(
                "UPDATE api_keys SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL",
                (now, name),
            ).rowcount
        if not changed:
            raise KeyStoreError(f"No active key named '{name}'. See `assistant keys list`.")

    def match(self, key: str) -> ApiKey | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT name, admin, created_at, revoked_at FROM api_keys WHERE key_hash = %s",
                (hash_key(key),),
            ).fetchone()
        return ApiKey(row[0], bool(row[1]), row[2], row[3]) if row else None

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        try:
            with self.database.connect() as db:
                yield db
        except DatabaseError as exc:
            raise KeyStoreUnavailableError(str(exc)) from exc
