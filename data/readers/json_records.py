"""Turn each JSON object of a JSON Lines file into a Paper, or a Rejected with its line and reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from abstract_search.data.ids import FirstOfEachId
from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.fields import ABSTRACT_FALLBACKS, DEFAULT_FIELD_MAP, RecordError, paper_from_record
from abstract_search.data.readers.lines import iter_json_objects, read_whole_text


def papers_from_json_lines(
    path: Path,
    fields: Mapping[str, str],
    fallbacks: tuple[str, ...] = (),
    prepare: Callable[[dict], dict] | None = None,
) -> Iterator[Paper | Rejected]:
    """Yield one Paper or Rejected per non-blank line; `prepare` reshapes a record first."""
    yield from papers_from_objects(iter_json_objects(path), path.name, fields, fallbacks, prepare, "line")


def papers_from_objects(
    items: Iterable[tuple[int, dict] | Rejected],
    source: str,
    fields: Mapping[str, str],
    fallbacks: tuple[str, ...] = (),
    prepare: Callable[[dict], dict] | None = None,
    unit: str = "line",
) -> Iterator[Paper | Rejected]:
    """Yield one Paper or Rejected per numbered JSON object; a repeated id is refused (the first is kept)."""
    ids = FirstOfEachId()
    for item in items:
        if isinstance(item, Rejected):
            yield item
            continue
        number, record = item
        try:
            paper = paper_from_record(prepare(record) if prepare else record, fields, source, fallbacks)
        except RecordError as error:
            yield Rejected(source, number, str(error))
            continue
        duplicate = ids.duplicate(paper.id, f"{unit} {number}")
        yield Rejected(source, number, duplicate) if duplicate else paper


def papers_from_whole_file(
    path: Path, kind: str, split_hint: str, items: Callable[[str, str], Iterable[tuple[int, dict] | Rejected]]
) -> Iterator[Paper | Rejected]:
    """Read a file that is parsed whole (BibTeX, RIS), then yield a Paper or Rejected per numbered record
    `items(text, file name)` finds in it, in file order."""
    text = read_whole_text(path, kind, split_hint)
    if isinstance(text, Rejected):
        yield text
        return
    yield from papers_from_objects(items(text, path.name), path.name, DEFAULT_FIELD_MAP, unit="line")


def papers_from_dicts(items: Sequence, source: str) -> list[Paper | Rejected]:
    """Check records given in memory (a POST /papers body, a Python list) one by one, by the readers' rules.

    A bad record, or a repeated id (the first is kept), becomes a Rejected naming `papers[i]` and the reason.
    """
    out: list[Paper | Rejected] = []
    ids = FirstOfEachId()
    for position, item in enumerate(items):
        try:
            if not isinstance(item, Mapping):
                raise RecordError(f"must be a JSON object, got {type(item).__name__}")
            paper = paper_from_record(item, DEFAULT_FIELD_MAP, source, ABSTRACT_FALLBACKS)
            duplicate = ids.duplicate(paper.id, f"papers[{position}]")
            if duplicate:
                raise RecordError(duplicate)
            out.append(paper)
        except RecordError as exc:
            out.append(Rejected("request", position, f"papers[{position}]: {exc}"))
    return out
