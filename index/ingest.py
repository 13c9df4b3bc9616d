"""Feed a stream of corpus records into an index in durable chunks, with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from data.paper import Paper, Rejected
from data.readers.lines import GZIP_ERRORS, open_binary
from index.writer import WriteReport

CHUNK = 4096  # papers per transaction: a killed build resumes from the last committed chunk


@dataclass
class IngestReport:
    """What an ingest kept, changed and skipped."""

    write: WriteReport = field(default_factory=WriteReport)
    skipped: list[Rejected] = field(default_factory=list)

    @property
    def read(self) -> int:
        """Return how many records were read, good or bad."""
        w = self.write
        return len(w.added) + len(w.updated) + len(w.unchanged) + len(w.rejected) + len(self.skipped)


def count_records(path: Path) -> int | None:
    """Return the number of lines of a line-based corpus file (gzip too), for the progress bar's time left."""
    lines, last = 0, b"\n"
    try:
        with open_binary(Path(path)) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except GZIP_ERRORS:
        return None
    return lines + (last != b"\n")  # a last line without a newline counts too


def make_progress(show: bool) -> Progress:
    """Return a progress bar on stderr showing count, rate and time left."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        disable=not show,
        transient=False,
    )


def ingest(
    records: Iterable[Paper | Rejected],
    add: Callable[[list[Paper]], WriteReport],
    total: int | None = None,
    chunk_size: int = CHUNK,
    show_progress: bool = True,
    label: str = "indexing",
) -> IngestReport:
    """Add every good record in chunks, each one transaction, and collect the skipped ones."""
    report = IngestReport()
    with make_progress(show_progress) as progress:
        task = progress.add_task(label, total=total, rate="")
        pending: list[Paper] = []

        def flush() -> None:
            report.write.merge(add(pending))
            progress.advance(task, len(pending))
            elapsed = progress.tasks[0].elapsed or 0
            done = progress.tasks[0].completed
            progress.update(task, rate=f"{done / elapsed:,.0f} papers/s" if elapsed else "")
            pending.clear()

        for record in records:
            if isinstance(record, Rejected):
                report.skipped.append(record)
                progress.advance(task, 1)
                continue
            pending.append(record)
            if len(pending) >= chunk_size:
                flush()
        if pending:
            flush()
    return report
