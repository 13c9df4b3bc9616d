"""Read BibTeX files (.bib exports of Zotero, Mendeley, Google Scholar) with bibtexparser."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Iterator

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from bibtexparser.model import Entry, ParsingFailedBlock

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.json_records import papers_from_whole_file
from abstract_search.data.readers.lines import require_file

KEYWORD_SEPARATORS = re.compile(r"\s*[,;]\s*")
# bibtexparser logs each damaged block as a warning; the reader reports it as a Rejected instead.
logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)


def read_bibtex(path: Path | str) -> Iterator[Paper | Rejected]:
    """Stream papers from a BibTeX file: one per entry with an abstract; the citation key is the id."""
    return papers_from_whole_file(require_file(path), "BibTeX", "split it into several .bib files", _entries)


def _entries(text: str, source: str) -> Iterator[tuple[int, dict] | Rejected]:
    """Yield (line number, record) per entry, or a Rejected for a block bibtexparser could not read, in file order."""
    library = bibtexparser.parse_string(
        text, append_middleware=[LatexDecodingMiddleware(), SeparateCoAuthors(), SplitNameParts()])
    blocks = sorted([*library.entries, *library.failed_blocks], key=lambda block: block.start_line)
    for block in blocks:
        line = block.start_line + 1
        if isinstance(block, ParsingFailedBlock):
            yield Rejected(source, line, f"not a readable BibTeX entry: {_first_line(block.error)}")
        elif isinstance(block, Entry):
            yield line, _record(block)


def _record(entry: Entry) -> dict:
    """Return an entry's fields under the common field names."""
    fields = {name.lower(): field.value for name, field in entry.fields_dict.items()}
    year = fields.get("year")
    record = {"id": entry.key, "title": fields.get("title"), "abstract": fields.get("abstract"),
              "year": year if isinstance(year, str) and year.strip().isdigit() else None,  # "in press": none
              "doi": fields.get("doi"), "url": fields.get("url")}
    authors = fields.get("author")
    if authors is not None:
        record["authors"] = [_full_name(name) for name in authors] if isinstance(authors, list) else authors
    keywords = fields.get("keywords")
    if isinstance(keywords, str):
        record["categories"] = [k for k in KEYWORD_SEPARATORS.split(keywords) if k]
    eprint = fields.get("eprint")
    if not record["url"] and not record["doi"] and eprint and str(fields.get("archiveprefix", "")).lower() == "arxiv":
        record["url"] = f"https://arxiv.org/abs/{eprint}"
    return record


def _full_name(name) -> str:
    """Return "First von Last, Jr" parts as one name in reading order."""
    if isinstance(name, str):
        return name
    return " ".join(part for part in (*name.first, *name.von, *name.last, *name.jr) if part)


def _first_line(error: object) -> str:
    """Return the first line of a parser's reason (BlockAbortedException keeps it in abort_reason)."""
    reason = str(getattr(error, "abort_reason", "") or error).strip()
    return (reason.splitlines() or [type(error).__name__])[0]
