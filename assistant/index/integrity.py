"""What a complete build holds, and the check that it still holds it.

At the end of a build every file of the build folder (recursively, whatever
files the build has) is listed in the manifest with its size and SHA-256.
Loading compares sizes always and hashes when asked (start-up, reload, the
CLI), so a truncated, deleted or changed file is noticed before it is used.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class BuildDamagedError(RuntimeError):
    """One build cannot be used; ``file`` names the culprit, the message says what is wrong."""

    def __init__(self, build: Path, file: str, problem: str):
        super().__init__(f"{file} {problem}")
        self.build = build
        self.file = file
        self.problem = problem


def sha256_of(path: Path) -> str:
    """The sha256 of a file (hashlib reads it in blocks)."""
    with path.open("rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


def list_files(build: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``build`` but the manifest: ``{relative path: {size, sha256}}``."""
    files = {}
    for path in sorted(p for p in build.rglob("*") if p.is_file()):
        name = path.relative_to(build).as_posix()
        if name != MANIFEST:
            files[name] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    return files


def verify_files(build: Path, manifest: dict[str, Any], hashes: bool = True) -> None:
    """Raise BuildDamagedError for the first listed file that is missing or changed.

    Sizes are always compared; contents (SHA-256) only when ``hashes``.
    """
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise BuildDamagedError(
            build, MANIFEST, "lists no files (the build is from an older version)"
        )
    for name, expected in sorted(files.items()):
        path = build / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise BuildDamagedError(build, name, "is missing") from None
        if size != expected.get("size"):
            raise BuildDamagedError(
                build, name, f"has {size} bytes where the manifest lists {expected.get('size')}"
            )
        if hashes and sha256_of(path) != expected.get("sha256"):
            raise BuildDamagedError(build, name, "does not match its SHA-256 in the manifest")
