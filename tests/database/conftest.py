"""One private PostgreSQL server per test session; a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.components.database import close_pools
from tests.support.postgres import fresh_database, private_postgres


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real PostgreSQL 16 with pgvector, started from Python in a temporary folder."""
    with private_postgres(tmp_path_factory.mktemp("pgdata")) as server:
        yield server


@pytest.fixture
def database_url(postgres_server: Any) -> Iterator[str]:
    """The URL of an empty database of its own (tables are made on first use)."""
    yield fresh_database(postgres_server)
    close_pools()
