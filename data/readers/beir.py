"""Read a BEIR corpus.jsonl (`_id`, `title`, `text`, optional `metadata`)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import RecordError, resolve_field_map
from abstract_search.data.readers.json_records import papers_from_json_lines
from abstract_search.data.readers.lines import require_file, type_name

BEIR_FIELDS = resolve_field_map({"id": "_id", "abstract": "text"})
METADATA_FIELDS = ("authors", "affiliations", "date", "year", "categories", "has_code")


def read_beir(path: Path | str) -> Iterator[Paper | Rejected]:
    """Stream papers from a BEIR corpus.jsonl; metadata may supply authors, year, and so on."""
    return papers_from_json_lines(require_file(path), BEIR_FIELDS, prepare=_flatten)




def _flatten(record: dict) -> dict:
    """Return the record with known metadata keys lifted to the top level."""
    if record.get("_id") is None:
        raise RecordError("missing '_id' (BEIR records are matched to qrels by it)")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise RecordError(f"field 'metadata' must be an object, got {type_name(metadata)}")
    lifted = {key: metadata[key] for key in METADATA_FIELDS if key in metadata}
    return {**lifted, "_id": record["_id"], "title": record.get("title"), "text": record.get("text")}
