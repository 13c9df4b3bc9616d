"""Atomic file writes: write a temporary file, fsync it, then rename it over the old one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from abstract_search.index.crashpoints import reach


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry so that a rename survives a power loss."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_orphans(path: Path) -> None:
    """Delete temporary files of `path` left by writers that were killed (their process is gone)."""
    for orphan in path.parent.glob(f".{path.name}.tmp-*"):
        pid = orphan.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            orphan.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Return whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp_path)`, fsync the result, and rename it to `path` in one step."""
    remove_orphans(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        reach(f"written:{path.name}")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        reach(f"synced:{path.name}")
        os.replace(tmp, path)
        reach(f"renamed:{path.name}")
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
    reach(f"dir-synced:{path.name}")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
