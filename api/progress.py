"""The progress bar the commands show on stderr: count, rate and time left; the rooms below report by callback."""

from __future__ import annotations

import sys
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


@contextmanager
def progress_bar(label: str, total: int | None = None, show: bool = True) -> Iterator[Callable[[int], None]]:
    """Show a bar on stderr while the block runs; yield the callback that advances it by n papers."""
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=Console(file=sys.stderr), disable=not show, transient=False,
    )
    with progress:
        task = progress.add_task(label, total=total, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            elapsed, done = progress.tasks[0].elapsed or 0, progress.tasks[0].completed
            progress.update(task, rate=f"{done / elapsed:,.0f} papers/s" if elapsed else "")

        yield advance
