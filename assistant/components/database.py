"""The shared PostgreSQL database (``ASSISTANT_DATABASE__URL``): connections and the schema.

Every replica of the server opens a small connection pool per process
(psycopg 3) and creates the tables it needs once (``CREATE … IF NOT EXISTS``
under an advisory lock, so replicas starting together do not race). The
index's per-build chunk tables are made by ``index.pg_store``; this module
holds the tables shared by every build and every feature.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA_LOCK = 7_150_001
"""Advisory lock key held while the schema is created."""

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS api_keys (
    name TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    id BIGSERIAL PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    abstained BOOLEAN NOT NULL DEFAULT FALSE,
    conversation_id TEXT,
    mode TEXT,
    source TEXT NOT NULL DEFAULT 'chat'
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    turns JSONB NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS rate_buckets (
    scope TEXT NOT NULL,
    caller TEXT NOT NULL,
    tokens DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, caller)
);
CREATE TABLE IF NOT EXISTS index_builds (
    build_id TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    complete BOOLEAN NOT NULL DEFAULT FALSE,
    manifest JSONB NOT NULL
);
CREATE TABLE IF NOT EXISTS index_files (
    build_id TEXT NOT NULL REFERENCES index_builds ON DELETE CASCADE,
    name TEXT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (build_id, name)
);
CREATE TABLE IF NOT EXISTS index_current (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    build_id TEXT NOT NULL REFERENCES index_builds
);
"""


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the message says what to check."""


_pools: dict[str, Any] = {}
_ready: set[str] = set()
_lock = threading.Lock()


def _pool(url: str, size: int) -> Any:
    import psycopg
    from psycopg_pool import ConnectionPool

    with _lock:
        pool = _pools.get(url)
        if pool is None:
            # one direct attempt first: a wrong URL fails at once, not after the pool's timeout
            psycopg.connect(url, connect_timeout=10).close()
            pool = ConnectionPool(url, min_size=1, max_size=size, open=True, timeout=15)
            _pools[url] = pool
        return pool


def _problem(exc: BaseException) -> DatabaseError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatabaseError(
        f"The database (ASSISTANT_DATABASE__URL) cannot be used: {first}. Check that "
        "PostgreSQL is running, the URL (host, port, user, password, database) is right and "
        "the pgvector extension is installed (`assistant db start` runs a local one)."
    )


@contextmanager
def connect(url: str, pool_size: int = 4) -> Iterator[Any]:
    """A pooled connection in one transaction (committed on success, rolled back on error).

    The schema is created on first use. Connection and server failures become
    DatabaseError saying what to check; other psycopg errors pass through.
    """
    import psycopg
    from psycopg_pool import PoolTimeout

    try:
        pool = _pool(url, pool_size)
        with pool.connection() as conn:
            if url not in _ready:
                _create_schema(conn)
                _ready.add(url)
            with conn.transaction():
                yield conn
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise _problem(exc) from exc


def _create_schema(conn: Any) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        conn.execute(SCHEMA)


def close_pools() -> None:
    """Close every pool of this process (tests, and before a server stops)."""
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
        _ready.clear()
