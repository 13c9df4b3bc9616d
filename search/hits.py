"""The ranked results that every door formats."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from abstract_search.data.paper import Paper
from abstract_search.search.match import match_level
from abstract_search.search.snippet import Snippet, best_snippet

NO_STRONG_MATCH = "no strong match in the index: these are the closest papers"


@dataclass(frozen=True)
class Hit:
    """One ranked paper with its score, how well it matches, and the sentence that best matches the query."""

    paper: Paper
    score: float  # the mode's ranking score: see README, "Scores and match levels"
    query: str
    cosine: float = 0.0  # the dense score of the query (or the set's centroid) and the paper: its cosine with
    # the whole abstract, averaged with its best passage's where the index keeps passages
    share: float | None = None  # the share of the query's terms in the paper (None: a long text, not judged)
    terms: int = 0  # how many content terms the query has
    passage: tuple[int, int] | None = None  # the [start, end) of the abstract whose passage matched best

    @property
    def level(self) -> str:
        """Return how well the paper matches: "strong", "partial" or "weak" (search/match.py)."""
        return match_level(self.cosine, self.share, self.terms)

    @cached_property
    def _snippet(self) -> Snippet:
        # found on first use, so ranking alone (as in `abstracts eval`) does not pay for it
        whole = best_snippet(self.paper.abstract, self.query)
        if self.passage is None:
            return whole
        # The sentence with most query terms, and among equals (a paraphrase shares none) the one in the
        # passage that ranked the paper. Every passage is read with the title, so for a query that names the
        # title the best passage can be any; the sentence holding its words then says more.
        inside = best_snippet(self.paper.abstract[self.passage[0]:self.passage[1]], self.query)
        return inside if inside.terms >= whole.terms else whole

    @property
    def snippet(self) -> str:
        """Return the abstract sentence that best matches the query (within the passage that matched, if one did)."""
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
            "match": self.level,
            "cosine": round(float(self.cosine), 4),
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
        }


@dataclass
class Results:
    """A page of hits for one query, how many papers pass its filters, and whether a next page is worth asking."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # how many papers pass the filters (the papers asked about left out)
    note: str | None = None  # why there are none, when the filters let no paper through
    offset: int = 0
    more: bool = False  # a next page exists within the offset limit, and this page still held a match

    @property
    def caution(self) -> str | None:
        """Return the warning a first page shows when none of its hits is a strong match."""
        if self.offset == 0 and self.hits and all(hit.level != "strong" for hit in self.hits):
            return NO_STRONG_MATCH
        return None

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def to_dict(self) -> dict:
        """Return the results as JSON-ready values."""
        return {"query": self.query, "total": self.total, "note": self.note, "caution": self.caution,
                "offset": self.offset, "more": self.more, "results": [h.to_dict() for h in self.hits]}
