"""Keys and feedback in PostgreSQL: the pg_dump / pg_restore commands of docs/operations.md.

A dump of the two tables is restored into a fresh database, and over the wiped one;
every key and feedback row is found again through the stores.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from assistant.components.database import close_pools
from assistant.database import feedback_store, key_store
from assistant.settings import DatabaseSettings, Settings
from assistant.stores.feedback import Feedback
from tests.support.postgres import client_program, fresh_database

pytestmark = pytest.mark.slow  # starts a PostgreSQL server (a few seconds, once)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _settings(url: str) -> Settings:
    return Settings(database=DatabaseSettings(url=url))


def dump(server: Any, url: str, file: Path) -> None:
    subprocess.run(
        [str(client_program(server, "pg_dump")), "--format=custom", "--table=api_keys",
         "--table=feedback", f"--file={file}", url],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def restore(server: Any, url: str, file: Path) -> None:
    subprocess.run(
        [str(client_program(server, "pg_restore")), "--clean", "--if-exists", "--no-owner",
         f"--dbname={url}", str(file)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def test_the_documented_commands_are_the_ones_tested() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert (
        "pg_dump --format=custom --table=api_keys --table=feedback "
        '--file=assistant-data.dump "$ASSISTANT_DATABASE__URL"'
    ) in text
    assert (
        'pg_restore --clean --if-exists --no-owner --dbname="$ASSISTANT_DATABASE__URL" '
        "assistant-data.dump"
    ) in text


def test_a_dump_restored_into_a_fresh_database_and_over_a_wiped_one_loses_nothing(
    postgres_server: Any, database_url: str, tmp_path: Path
) -> None:
    keys, store = key_store(_settings(database_url)), feedback_store(_settings(database_url))
    made = {name: keys.create(name, admin=name == "ops") for name in ("partner", "ops", "gone")}
    keys.revoke("gone")
    first = store.add(Feedback("up", "Hva er tiårsmål 2?", "HPV [1]", [{"n": 1, "quote": "…"}]))
    store.add(Feedback("down", "Hva koster pizza?", "Ikke funnet.", abstained=True))
    store.update(first, comment="nyttig")
    keys_before, feedback_before = keys.list_keys(), [e.to_dict() for e in store.entries()]
    file = tmp_path / "assistant-data.dump"
    dump(postgres_server, database_url, file)

    fresh = fresh_database(postgres_server)
    restore(postgres_server, fresh, file)
    with psycopg.connect(database_url) as db:  # wipe the original
        db.execute("DELETE FROM api_keys")
        db.execute("DELETE FROM feedback")
    restore(postgres_server, database_url, file)
    close_pools()

    for url in (fresh, database_url):
        keys, store = key_store(_settings(url)), feedback_store(_settings(url))
        assert keys.list_keys() == keys_before
        assert keys.verify(made["partner"]) is not None
        assert keys.verify(made["gone"]) is None
        assert [e.to_dict() for e in store.entries()] == feedback_before
        assert store.add(Feedback("up", "Ny", "Svar")) == 3  # the id sequence came along
