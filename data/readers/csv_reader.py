"""Read papers from a CSV file with a header row and a configurable field mapping."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator, Mapping

from abstract_search.data.errors import CorpusError
from abstract_search.data.ids import FirstOfEachId
from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import (
    ABSTRACT_FALLBACKS,
    RecordError,
    paper_from_record,
    resolve_field_map,
)
from abstract_search.data.readers.lines import Line, iter_lines, require_file

# characters in one CSV field: past the readers' 100,000-character limit, so that limit's message is the one
# a long abstract gets, yet far below the 4 MiB line cap times many lines, which a runaway quote would reach
FIELD_LIMIT = 1 << 20


def read_csv(
    path: Path | str, *, field_map: Mapping[str, str] | None = None, delimiter: str = ","
) -> Iterator[Paper | Rejected]:
    """Stream papers from a CSV file; `field_map` maps Paper field -> column name."""
    path = require_file(path)
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise CorpusError(f"delimiter must be one character, got {delimiter!r}")
    # Header names are matched case-insensitively.
    fields = {name: key.strip().lower() for name, key in resolve_field_map(field_map).items()}
    fallbacks = () if field_map and "abstract" in field_map else ABSTRACT_FALLBACKS
    return _read(path, fields, fallbacks, delimiter)


def _read(
    path: Path, fields: dict[str, str], fallbacks: tuple[str, ...], delimiter: str
) -> Iterator[Paper | Rejected]:
    """Yield one Paper or Rejected per data row."""
    source = path.name
    bad_lines: dict[int, str] = {}
    fatal: list[Line] = []
    ids = FirstOfEachId()

    def feed() -> Iterator[str]:
        """Yield decoded lines to csv, noting bad ones by number."""
        # csv needs the line endings to join quoted fields that span lines.
        for line in iter_lines(path, keep_ends=True):
            if line.fatal:
                fatal.append(line)
                return
            if line.error:
                bad_lines[line.number] = line.error
            yield line.text

    # csv refuses fields over 128 KiB by default; an abstract that long is still a record, as in JSON Lines.
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.reader(feed(), delimiter=delimiter)
    header: list[str] | None = None
    last_line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            last_line = reader.line_num
            yield Rejected(source, reader.line_num, f"CSV error: {error}")
            continue
        first_line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        bad = [n for n in range(first_line, last_line + 1) if n in bad_lines]
        if bad:
            yield Rejected(source, bad[0], bad_lines[bad[0]])
            if header is not None:
                continue
        if header is None:
            header = [name.strip().lower() for name in row]
            if not {fields["abstract"], *fallbacks} & set(header):
                yield Rejected(
                    source, first_line,
                    f"header has no {fields['abstract']!r} column (columns: {', '.join(header)})",
                )
                return
            continue
        if len(row) != len(header):
            yield Rejected(source, first_line, f"row has {len(row)} fields, header has {len(header)}")
            continue
        record = {name: (value if value.strip() else None) for name, value in zip(header, row)}
        try:
            paper = paper_from_record(record, fields, source, fallbacks)
        except RecordError as error:
            yield Rejected(source, first_line, str(error))
            continue
        duplicate = ids.duplicate(paper.id, f"line {first_line}")
        yield Rejected(source, first_line, duplicate) if duplicate else paper
    for line in fatal:
        yield Rejected(source, line.number, line.error or "unreadable")
