"""Answer queries, similar-to-paper and similar-to-text in any mode, with filters, as ranked hits."""

from __future__ import annotations

import numpy as np

from abstract_search.index.embedder import Embedder
from abstract_search.index.store import Store
from abstract_search.index.vector_index import VectorIndex
from abstract_search.search.dense_stats import DenseStats
from abstract_search.search.filters import Filters
from abstract_search.search.hits import Hit, Results
from abstract_search.search.hybrid import Hybrid
from abstract_search.search.lexical import Lexical
from abstract_search.search.modes import DENSE, HYBRID_RERANK, LEXICAL, needs_vector, resolve_mode
from abstract_search.search.rerank import RERANK_DEPTH, rerank


class UnknownPaperError(KeyError):
    """No paper with this id is in the index."""

    def __str__(self) -> str:
        return f"no paper with id {self.args[0]!r} in the index"


class Searcher:
    """Answers queries from a store, its FAISS index and its full-text index; it never writes any of them."""

    def __init__(self, store: Store, vectors: VectorIndex, embedder: Embedder, lexical: Lexical | None = None):
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.lexical = lexical or Lexical(store)
        self.hybrid = Hybrid(store, vectors, self.lexical, DenseStats(store))

    def search(self, query: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
               mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers that best answer a natural-language query."""
        mode = resolve_mode(mode, reranker)
        vector = self.embedder.encode_query(query) if needs_vector(mode) else None
        return self._answer(query, query, vector, k, offset, filters, mode, reranker, exclude=None)

    def search_many(self, queries: list[str], k: int = 10, filters: Filters | None = None,
                    mode: str | None = None, reranker: str | None = None) -> list[Results]:
        """Answer several queries, embedding them together where that cannot change a vector."""
        mode = resolve_mode(mode, reranker)
        vectors = self.embedder.encode_queries(queries) if needs_vector(mode) else [None] * len(queries)
        return [
            self._answer(q, q, None if v is None else v[None, :], k, 0, filters, mode, reranker, exclude=None)
            for q, v in zip(queries, vectors)
        ]

    def similar(self, paper_id: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers nearest to one already in the index, without itself."""
        mode = resolve_mode(mode, reranker)
        vector = self.store.embedding_of(paper_id)
        paper = self.store.get(paper_id)
        if vector is None or paper is None:
            raise UnknownPaperError(paper_id)
        return self._answer(paper.title, paper.text(), vector[None, :], k, offset, filters, mode, reranker, paper_id)

    def similar_text(self, text: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                     mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers nearest to a pasted abstract."""
        mode = resolve_mode(mode, reranker)
        vector = self.embedder.encode([text]) if needs_vector(mode) else None
        return self._answer(text, text, vector, k, offset, filters, mode, reranker, exclude=None)

    def _answer(self, query, text, vector, k, offset, filters, mode, reranker, exclude) -> Results:
        allowed = filters.allowed_nums(self.store) if filters and filters.active() else None
        total = len(allowed) if allowed is not None else self.store.count()
        exclude_num = self.store.num_of(exclude) if exclude is not None else None
        if exclude is not None:
            total -= 1
        want = offset + k
        if total <= 0 or (vector is not None and self.vectors.count == 0):
            return Results(query=query, total=max(total, 0))
        ranked = self._rank(mode, text, vector, want, filters, allowed, total, exclude_num)
        depth = max(want, RERANK_DEPTH) if mode == HYBRID_RERANK else want
        papers = self.store.papers_by_num([n for n, _ in ranked[:depth]])
        ranked = [(n, s) for n, s in ranked[:depth] if n in papers]  # skip a paper deleted a moment ago
        if mode == HYBRID_RERANK:
            head = ranked
            scores = rerank(reranker, text, [papers[n] for n, _ in head], self.embedder.device)
            ranked = sorted(((n, s) for (n, _), s in zip(head, scores)), key=lambda pair: -pair[1])
        hits = [Hit(papers[num], score, query) for num, score in ranked[offset:want]]
        return Results(query=query, hits=hits, total=total)

    def _rank(self, mode, text, vector, want, filters, allowed, total, exclude_num) -> list[tuple[int, float]]:
        """Return (vector id, score) pairs, best first, for the mode."""
        if mode == LEXICAL:
            pairs = self.lexical.search(text, want + 1, filters, allowed)
        elif mode == DENSE:
            scores, nums = self.vectors.search(np.asarray(vector), want + 1, allowed)
            pairs = [(int(n), float(s)) for n, s in zip(nums[0], scores[0]) if n >= 0]
        else:
            pairs = self.hybrid.rank(text, vector, want, filters, allowed, total, exclude_num)
        return [(n, s) for n, s in pairs if n != exclude_num]
