"""Dense retrieval over the FAISS index with filters, similar-to-paper and similar-to-text."""

from __future__ import annotations

from index.embedder import Embedder
from index.store import Store
from index.vector_index import VectorIndex
from search.filters import Filters
from search.hits import Hit, Results
from search.snippet import best_snippet


class UnknownPaperError(KeyError):
    """No paper with this id is in the index."""

    def __str__(self) -> str:
        return f"no paper with id {self.args[0]!r} in the index"


class Searcher:
    """Answers queries from a store and its FAISS index; it never writes either."""

    def __init__(self, store: Store, vectors: VectorIndex, embedder: Embedder):
        self.store = store
        self.vectors = vectors
        self.embedder = embedder

    def search(self, query: str, k: int = 10, offset: int = 0, filters: Filters | None = None) -> Results:
        """Return the papers nearest to a natural-language query."""
        vector = self.embedder.encode_query(query)
        return self._rank(query, vector, k, offset, filters, exclude=None)

    def search_many(self, queries: list[str], k: int = 10, filters: Filters | None = None) -> list[Results]:
        """Answer several queries, embedding them as one batch."""
        vectors = self.embedder.encode(queries)
        return [self._rank(q, v[None, :], k, 0, filters, exclude=None) for q, v in zip(queries, vectors)]

    def similar(self, paper_id: str, k: int = 10, offset: int = 0, filters: Filters | None = None) -> Results:
        """Return the papers nearest to one already in the index, without itself."""
        vector = self.store.embedding_of(paper_id)
        paper = self.store.get(paper_id)
        if vector is None or paper is None:
            raise UnknownPaperError(paper_id)
        return self._rank(paper.title, vector[None, :], k, offset, filters, exclude=paper_id)

    def similar_text(self, text: str, k: int = 10, offset: int = 0, filters: Filters | None = None) -> Results:
        """Return the papers nearest to a pasted abstract."""
        vector = self.embedder.encode([text])
        return self._rank(text, vector, k, offset, filters, exclude=None)

    def _rank(self, query, vector, k, offset, filters, exclude) -> Results:
        allowed = filters.allowed_nums(self.store) if filters and filters.active() else None
        total = len(allowed) if allowed is not None else self.store.count()
        if exclude is not None:
            total -= 1
        want = offset + k + (1 if exclude is not None else 0)
        if total <= 0 or self.vectors.count == 0:
            return Results(query=query, total=max(total, 0))
        scores, nums = self.vectors.search(vector, want, allowed)
        pairs = [(int(n), float(s)) for n, s in zip(nums[0], scores[0]) if n >= 0]
        papers = self.store.papers_by_num([n for n, _ in pairs])
        hits = []
        for num, score in pairs:
            paper = papers.get(num)
            if paper is None or paper.id == exclude:
                continue  # a vector whose paper was deleted a moment ago, or the paper itself
            snippet = best_snippet(paper.abstract, query)
            hits.append(Hit(paper, score, snippet.text, snippet.highlights))
        return Results(query=query, hits=hits[offset : offset + k], total=total)

