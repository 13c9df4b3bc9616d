"""Guess a corpus file's format from its content (and, as a last hint, its name)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from abstract_search.data.errors import CorpusError
from abstract_search.data.readers.lines import GZIP_ERRORS, UTF8_BOM, open_binary, require_file
from abstract_search.data.readers.seed_page import is_paper_header

SNIFF_LINES = 40
MAX_LINE_BYTES = 1 << 20
ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.-]*(\.[A-Z]{2})?/\d{7})(v\d+)?$")
ARXIV_KEYS = {"categories", "update_date", "versions", "authors_parsed"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
S2_KEYS = {"paperId", "corpusId", "corpusid"}
BIBTEX_ENTRY = re.compile(r"^@\s*[A-Za-z]+\s*[{(]")
RIS_TAG = re.compile(r"^TY  -")


def detect_format(path: Path | str) -> str:
    """Return the name of the file's format (a key of data.corpus.FORMATS), or raise CorpusError."""
    path = require_file(path)
    lines = _head_lines(path)
    suffixes = [s.lower() for s in path.suffixes]
    if lines and lines[0].lstrip("\ufeff").startswith("[") and not {".jsonl", ".ndjson"} & set(suffixes):
        return "json"  # one JSON array of paper objects (a one-line array is no CSV header)
    json_format = _json_format(lines)
    if json_format:
        return json_format
    for suffix, fmt in ((".bib", "bibtex"), (".ris", "ris"), (".csv", "csv")):
        if suffix in suffixes:
            return fmt
    if any(is_paper_header(line) for line in lines):
        return "seed"
    first = next((line for line in lines if not line.startswith("%")), "")  # BibTeX comments start with %
    if BIBTEX_ENTRY.match(first):
        return "bibtex"
    if RIS_TAG.match(first):
        return "ris"
    if lines and "," in lines[0] and "abstract" in lines[0].lower():
        return "csv"
    if JSONL_SUFFIXES & set(suffixes):
        return "jsonl"
    raise CorpusError(
        f"cannot tell the format of {path}: it looks like none of seed, jsonl, json, csv, beir, arxiv, openalex, "
        "s2, bibtex, ris; "
        "name it with the --format option (e.g. --format jsonl)"
    )


def _head_lines(path: Path) -> list[str]:
    """Return up to the first 40 non-blank lines, decoded leniently."""
    lines: list[str] = []
    try:
        with open_binary(path) as handle:
            while len(lines) < SNIFF_LINES:
                raw = handle.readline(MAX_LINE_BYTES)
                if not raw:
                    break
                text = raw.removeprefix(UTF8_BOM).decode("utf-8", errors="replace").strip()
                if text:
                    lines.append(text)
    except GZIP_ERRORS:
        pass  # a damaged gzip tail: judge by what was read
    return lines


def _json_format(lines: list[str]) -> str | None:
    """Return beir/arxiv/openalex/s2/jsonl when the first parseable line is a JSON object, else None."""
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        if "_id" in record and "text" in record:
            return "beir"
        arxiv_id = isinstance(record.get("id"), str) and ARXIV_ID.match(record["id"])
        if "abstract" in record and (ARXIV_KEYS & record.keys() or arxiv_id):
            return "arxiv"
        if "abstract_inverted_index" in record or str(record.get("id", "")).startswith("https://openalex.org/"):
            return "openalex"
        if S2_KEYS & record.keys():
            return "s2"
        return "jsonl"
    # Objects that do not parse are still JSON Lines: the reader will report each bad line.
    return "jsonl" if lines and lines[0].startswith("{") else None
