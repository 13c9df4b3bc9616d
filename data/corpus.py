"""One entry point to read any supported corpus: format by name or by detection."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable, Iterable, Iterator

from abstract_search.data.detect import detect_format
from abstract_search.data.errors import CorpusError
from abstract_search.data.paper import Paper, ReadReport, Rejected
from abstract_search.data.readers.arxiv import read_arxiv
from abstract_search.data.readers.beir import read_beir
from abstract_search.data.readers.bibtex import read_bibtex
from abstract_search.data.readers.csv_reader import read_csv
from abstract_search.data.readers.jsonl import read_json_array, read_jsonl
from abstract_search.data.readers.openalex import read_openalex
from abstract_search.data.readers.ris import read_ris
from abstract_search.data.readers.seed_page import read_seed_page
from abstract_search.data.readers.semantic_scholar import read_semantic_scholar

Reader = Callable[..., Iterator["Paper | Rejected"]]
FORMATS: dict[str, Reader] = {
    "seed": read_seed_page,
    "jsonl": read_jsonl,
    "json": read_json_array,
    "csv": read_csv,
    "beir": read_beir,
    "arxiv": read_arxiv,
    "openalex": read_openalex,
    "s2": read_semantic_scholar,
    "bibtex": read_bibtex,
    "ris": read_ris,
}
BUNDLED_CORPUS = Path(__file__).resolve().parent / "seed_profile.txt"


def read_corpus(path: Path | str, fmt: str | None = None, **options) -> Iterator[Paper | Rejected]:
    """Stream Paper or Rejected records from `path`, detecting the format when `fmt` is None."""
    path = Path(path)
    if fmt is None:
        fmt = detect_format(path)
    reader = FORMATS.get(fmt)
    if reader is None:
        raise CorpusError(f"unknown format {fmt!r}; valid formats: {', '.join(FORMATS)}")
    known = {name for each in FORMATS.values() for name in _options_of(each)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise CorpusError(f"unknown reader option {unknown[0]!r}; valid options: {', '.join(sorted(known))}")
    # An option meant for another format (capture_year on a CSV file) is ignored, so one set
    # of options can serve a list of files in mixed formats.
    accepted = _options_of(reader)
    return reader(path, **{name: value for name, value in options.items() if name in accepted})


def _options_of(reader: Reader) -> set[str]:
    """Return the keyword-only option names a reader takes."""
    return {p.name for p in inspect.signature(reader).parameters.values() if p.kind is p.KEYWORD_ONLY}


def collect(records: Iterable[Paper | Rejected]) -> ReadReport:
    """Gather streamed records into a ReadReport of kept papers and rejections."""
    report = ReadReport()
    for record in records:
        (report.papers if isinstance(record, Paper) else report.rejected).append(record)
    return report


def bundled_corpus_path() -> Path:
    """Return the path of the bundled seed corpus, data/seed_profile.txt."""
    return BUNDLED_CORPUS
