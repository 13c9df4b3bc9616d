"""The one record every corpus reader yields: a paper with its metadata."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Paper:
    """A scientific paper abstract with the metadata search and filters use."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    date: str | None = None  # ISO yyyy-mm-dd where known
    year: int | None = None
    categories: tuple[str, ...] = ()
    has_code: bool = False
    source: str = ""  # the file or door it came from; not part of the content (see content_hash)
    url: str | None = None  # where to open it (data/links.py), where that can be known

    def text(self) -> str:
        """Return the text that is embedded: title and abstract."""
        return f"{self.title}. {self.abstract}" if self.title else self.abstract

    def content_hash(self) -> str:
        """Return a hash of every field but `source`: a changed hash means the stored record is stale.

        The same paper read again from another file is the same paper: unchanged, not updated.
        """
        record = self.to_dict()
        del record["source"]
        payload = json.dumps(record, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def text_hash(self) -> str:
        """Return a hash of the embedded text: a changed hash means the vector is stale."""
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        """Return the record as plain JSON-ready values."""
        record = asdict(self)
        for key in ("authors", "affiliations", "categories"):
            record[key] = list(record[key])
        return record

    @classmethod
    def from_dict(cls, record: dict) -> "Paper":
        """Build a record from plain values, as `to_dict` writes them."""
        values = dict(record)
        for key in ("authors", "affiliations", "categories"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


@dataclass
class Rejected:
    """A record a reader skipped, with where it was and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class ReadReport:
    """What a reader kept and what it skipped."""

    papers: list[Paper] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
