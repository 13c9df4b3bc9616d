"""Shared timing helpers for the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np


def timed_calls(call: Callable[[object], object], items: Iterable, warmup: int = 10) -> list[float]:
    """Call `call(item)` for each item after a warm-up, and return each call's milliseconds."""
    items = list(items)
    for item in items[:warmup]:
        call(item)
    latencies = []
    for item in items:
        start = time.perf_counter()
        call(item)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def p50_p99(latencies_ms: list[float]) -> str:
    """Return 'p50 / p99' in milliseconds."""
    a = np.array(latencies_ms)
    return f"{np.percentile(a, 50):6.2f} / {np.percentile(a, 99):6.2f}"
