"""The shared PostgreSQL database (``ASSISTANT_DATABASE__URL``): connections, the schema,
and whether it answers.

Every replica of the server opens a small connection pool per process
(psycopg 3) and creates the tables it needs once (``CREATE … IF NOT EXISTS``
under an advisory lock, so replicas starting together do not race). The
index's per-build chunk tables are made by ``index.pg_store``; this module
holds the tables shared by every build and every feature.

No caller waits long on a database that is down. A connection is made within
``connect_timeout_s`` and a request's statements run within ``statement_timeout_s``
(:class:`Database`; ingest and publishing a build set no statement limit). Once
the database has failed, calls fail at once with DatabaseError for ``retry_s``;
then one call tries it again while the others go on failing fast, so an outage
costs each request microseconds, not a timeout. A pool whose connections broke
is thrown away whole: the first call after the database is back connects
afresh instead of waiting out the pool's reconnection back-off (1, 2, 4 … s).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("assistant.database")

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


@dataclass(frozen=True)
class Database:
    """Where the shared database is, and how long one call may wait for it.

    ``statement_timeout_s`` None sets no limit (ingest, publishing a build); the
    stores a request uses set one (``DatabaseSettings.statement_timeout_s``).
    """

    url: str = field(repr=False)  # it may hold the password
    pool_size: int = 4
    connect_timeout_s: float = 10.0
    statement_timeout_s: float | None = None
    retry_s: float = 1.0

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A pooled connection in one transaction (committed on success, rolled back on error).

        The schema is created on first use. Connection and server failures, a
        statement past its time, and any call while the database is known to be
        down become DatabaseError saying what to check; other psycopg errors pass
        through.
        """
        import psycopg
        from psycopg_pool import PoolTimeout

        link = _link(self.url)
        probe = link.admit(self.retry_s)
        try:
            pool, conn = link.connection(self, probe)
            try:
                if not link.schema_ready:
                    _create_schema(conn)
                    link.schema_ready = True
                with conn.transaction():
                    if self.statement_timeout_s is not None:
                        limit = f"{max(1, round(self.statement_timeout_s * 1000))}ms"
                        conn.execute("SELECT set_config('statement_timeout', %s, true)", (limit,))
                    yield conn
            finally:
                pool.putconn(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            problem = _problem(exc)
            # a statement past its time leaves the connections sound: keep the pool
            sound = isinstance(exc, psycopg.errors.QueryCanceled)
            link.failed(problem, self.retry_s, broken=not sound)
            raise problem from exc
        else:
            link.succeeded()
        finally:
            if probe:
                link.probing = False

    def available(self) -> bool:
        """False from a failure until the database answers again (True before any call)."""
        return _link(self.url).failed_at is None


class _Link:
    """One URL's pool in this process, and whether the database answered lately."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # the fields below
        self.opening = threading.Lock()  # one pool made at a time
        self.pool: Any = None
        self.schema_ready = False
        self.failed_at: float | None = None
        self.retry_at = 0.0
        self.probing = False

    def admit(self, retry_s: float) -> bool:
        """Whether this call may use the database, and whether it is the one probing it.

        Raises DatabaseError at once while the database is down, except for one call
        per ``retry_s`` that tries again.
        """
        with self.lock:
            if self.failed_at is None:
                return False
            if self.probing or time.monotonic() < self.retry_at:
                down = time.monotonic() - self.failed_at
                raise DatabaseError(
                    f"The database (ASSISTANT_DATABASE__URL) has not answered for {down:.0f} s; "
                    "it is tried again every few seconds. Check that PostgreSQL is running "
                    "and reachable."
                )
            self.probing = True
            return True

    def connection(self, database: Database, probe: bool) -> tuple[Any, Any]:
        """A pooled connection that answers, and its pool.

        An idle connection the server has closed (it was restarted) is noticed here,
        by an empty query, rather than by the caller's first statement: the pool it
        came from is then made afresh, once, so the call succeeds when the database
        is back and fails at once when it is not.
        """
        pool = self.pool_for(database, probe)
        conn = pool.getconn(timeout=database.connect_timeout_s)
        if _answers(conn):
            return pool, conn
        pool.putconn(conn)  # broken: the pool drops it
        self.discard(pool)
        pool = self.pool_for(database, probe=True)
        return pool, pool.getconn(timeout=database.connect_timeout_s)

    def pool_for(self, database: Database, probe: bool) -> Any:
        """The pool, made on first use (after one direct attempt, so a wrong URL fails at once)."""
        import psycopg
        from psycopg_pool import ConnectionPool

        with self.opening:
            if self.pool is not None:
                return self.pool
            if self.failed_at is not None and not probe:
                raise DatabaseError(
                    "The database (ASSISTANT_DATABASE__URL) did not answer just now; "
                    "check that PostgreSQL is running and reachable."
                )
            seconds = max(2, math.ceil(database.connect_timeout_s))  # libpq's least is 2 s
            psycopg.connect(database.url, connect_timeout=seconds).close()
            # the pool would warn at every attempt to reconnect; this module says it once
            logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
            pool = ConnectionPool(
                database.url,
                min_size=1,
                max_size=database.pool_size,
                open=True,
                timeout=database.connect_timeout_s,
                kwargs={"connect_timeout": seconds},
            )
            with self.lock:
                self.pool = pool
            return pool

    def failed(self, problem: DatabaseError, retry_s: float, broken: bool) -> None:
        now = time.monotonic()
        with self.lock:
            first = self.failed_at is None
            if first:
                self.failed_at = now
            self.retry_at = now + retry_s
            pool, self.pool = (self.pool, None) if broken else (None, self.pool)
        if pool is not None:
            pool.close(
                timeout=0
            )  # waiting callers fail at once; connections in use close on return
        if first:
            log.error("%s Requests go on without it until it answers again.", problem)

    def discard(self, pool: Any) -> None:
        """Throw ``pool`` away (if it is still this URL's): the next call makes a new one."""
        with self.lock:
            if self.pool is not pool:
                return
            self.pool = None
        pool.close(timeout=0)  # waiting callers fail at once; connections in use close on return

    def succeeded(self) -> None:
        if self.failed_at is None:
            return
        with self.lock:
            failed_at, self.failed_at = self.failed_at, None
        if failed_at is not None:
            log.warning("The database answers again, after %.1f s.", time.monotonic() - failed_at)


_links: dict[str, _Link] = {}
_links_lock = threading.Lock()


def _answers(conn: Any) -> bool:
    """Whether a connection from the pool still reaches the server (an empty query, outside
    any transaction: the pool's own check)."""
    import psycopg
    from psycopg_pool import ConnectionPool

    try:
        ConnectionPool.check_connection(conn)
    except psycopg.Error:
        return False
    return True


def _link(url: str) -> _Link:
    with _links_lock:
        link = _links.get(url)
        if link is None:
            link = _links[url] = _Link()
        return link


def _problem(exc: BaseException) -> DatabaseError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatabaseError(
        f"The database (ASSISTANT_DATABASE__URL) cannot be used: {first}. Check that "
        "PostgreSQL is running, the URL (host, port, user, password, database) is right and "
        "the pgvector extension is installed (`bash scripts/local-db.sh` runs a local one)."
    )


def connect(url: str, pool_size: int = 4) -> Any:
    """``Database(url, pool_size).connect()``: no statement limit (ingest, publishing)."""
    return Database(url, pool_size).connect()


def _create_schema(conn: Any) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        conn.execute(SCHEMA)


def close_pools() -> None:
    """Close every pool of this process and forget every failure (tests, a server stopping)."""
    with _links_lock:
        links = list(_links.values())
        _links.clear()
    for link in links:
        if link.pool is not None:
            link.pool.close()
