"""Read OpenAlex works (JSON Lines, as the API and the snapshot give them), abstracts from their inverted index."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import DEFAULT_FIELD_MAP, MAX_TEXT_CHARS, RecordError
from abstract_search.data.readers.json_records import papers_from_json_lines
from abstract_search.data.readers.lines import require_file, type_name

OPENALEX_PREFIX = "https://openalex.org/"
MAX_CATEGORIES = 5


def read_openalex(path: Path | str) -> Iterator[Paper | Rejected]:
    """Stream papers from OpenAlex works; the OpenAlex id (W...) is the paper id."""
    return papers_from_json_lines(require_file(path), DEFAULT_FIELD_MAP, prepare=_record)


def _record(work: dict) -> dict:
    """Return a work's fields under the common field names."""
    work_id = work.get("id")
    if isinstance(work_id, str):
        work_id = work_id.removeprefix(OPENALEX_PREFIX)
    authorships = _objects(work, "authorships")
    location = work.get("primary_location")
    return {
        "id": work_id,
        "title": work.get("title") or work.get("display_name"),
        "abstract": abstract_from_inverted_index(work.get("abstract_inverted_index")),
        "authors": [_name(a.get("author")) for a in authorships if _name(a.get("author"))],
        "affiliations": list(dict.fromkeys(
            _name(i) for a in authorships for i in _objects(a, "institutions") if _name(i))),
        "date": work.get("publication_date"),
        "year": work.get("publication_year"),
        "categories": [_name(t) for t in _objects(work, "topics")[:MAX_CATEGORIES] if _name(t)]
                      or [_name(c) for c in _objects(work, "concepts") if c.get("level") == 0 and _name(c)],
        "doi": work.get("doi"),
        "url": location.get("landing_page_url") if isinstance(location, dict) else None,
    }


def abstract_from_inverted_index(index: object) -> str | None:
    """Return the abstract an inverted index ({word: [positions]}) spells, words in position order."""
    if index is None:
        return None
    if not isinstance(index, dict):
        raise RecordError(f"field 'abstract_inverted_index' must be an object, got {type_name(index)}")
    placed: list[tuple[int, str]] = []
    size = 0
    for word, positions in index.items():
        if not isinstance(positions, list) or not all(isinstance(p, int) and not isinstance(p, bool)
                                                      for p in positions):
            raise RecordError(f"field 'abstract_inverted_index' must map words to lists of positions; "
                              f"{word[:40]!r} maps to {type_name(positions)}")
        size += (len(word) + 1) * len(positions)
        if size > MAX_TEXT_CHARS:
            raise RecordError(f"field 'abstract_inverted_index' spells over {MAX_TEXT_CHARS:,} characters")
        placed.extend((p, word) for p in positions)
    return " ".join(word for _, word in sorted(placed)) or None


def _objects(record: dict, key: str) -> list[dict]:
    """Return a list-of-objects field, [] when absent; reject other types."""
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise RecordError(f"field {key!r} must be a list of objects, got {type_name(value)}")
    return value


def _name(value: object) -> str | None:
    """Return an OpenAlex entity's display_name, None when it has none."""
    name = value.get("display_name") if isinstance(value, dict) else None
    return name if isinstance(name, str) and name.strip() else None
