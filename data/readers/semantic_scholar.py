"""Read Semantic Scholar papers (Graph API JSON, or dataset JSON Lines with lowercase keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import DEFAULT_FIELD_MAP, RecordError
from abstract_search.data.readers.json_records import papers_from_json_lines
from abstract_search.data.readers.lines import require_file, type_name


def read_semantic_scholar(path: Path | str) -> Iterator[Paper | Rejected]:
    """Stream papers from Semantic Scholar records; the paperId (else CorpusId:N) is the paper id."""
    return papers_from_json_lines(require_file(path), DEFAULT_FIELD_MAP, prepare=_record)


def _get(record: dict, name: str):
    """Return a field under its Graph API name (camelCase) or its datasets name (lowercase)."""
    return record[name] if name in record else record.get(name.lower())


def _record(paper: dict) -> dict:
    """Return a paper's fields under the common field names."""
    corpus_id = _get(paper, "corpusId")
    paper_id = _get(paper, "paperId") or (f"CorpusId:{corpus_id}" if corpus_id is not None else None)
    if _get(paper, "abstract") is None and "abstract" not in paper:
        raise RecordError("missing abstract (Semantic Scholar's papers dataset has none: join its abstracts "
                          "dataset on corpusid, or ask the Graph API for fields=abstract)")
    external = _get(paper, "externalIds") or {}
    if not isinstance(external, dict):
        raise RecordError(f"field 'externalIds' must be an object, got {type_name(external)}")
    external = {key.lower(): value for key, value in external.items()}
    fields = [f.get("category") for f in _list(paper, "s2FieldsOfStudy") if isinstance(f, dict)]
    arxiv = external.get("arxiv")
    return {
        "id": paper_id,
        "title": _get(paper, "title"),
        "abstract": _get(paper, "abstract"),
        "authors": [a.get("name") for a in _list(paper, "authors") if isinstance(a, dict) and a.get("name")],
        "date": _get(paper, "publicationDate"),
        "year": _get(paper, "year"),
        "categories": list(dict.fromkeys(c for c in (_list(paper, "fieldsOfStudy") or fields) if isinstance(c, str))),
        "doi": external.get("doi"),
        "url": _get(paper, "url") or (f"https://arxiv.org/abs/{arxiv}" if isinstance(arxiv, str) else None),
    }


def _list(record: dict, name: str) -> list:
    """Return a list field, [] when absent or null; reject other types."""
    value = _get(record, name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"field {name!r} must be a list, got {type_name(value)}")
    return value
