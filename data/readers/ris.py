"""Read RIS files (reference managers' exchange format) with rispy, record by record."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import rispy

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.json_records import papers_from_whole_file
from abstract_search.data.readers.lines import require_file

END_OF_RECORD = re.compile(r"^ER  -")
LIST_TAGS = [*rispy.LIST_TYPE_TAGS, "AB", "N2"]  # an abstract may come over several AB (or N2) lines
RIS_YEAR = re.compile(r"^\s*(\d{4})")


def read_ris(path: Path | str) -> Iterator[Paper | Rejected]:
    """Stream papers from a RIS file: one per TY ... ER record with an abstract (AB or N2)."""
    return papers_from_whole_file(require_file(path), "RIS", "split it into several .ris files", _records)


def _records(text: str, source: str) -> Iterator[tuple[int, dict] | Rejected]:
    """Yield (line number, record) per RIS record, each parsed alone, so one bad record is rejected alone."""
    start, chunk = 0, []
    for number, line in enumerate(text.splitlines(), 1):
        if not chunk and not line.strip():
            continue
        if not chunk:
            start = number
        chunk.append(line)
        if END_OF_RECORD.match(line):
            yield _parsed(chunk, start, source)
            chunk = []
    if any(line.strip() for line in chunk):
        yield Rejected(source, start, "RIS record has no end line (ER  - )")


def _parsed(lines: list[str], start: int, source: str) -> tuple[int, dict] | Rejected:
    """Return one record's fields under the common field names, or a Rejected naming what rispy refused."""
    try:
        entries = rispy.loads("\n".join(lines) + "\n", list_tags=LIST_TAGS)
    except Exception as error:  # rispy raises IOError/ValueError/KeyError by the kind of damage
        return Rejected(source, start, f"not a readable RIS record: {error}")
    if len(entries) != 1:
        return Rejected(source, start, "not a readable RIS record: it must start with a TY line")
    if sum(1 for line in lines if line.startswith("TY  -")) > 1:
        return Rejected(source, start, "RIS record has a second TY line before its ER line")
    entry = entries[0]
    year = entry.get("year") or entry.get("publication_year")
    year_match = RIS_YEAR.match(year) if isinstance(year, str) else None  # "n.d.", "in press": no year
    urls = entry.get("urls") or []
    return start, {
        "id": entry.get("id"),
        "title": entry.get("title") or entry.get("primary_title"),
        "abstract": _joined(entry.get("abstract") or entry.get("notes_abstract")),
        "authors": [_reading_order(name) for name in (entry.get("authors") or []) + (entry.get("first_authors") or [])],
        "year": year_match.group(1) if year_match else None,
        "categories": entry.get("keywords") or [],
        "doi": entry.get("doi"),
        "url": urls[0] if urls else None,
    }


def _joined(value):
    """Return an abstract given over several AB lines as one text."""
    return " ".join(part for part in value if isinstance(part, str)) if isinstance(value, list) else value


def _reading_order(name):
    """Return "Last, First[, Suffix]" as "First Last Suffix"; anything else as given."""
    if not isinstance(name, str) or name.count(",") not in (1, 2):
        return name
    last, first, *suffix = (part.strip() for part in name.split(","))
    return " ".join(part for part in (first, last, *suffix) if part)
