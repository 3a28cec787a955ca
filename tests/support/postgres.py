"""A private PostgreSQL 16 with pgvector (the ``pgserver`` package) for tests."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def private_postgres(folder: Path) -> Iterator[Any]:
    """Start a server with its data in ``folder`` (a Unix socket, no TCP port); stop it after."""
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime folder; without XDG_RUNTIME_DIR (CI) it
        # warns and falls back to /tmp, which is fine here
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        if running(server):  # restarted by a test (a new postmaster): pgserver does not stop it
            stop(server)


def fresh_database(server: Any) -> str:
    """A new, empty database on ``server``; its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name};")
    return str(server.get_uri(name))


def stop(server: Any) -> None:
    """Stop the server (``pg_ctl stop``, fast mode: sessions are ended), keeping its data."""
    from pgserver._commands import pg_ctl

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def start(server: Any) -> None:
    """Start a stopped server again on the same socket, so its URLs stay the same."""
    from pgserver._commands import pg_ctl

    socket_dir = server.get_postmaster_info().socket_dir
    pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start"],
        pgdata=server.pgdata,
        user=server.system_user,
        timeout=30,
    )


def running(server: Any) -> bool:
    """Whether the server is up (its ``postmaster.pid`` names a live process)."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(server.pgdata)
    return info is not None and info.is_running()


def client_program(server: Any, name: str) -> Path:
    """A PostgreSQL client program of the server's own version (pg_dump, pg_restore, psql)."""
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / name
