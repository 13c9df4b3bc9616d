"""One saver at a time per index directory, across processes: an advisory lock on the directory itself.

Locking the directory's own descriptor needs no lock file, so it costs no inode and works on any index a
process can open (a full disk has no room for one more file).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def save_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index directory's save lock (released by the kernel if the process dies)."""
    fd = os.open(Path(index_dir), os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
