"""Damage done to index builds on disk, for the tests of what the assistant does about it."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.index.store import current_build


def two_builds(index_dir: Path, target: Path) -> tuple[Path, Path]:
    """Copy ``index_dir`` to ``target`` and its build as a newer one in service: (older, newer)."""
    shutil.copytree(index_dir, target, ignore=shutil.ignore_patterns("cache"))
    older = current_build(target)
    newer = older.with_name(older.name + "-b")  # sorts after the original
    shutil.copytree(older, newer)
    (target / "CURRENT").write_text(newer.name + "\n", encoding="utf-8")
    return older, newer


def truncate(path: Path) -> None:
    """Cut the file to half its size."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip_bytes(path: Path, count: int = 2000) -> None:
    """Change ``count`` bytes in the middle of the file; the size stays the same."""
    data = bytearray(path.read_bytes())
    start = max(0, len(data) // 2 - count // 2)
    for i in range(start, min(len(data), start + count)):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
