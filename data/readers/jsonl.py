"""Read JSON Lines papers with a configurable field mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping

from data.paper import Paper, Rejected
from data.readers.fields import (
    ABSTRACT_FALLBACKS,
    resolve_field_map,
)
from data.readers.json_records import papers_from_json_lines
from data.readers.lines import require_file


def read_jsonl(
    path: Path | str, *, field_map: Mapping[str, str] | None = None
) -> Iterator[Paper | Rejected]:
    """Stream papers from a JSON Lines file; `field_map` maps Paper field -> JSON key."""
    path = require_file(path)
    fields = resolve_field_map(field_map)
    # "text"/"summary" stand in for the abstract only when the user did not name its key.
    fallbacks = () if field_map and "abstract" in field_map else ABSTRACT_FALLBACKS
    return papers_from_json_lines(path, fields, fallbacks)


