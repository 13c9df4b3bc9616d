"""The progress the commands show on stderr: a bar with rate and time left on a terminal, and a plain line
every few seconds otherwise (a log, a CI job, a pipe); the rooms below report by callback."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

LINE_EVERY_S = 10.0  # how often a progress line is written when stderr is not a terminal


@contextmanager
def progress_bar(label: str, total: int | None = None, unit: str = "papers") -> Iterator[Callable[[int], None]]:
    """Show progress on stderr while the block runs; yield the callback that advances it by n items.

    A total that turns out wrong (a file's line count includes blank lines) is corrected at the end, so
    the last figure is never "2000/2001".
    """
    if not sys.stderr.isatty():
        with progress_lines(label, total, unit) as advance:
            yield advance
        return
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=Console(file=sys.stderr), transient=False,
    )
    with progress:
        task = progress.add_task(label, total=total, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            elapsed, done = progress.tasks[0].elapsed or 0, progress.tasks[0].completed
            progress.update(task, rate=f"{done / elapsed:,.0f} {unit}/s" if elapsed else "")

        try:
            yield advance
        finally:
            progress.update(task, total=progress.tasks[0].completed)


@contextmanager
def progress_lines(label: str, total: int | None, unit: str) -> Iterator[Callable[[int], None]]:
    """Write "label: done/total (n%), rate, about t left" to stderr at most every LINE_EVERY_S, and at the end."""
    started = last = time.monotonic()
    done = 0

    def line(final: bool = False) -> None:
        elapsed = max(time.monotonic() - started, 1e-9)
        rate = done / elapsed
        of = done if final else None if total is None else max(total, done)  # unknown total: no "n/n (100%)"
        counted = f"{done:,}/{of:,} {unit} ({100 * done / of:.0f}%)" if of else f"{done:,} {unit}"
        left = "" if final or not total or not rate else f", about {_duration((of - done) / rate)} left"
        tail = f" in {_duration(elapsed)}" if final else ""
        print(f"{label}: {counted}, {rate:,.1f} {unit}/s{left}{tail}", file=sys.stderr, flush=True)

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        if time.monotonic() - last >= LINE_EVERY_S:
            last = time.monotonic()
            line()

    try:
        yield advance
    finally:
        line(final=True)


def _duration(seconds: float) -> str:
    """Return seconds as "42s", "3m 05s" or "1h 02m"."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
