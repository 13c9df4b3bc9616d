"""Read arXiv metadata records (JSON Lines, plain or gzip)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import RecordError, parse_date, resolve_field_map
from abstract_search.data.readers.json_records import papers_from_json_lines
from abstract_search.data.readers.lines import require_file, type_name

ARXIV_FIELDS = resolve_field_map({})


def read_arxiv(path: Path | str) -> Iterator[Paper | Rejected]:
    """Stream papers from an arXiv metadata dump; gzip is detected by its magic bytes."""
    return papers_from_json_lines(require_file(path), ARXIV_FIELDS, prepare=_normalize)




def _normalize(record: dict) -> dict:
    """Return the record with arXiv-specific authors and dates in the common field names."""
    normalized = dict(record)
    if record.get("authors_parsed") is not None:
        normalized["authors"] = _parsed_authors(record["authors_parsed"])
    created = _v1_created(record.get("versions"))
    if created is not None:
        normalized["date"] = created
    elif record.get("update_date") is not None:
        normalized["date"] = record["update_date"]
    return normalized


def _parsed_authors(parsed: object) -> list[str]:
    """Turn [[last, first, suffix], ...] into "first last suffix" names."""
    problem = "field 'authors_parsed' must be a list of [last, first, ...] string lists"
    if not isinstance(parsed, list):
        raise RecordError(f"{problem}, got {type_name(parsed)}")
    names = []
    for entry in parsed:
        if not isinstance(entry, list) or not all(isinstance(part, str) for part in entry):
            raise RecordError(problem)
        last, first, *rest = [*entry, "", ""][: max(len(entry), 2)]
        name = " ".join(part.strip() for part in (first, last, *rest) if part.strip())
        if name:
            names.append(name)
    return names


def _v1_created(versions: object) -> str | None:
    """Return the ISO date of version v1 (else the first version), or None when absent."""
    if versions is None or versions == []:
        return None
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise RecordError("field 'versions' must be a list of {version, created} objects")
    first = next((v for v in versions if v.get("version") == "v1"), versions[0])
    created = first.get("created")
    if not isinstance(created, str):
        raise RecordError(f"field 'versions' has no 'created' date string, got {type_name(created)}")
    try:
        return parse_date(created)[0]
    except RecordError as error:
        raise RecordError(f"field 'versions': {error}") from None
