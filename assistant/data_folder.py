"""The data folder (API keys, feedback): private to the user the server runs as.

The folder is created 0700 and its files 0600, since feedback holds the
questions clinicians asked and the key store who may call the API.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def prepare(data_dir: Path) -> Path:
    """Create ``data_dir`` (mode 0700) if it is missing; OSError when that is impossible."""
    if not data_dir.is_dir():
        data_dir.mkdir(parents=True, mode=FOLDER_MODE, exist_ok=True)
        os.chmod(data_dir, FOLDER_MODE)  # mkdir's mode is narrowed by the umask, never widened
    return data_dir


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists with mode 0600 (narrowing a file an older version left 0644)."""
    prepare(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(descriptor).st_mode) != FILE_MODE:
            os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def unwritable_reason(data_dir: Path) -> str | None:
    """None when files can be written in ``data_dir`` (or it can be created); else why not.

    Creates nothing that stays: an existing folder is probed with a temporary
    file, a missing one by the rights on the nearest existing folder above it.
    """
    if data_dir.is_dir():
        try:
            with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".probe-"):
                return None
        except OSError as exc:
            return exc.strerror or type(exc).__name__
    ancestor = data_dir
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor.name} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return "permission denied"
    return None
