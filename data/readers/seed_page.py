"""Read the seed "profile page" format: an owner's profile, then one block per paper."""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata
from pathlib import Path
from typing import Iterator

from abstract_search.data.errors import CorpusError
from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import MONTHS, RecordError, check_length, clean_text, make_date, split_list, split_names
from abstract_search.data.readers.lines import Line, iter_lines, require_file

# A paper opens with its category glued to its date, e.g. "CLAug 5, 2022" or "AIMar 19Code".
HEADER = re.compile(
    r"^(?P<category>[A-Z]{2})\s?(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?\s*(?P<code>Code)?\s*$"
)
AFFILIATION_MARK = re.compile(r"\s+·\s*|\s*·\s+")
SLUG_WORDS = 8


def is_paper_header(text: str) -> bool:
    """Return True when the line opens a paper block (category glued to a date)."""
    return HEADER.match(text.strip()) is not None


def read_seed_page(path: Path | str, *, capture_year: int | None = None) -> Iterator[Paper | Rejected]:
    """Stream papers from a seed profile page; year-less dates get `capture_year` (default: this year)."""
    path = require_file(path)
    if capture_year is None:
        capture_year = datetime.date.today().year
    if not isinstance(capture_year, int) or isinstance(capture_year, bool) or not 1000 <= capture_year <= 9999:
        raise CorpusError(f"capture_year must be a four-digit year, got {capture_year!r}")
    return _read(path, capture_year)


def _read(path: Path, capture_year: int) -> Iterator[Paper | Rejected]:
    """Group lines into blocks at each header line and parse each block."""
    source = path.name
    owner: str | None = None
    block: list[Line] | None = None  # header line first, then the block's lines
    seen_ids: set[str] = set()
    last_line = 0
    for line in iter_lines(path):
        last_line = line.number
        if line.fatal:
            yield Rejected(source, line.number, line.error or "unreadable")
            break
        if is_paper_header(line.text):
            if block:
                yield _parse_block(block, owner, capture_year, seen_ids, source)
            block = [line]
        elif block is not None:
            block.append(line)
        elif line.error:
            yield Rejected(source, line.number, f"profile: {line.error}")
        elif owner is None and line.text.strip():
            owner = clean_text(line.text, "owner")
    if block:
        yield _parse_block(block, owner, capture_year, seen_ids, source)
    elif last_line:
        yield Rejected(source, 1, "no paper found: expected lines like 'CLAug 5, 2022' opening each paper")


def _parse_block(
    block: list[Line], owner: str | None, capture_year: int, seen_ids: set[str], source: str
) -> Paper | Rejected:
    """Turn one paper block (header, title, author line, abstract) into a Paper."""
    header, body = block[0], [line for line in block[1:] if line.text.strip()]
    bad = next((line for line in body if line.error), None)
    if bad is not None:
        return Rejected(source, bad.number, bad.error)
    try:
        paper = _build(header, [clean_text(line.text, "text") for line in body], owner, capture_year, source)
    except RecordError as error:
        return Rejected(source, header.number, str(error))
    unique = _unique(paper.id, seen_ids)
    seen_ids.add(unique)
    return dataclasses.replace(paper, id=unique)


def _build(header: Line, body: list[str], owner: str | None, capture_year: int, source: str) -> Paper:
    """Build the Paper from the header match and the block's non-blank lines."""
    match = HEADER.match(header.text.strip())
    if not body:
        raise RecordError("paper has no title, author line or abstract")
    if len(body) < 3:
        raise RecordError("paper has no abstract" if len(body) == 2 else "paper has no author line or abstract")
    title, author_line, abstract = body[0], body[1], " ".join(body[2:])
    check_length(title, "title")
    check_length(abstract, "abstract")
    year = int(match["year"]) if match["year"] else capture_year
    date = make_date(year, MONTHS[match["month"].lower()], int(match["day"]), header.text.strip())
    authors, affiliations = _parse_author_line(author_line, owner)
    return Paper(
        id=slugify(title),
        title=title,
        abstract=abstract,
        authors=authors,
        affiliations=affiliations,
        date=date,
        year=year,
        categories=(f"cs.{match['category']}",),
        has_code=match["code"] is not None,
        source=source,
    )


def _parse_author_line(line: str, owner: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split "A, B et al. · org1, org2" into authors (owner added) and affiliations."""
    parts = AFFILIATION_MARK.split(line, maxsplit=1)
    names, orgs = (parts[0], parts[1]) if len(parts) == 2 else (line, "")
    authors = list(split_names(names))
    if owner and owner.casefold() not in (name.casefold() for name in authors):
        authors.append(owner)
    return tuple(authors), split_list(orgs)


def slugify(title: str) -> str:
    """Return a readable id: lowercase ASCII words of the title joined by "-", at most 8."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(words[:SLUG_WORDS]) or "paper"


def _unique(slug: str, seen: set[str]) -> str:
    """Return `slug`, or `slug-2`, `slug-3`, ... when it is already taken in this file."""
    candidate, counter = slug, 1
    while candidate in seen:
        counter += 1
        candidate = f"{slug}-{counter}"
    return candidate
