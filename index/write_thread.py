"""The thread writes embed in: one per process, at a lower CPU priority, so searches keep the cores they need."""

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
_guard = threading.Lock()


def _lower_priority(niceness: int) -> None:
    """Raise this thread's nice value (Linux schedules threads one by one; elsewhere this may do nothing)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, os.getpriority(os.PRIO_PROCESS, 0) + niceness))
    except (AttributeError, OSError) as exc:  # no setpriority (Windows), or not allowed
        log.debug("could not lower the embedding thread's priority: %s", exc)


def run_at_low_priority(niceness: int, work: Callable[[], T]) -> T:
    """Run `work` in this process's embedding thread, `niceness` steps below normal priority, and return its result.

    With niceness 0 it runs here, in the caller's thread.
    """
    if niceness <= 0:
        return work()
    with _guard:
        executor = _executors.get(niceness)
        if executor is None:
            executor = _executors[niceness] = ThreadPoolExecutor(
                1, thread_name_prefix="embed-writes", initializer=_lower_priority, initargs=(niceness,))
    return executor.submit(work).result()
