"""The thread every write of a process runs in, one at a time, below normal CPU priority.

On a machine whose cores are all busy, a batch being embedded would otherwise take CPU time from the
searches running beside it. Measured by bench/writes_during_search.py on 2 cores: search p99 during
1,000 adds was 2.2x the p99 without writes with only the embedding lowered, 1.9x with the whole write
(embedding, commit and catch-up) in this thread.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_executors: dict[int, ThreadPoolExecutor] = {}
_write_threads: set[int] = set()
_guard = threading.Lock()


def _lower_priority(niceness: int) -> None:
    """Raise this thread's nice value (Linux schedules each thread on its own; elsewhere this may do nothing)."""
    _write_threads.add(threading.get_ident())
    try:
        base = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, base + niceness))
    except (AttributeError, OSError) as exc:  # no setpriority (Windows), or not allowed
        log.debug("could not lower the write thread's priority: %s", exc)


def run_in_write_thread(niceness: int, work: Callable[[], T]) -> T:
    """Run `work` in this process's write thread, `niceness` steps below normal priority, and return its result
    (or raise its error). With niceness 0, or from the write thread itself, it runs in the caller's thread."""
    if niceness <= 0 or threading.get_ident() in _write_threads:
        return work()
    with _guard:
        executor = _executors.get(niceness)
        if executor is None:
            executor = _executors[niceness] = ThreadPoolExecutor(
                1, thread_name_prefix="writes", initializer=_lower_priority, initargs=(niceness,))
    return executor.submit(work).result()
