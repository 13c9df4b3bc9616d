"""Write a page of results as BibTeX, RIS, CSV or JSON Lines, for reference managers and spreadsheets."""

from __future__ import annotations

import csv
import io
import json
import re

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field

from abstract_search.data.links import DOI, arxiv_id
from abstract_search.search.hits import Hit, Results

# format -> (file suffix, media type)
EXPORT_FORMATS = {
    "bibtex": (".bib", "application/x-bibtex; charset=utf-8"),
    "ris": (".ris", "application/x-research-info-systems; charset=utf-8"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "jsonl": (".jsonl", "application/x-ndjson; charset=utf-8"),
}
CSV_COLUMNS = ("rank", "id", "title", "authors", "year", "categories", "url", "match", "score", "abstract")
KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_:.\-]")
ESCAPED = {"title", "author", "abstract", "keywords"}  # fields LaTeX typesets; a url or doi is taken verbatim
LATEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                  "#": r"\#", "_": r"\_"}
NUMERIC_COLUMNS = {"rank", "year", "score"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def export(results: Results, fmt: str) -> str:
    """Return the results' papers in one of EXPORT_FORMATS."""
    writer = {"bibtex": to_bibtex, "ris": to_ris, "csv": to_csv, "jsonl": to_jsonl}.get(fmt)
    if writer is None:
        raise ValueError(f"unknown export format {fmt!r}; valid formats: {', '.join(EXPORT_FORMATS)}")
    return writer(results)


def to_bibtex(results: Results) -> str:
    """Return one @article (@misc for an arXiv paper) per hit, keyed by its id, written by bibtexparser."""
    library = bibtexparser.Library()
    keys: set[str] = set()
    for hit in results:
        paper = hit.paper
        key = KEY_UNSAFE.sub("_", paper.id) or "paper"
        while key in keys:  # two ids that differ only in unsafe characters
            key += "_"
        keys.add(key)
        fields = {"title": paper.title, "author": " and ".join(paper.authors), "year": paper.year,
                  "abstract": paper.abstract, "keywords": ", ".join(paper.categories), "url": paper.url,
                  "doi": _doi(paper.url)}
        arxiv = arxiv_id(paper.id)
        if arxiv:
            fields.update(eprint=arxiv, archiveprefix="arXiv")
        library.add(Entry("misc" if arxiv else "article", key,
                          [Field(name, latex_escaped(str(value)) if name in ESCAPED else str(value))
                           for name, value in fields.items() if value]))
    return bibtexparser.write_string(library)


def to_ris(results: Results) -> str:
    """Return one RIS record per hit, written by rispy."""
    records = []
    for hit in results:
        paper = hit.paper
        record = {"type_of_reference": "GEN" if arxiv_id(paper.id) else "JOUR", "id": paper.id,
                  "title": paper.title, "authors": list(paper.authors), "abstract": paper.abstract,
                  "keywords": list(paper.categories), "year": str(paper.year) if paper.year else None,
                  "urls": [paper.url] if paper.url else None, "doi": _doi(paper.url)}
        records.append({name: value for name, value in record.items() if value})
    return rispy.dumps(records)


def to_csv(results: Results) -> str:
    """Return a header and one row per hit; a cell a spreadsheet would run as a formula is quoted with '."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for rank, hit in enumerate(results, results.offset + 1):
        row = _row(rank, hit)
        writer.writerow([cell if column in NUMERIC_COLUMNS or not cell.startswith(FORMULA_START) else "'" + cell
                         for column, cell in zip(CSV_COLUMNS, row)])
    return out.getvalue()


def to_jsonl(results: Results) -> str:
    """Return one JSON object per hit: the hit's fields and its whole abstract."""
    return "".join(json.dumps({**hit.to_dict(), "abstract": hit.paper.abstract}, ensure_ascii=False) + "\n"
                   for hit in results)


def _row(rank: int, hit: Hit) -> list[str]:
    """Return a hit's CSV cells, as text."""
    paper = hit.paper
    return [str(rank), paper.id, paper.title, "; ".join(paper.authors), str(paper.year or ""),
            " ".join(paper.categories), paper.url or "", hit.level, f"{hit.score:.6f}", paper.abstract]


def _doi(url: str | None) -> str | None:
    """Return the DOI a doi.org link names, else None."""
    found = DOI.match(url) if url else None
    return found.group(1) if found else None


def latex_escaped(value: str) -> str:
    """Return text as LaTeX typesets it literally: braces escaped (a stray one would end the field), and
    & % $ # _ and backslash, which would break a document citing it."""
    return "".join(LATEX_SPECIALS.get(char, char) for char in value)
