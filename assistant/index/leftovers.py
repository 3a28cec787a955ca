"""What a killed ingest leaves in the index folder, and its removal by the next one.

A build is written in ``builds/.<name>-<pid>.partial`` and the pointer in
``.CURRENT.<pid>.tmp``; both end in the id of the writing process, so a
leftover whose writer has exited can be told from the work of an ingest that
is still running.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

_WRITER_PID = re.compile(r"(\d+)\.(?:partial|tmp)$")


def _writer_is_gone(name: str) -> bool:
    """Whether the process whose id ends a leftover's name (``…-<pid>.partial``) has exited."""
    found = _WRITER_PID.search(name)
    pid = int(found.group(1)) if found else 0
    if pid <= 0:
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove the partial builds and pointer files of ingests that are no longer running.

    Returns the names removed. Called at the start of every ingest.
    """
    removed = []
    leftovers = [*(index_dir / "builds").glob(".*.partial"), *index_dir.glob(".CURRENT.*.tmp")]
    for leftover in leftovers:
        if leftover.is_dir():
            if _writer_is_gone(leftover.name):
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover.name)
        elif _writer_is_gone(leftover.name):
            leftover.unlink(missing_ok=True)
            removed.append(leftover.name)
    return removed
