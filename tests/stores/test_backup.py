"""`assistant data backup` / `restore`: keys and feedback survive a wiped data folder."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.stores.backup import BackupError, backup, restore, summary
from assistant.stores.feedback import Feedback, FeedbackStore
from assistant.stores.keys import KeyStore


def assistant(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment.update(ASSISTANT_SERVER__DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fill(data_dir: Path) -> tuple[dict[str, str], FeedbackStore]:
    """Keys (one admin, one revoked) and feedback (a comment added later) in ``data_dir``."""
    keys = KeyStore(data_dir)
    made = {name: keys.create(name, admin=name == "ops") for name in ("partner", "ops", "gone")}
    keys.revoke("gone")
    store = FeedbackStore.in_folder(data_dir)
    first = store.add(Feedback("up", "Hva er tiårsmål 2?", "HPV [1]", [{"n": 1, "quote": "…"}]))
    store.add(Feedback("down", "Hva koster pizza?", "Ikke funnet.", abstained=True))
    store.update(first, comment="=nyttig")
    return made, store


def test_backup_then_wipe_then_restore_loses_no_key_and_no_feedback_row(tmp_path: Path) -> None:
    data_dir, folder = tmp_path / "data", tmp_path / "backup-2026-12-02"
    made, store = fill(data_dir)
    keys_before, feedback_before = KeyStore(data_dir).list_keys(), store.entries()

    backed = assistant(data_dir, "data", "backup", str(folder))
    assert backed.returncode == 0, backed.stderr
    assert f"Backed up 3 key(s) and 2 feedback row(s) to {folder}." in backed.stdout
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in folder.iterdir())

    shutil.rmtree(data_dir)
    restored = assistant(data_dir, "data", "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    assert "Restored 3 key(s) and 2 feedback row(s)" in restored.stdout

    keys = KeyStore(data_dir)
    assert keys.list_keys() == keys_before
    assert keys.verify(made["partner"]) is not None
    assert keys.verify(made["gone"]) is None  # still revoked
    ops = keys.verify(made["ops"])
    assert ops is not None
    assert ops.admin
    again = FeedbackStore.in_folder(data_dir)
    assert [e.to_dict() for e in again.entries()] == [e.to_dict() for e in feedback_before]
    assert again.add(Feedback("up", "Ny", "Svar")) == 3  # ids go on after the restored ones


def test_restore_replaces_what_the_data_folder_holds(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    fill(data_dir)
    backup(data_dir, tmp_path / "b")
    KeyStore(data_dir).create("made-after-the-backup")
    FeedbackStore.in_folder(data_dir).add(Feedback("up", "Etter", "Svar"))
    held = restore(tmp_path / "b", data_dir)
    assert (held.keys, held.feedback) == (3, 2)
    assert "made-after-the-backup" not in [k.name for k in KeyStore(data_dir).list_keys()]
    assert len(FeedbackStore.in_folder(data_dir).entries()) == 2


def test_an_empty_data_folder_backs_up_empty_stores(tmp_path: Path) -> None:
    held = backup(tmp_path / "never-used", tmp_path / "b")
    assert (held.keys, held.feedback) == (0, 0)
    assert restore(tmp_path / "b", tmp_path / "data") == held
    assert KeyStore(tmp_path / "data").list_keys() == []


def test_a_backup_taken_while_feedback_is_written_is_one_snapshot(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = FeedbackStore.in_folder(data_dir)
    store.add(Feedback("up", "Først", "Svar"))
    writing = threading.Event()
    done = threading.Event()

    def write() -> None:
        while not done.is_set():
            store.add(Feedback("up", "Spørsmål", "Svar"))
            writing.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        writing.wait(10)
        folders = [tmp_path / f"b{n}" for n in range(5)]
        for folder in folders:
            backup(data_dir, folder)
    finally:
        done.set()
        writer.join()
    for folder in folders:
        restore(folder, tmp_path / "check")
        ids = [e.id for e in FeedbackStore.in_folder(tmp_path / "check").entries()]
        assert ids == list(range(1, len(ids) + 1))  # no row half-written, none missing


def test_what_cannot_be_done_is_said_in_one_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    fill(data_dir)
    backup(data_dir, tmp_path / "b")
    with pytest.raises(BackupError, match="already holds a backup"):
        backup(data_dir, tmp_path / "b")
    with pytest.raises(BackupError, match="holds no backup"):
        summary(tmp_path / "nothing-here")
    (tmp_path / "b" / "feedback.sqlite3").write_bytes(b"not a database at all" * 100)
    KeyStore(data_dir).create("made-after-the-backup")
    refused = assistant(data_dir, "data", "restore", str(tmp_path / "b"))
    assert refused.returncode == 2
    assert refused.stderr.startswith("assistant: ")
    assert "feedback.sqlite3" in refused.stderr
    assert len(KeyStore(data_dir).list_keys()) == 4  # nothing was changed

    shared = assistant(
        data_dir,
        "data",
        "backup",
        str(tmp_path / "c"),
        ASSISTANT_DATABASE__URL="postgresql://nobody@/none?host=/nonexistent",
    )
    assert shared.returncode == 2
    assert "pg_dump" in shared.stderr
    assert not (tmp_path / "c").exists()
