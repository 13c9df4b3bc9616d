"""The ranked results that every door formats."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from abstract_search.data.paper import Paper
from abstract_search.search.snippet import Snippet, best_snippet


@dataclass(frozen=True)
class Hit:
    """One ranked paper with its score and the sentence that best matches the query."""

    paper: Paper
    score: float
    query: str

    @cached_property
    def _snippet(self) -> Snippet:
        # found on first use, so ranking alone (as in `abstracts eval`) does not pay for it
        return best_snippet(self.paper.abstract, self.query)

    @property
    def snippet(self) -> str:
        """Return the abstract sentence that best matches the query."""
        return self._snippet.text

    @property
    def highlights(self) -> tuple[tuple[int, int], ...]:
        """Return the [start, end) spans of the query's words in the snippet."""
        return self._snippet.highlights

    def to_dict(self) -> dict:
        """Return the hit as JSON-ready values."""
        return {
            "id": self.paper.id,
            "title": self.paper.title,
            "authors": list(self.paper.authors),
            "year": self.paper.year,
            "categories": list(self.paper.categories),
            "url": self.paper.url,
            "score": round(float(self.score), 6),
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
        }


@dataclass
class Results:
    """A page of hits for one query, and how many papers could have been returned."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # how many papers pass the filters (the papers asked about left out)
    note: str | None = None  # why there are none, when the filters let no paper through

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def to_dict(self) -> dict:
        """Return the results as JSON-ready values."""
        return {"query": self.query, "total": self.total, "note": self.note, "results": [h.to_dict() for h in self.hits]}
