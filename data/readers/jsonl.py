"""Read papers from JSON Lines, or from one JSON array of paper objects, with a configurable field mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Mapping

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import (
    ABSTRACT_FALLBACKS,
    resolve_field_map,
)
from abstract_search.data.readers.json_records import papers_from_json_lines, papers_from_objects
from abstract_search.data.readers.lines import read_whole_text, require_file, type_name


def mapped_fields(field_map: Mapping[str, str] | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """Return the field map to read with, and the keys that stand in for the abstract.

    "text"/"summary" stand in for the abstract only when the user did not name its key.
    """
    fallbacks = () if field_map and "abstract" in field_map else ABSTRACT_FALLBACKS
    return resolve_field_map(field_map), fallbacks


def read_jsonl(
    path: Path | str, *, field_map: Mapping[str, str] | None = None
) -> Iterator[Paper | Rejected]:
    """Stream papers from a JSON Lines file; `field_map` maps Paper field -> JSON key."""
    path = require_file(path)
    return papers_from_json_lines(path, *mapped_fields(field_map))


def read_json_array(
    path: Path | str, *, field_map: Mapping[str, str] | None = None
) -> Iterator[Paper | Rejected]:
    """Stream papers from a JSON file holding one array of paper objects (item numbers count from 1)."""
    path = require_file(path)
    return papers_from_objects(_array_items(path), path.name, *mapped_fields(field_map), unit="item")


def _array_items(path: Path) -> Iterator[tuple[int, dict] | Rejected]:
    """Yield (item number, object) for each item of the file's array, or one Rejected for a file that is none."""
    text = read_whole_text(path, "JSON array", "split it, or write one paper per line (JSON Lines)")
    if isinstance(text, Rejected):
        yield text
        return
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        yield Rejected(path.name, 1, f"not a readable JSON array of papers ({error}); for one paper object per "
                                     "line, use JSON Lines (--format jsonl)")
        return
    if not isinstance(value, list):
        yield Rejected(path.name, 1, f"the file holds a JSON {type_name(value)}, not an array of paper objects")
        return
    for number, item in enumerate(value, 1):
        yield (number, item) if isinstance(item, dict) else \
            Rejected(path.name, number, f"array item must be an object, got {type_name(item)}")
