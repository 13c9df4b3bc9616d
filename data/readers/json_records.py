"""Turn each JSON object of a JSON Lines file into a Paper, or a Rejected with its line and reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from data.paper import Paper, Rejected
from data.readers.fields import RecordError, paper_from_record
from data.readers.lines import iter_json_objects


def papers_from_json_lines(
    path: Path,
    fields: Mapping[str, str],
    fallbacks: tuple[str, ...] = (),
    prepare: Callable[[dict], dict] | None = None,
) -> Iterator[Paper | Rejected]:
    """Yield one Paper or Rejected per non-blank line; `prepare` reshapes a record first."""
    for item in iter_json_objects(path):
        if isinstance(item, Rejected):
            yield item
            continue
        number, record = item
        try:
            yield paper_from_record(prepare(record) if prepare else record, fields, path.name, fallbacks)
        except RecordError as error:
            yield Rejected(path.name, number, str(error))
