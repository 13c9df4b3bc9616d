"""Feed a stream of corpus records into an index in durable chunks, reporting progress by callback."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.lines import GZIP_ERRORS, open_binary
from abstract_search.index.writer import WriteReport

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


def ingest(
    records: Iterable[Paper | Rejected],
    add: Callable[[list[Paper]], WriteReport],
    chunk_size: int = CHUNK,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Add every good record in chunks, each one transaction, and collect the skipped ones.

    `on_progress(n)` is told of every n records dealt with (the door shows it as a progress bar).
    """
    report = IngestReport()
    progress = on_progress or (lambda n: None)
    pending: list[Paper] = []

    def flush() -> None:
        report.write.merge(add(pending))
        progress(len(pending))
        pending.clear()

    for record in records:
        if isinstance(record, Rejected):
            report.skipped.append(record)
            progress(1)
            continue
        pending.append(record)
        if len(pending) >= chunk_size:
            flush()
    if pending:
        flush()
    return report
