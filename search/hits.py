"""The ranked results that every door formats."""

from __future__ import annotations

from dataclasses import dataclass, field

from data.paper import Paper


@dataclass(frozen=True)
class Hit:
    """One ranked paper with its score and the sentence that best matches the query."""

    paper: Paper
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        """Return the hit as JSON-ready values."""
        return {
            "id": self.paper.id,
            "title": self.paper.title,
            "authors": list(self.paper.authors),
            "year": self.paper.year,
            "categories": list(self.paper.categories),
            "score": round(float(self.score), 6),
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
        }


@dataclass
class Results:
    """A page of hits for one query, and how many papers could have been returned."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0

    def to_dict(self) -> dict:
        """Return the results as JSON-ready values."""
        return {"query": self.query, "total": self.total, "results": [h.to_dict() for h in self.hits]}
