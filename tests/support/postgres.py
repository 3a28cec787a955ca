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


def fresh_database(server: Any) -> str:
    """A new, empty database on ``server``; its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name};")
    return str(server.get_uri(name))
