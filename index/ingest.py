"""Feed a stream of corpus records into an index in durable chunks, reporting progress by callback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.lines import GZIP_ERRORS, open_binary
from abstract_search.index.writer import WriteReport

CHUNK = 4096  # papers per transaction at most: a killed build resumes from the last committed chunk
# ... and a chunk takes about this long to embed, so an interrupted build on a slow CPU (13 papers/s on
# 2 cores) loses seconds of work, not a 4,096-paper chunk (5 minutes). The first chunk measures the rate.
COMMIT_EVERY_S = 10.0
FIRST_CHUNK = 64


@dataclass
class IngestReport:
    """What an ingest kept, changed and skipped."""

    write: WriteReport = field(default_factory=WriteReport)
    skipped: list[Rejected] = field(default_factory=list)
    stopped: bool = False  # asked to stop before the end: what was committed stays

    @property
    def read(self) -> int:
        """Return how many records were read, good or bad."""
        w = self.write
        return len(w.added) + len(w.updated) + len(w.unchanged) + len(w.rejected) + len(self.skipped)


LINE_FORMATS = {"jsonl", "beir", "arxiv", "openalex", "s2", "csv"}  # one record a line (CSV: after its header)


def count_records(path: Path, fmt: str) -> int | None:
    """Return about how many records a line-based corpus file (gzip too) holds, for the progress bar's time
    left: its non-blank lines, less a CSV header; None for other formats (the bar's total is set right at the end)."""
    if fmt not in LINE_FORMATS:
        return None
    records = 0
    try:
        with open_binary(Path(path)) as handle:
            records = sum(1 for line in handle if line.strip())
    except GZIP_ERRORS:
        return None
    return max(records - (fmt == "csv"), 0)  # a CSV cell over several lines makes this an estimate


def ingest(
    records: Iterable[Paper | Rejected],
    add: Callable[[list[Paper]], WriteReport],
    chunk_size: int = CHUNK,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> IngestReport:
    """Add every good record in chunks, each one transaction, and collect the skipped ones.

    A chunk is at most `chunk_size` papers and about COMMIT_EVERY_S of embedding. `on_progress(n)` is told of
    every n records dealt with (the door shows it as a progress bar); when `should_stop()` turns true the
    records not yet committed are left, and the report says it stopped.
    """
    report = IngestReport()
    progress = on_progress or (lambda n: None)
    pending: list[Paper] = []
    size = min(FIRST_CHUNK, chunk_size)

    def flush() -> None:
        nonlocal size
        started = time.monotonic()
        written = add(pending)
        report.write.merge(written)
        embedded = len(written.added) + len(written.updated)  # unchanged papers are not embedded: not timed
        if embedded:
            per_paper = (time.monotonic() - started) / embedded
            wanted = int(COMMIT_EVERY_S / per_paper) if per_paper > 0 else chunk_size
            size = max(1, min(chunk_size, 2 * size, wanted))  # at most doubling: a resume's fast start misleads
        progress(len(pending))
        pending.clear()

    for record in records:
        if should_stop():
            report.stopped = True
            return report
        if isinstance(record, Rejected):
            report.skipped.append(record)
            progress(1)
            continue
        pending.append(record)
        if len(pending) >= size:
            flush()
    if pending and not should_stop():
        flush()
    report.stopped = bool(pending)  # a stop asked for during the last batch left nothing unread
    return report
