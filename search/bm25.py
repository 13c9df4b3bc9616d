"""Lexical retrieval: the papers' BM25 scores for the query's words."""

from __future__ import annotations

from abstract_search.search.retrieval import Query, Scope, Sources, kept


class BM25:
    """Ranks papers by BM25 over title and abstract (search/lexical.py)."""

    needs_vector = False
    needs_reranker = False

    def __init__(self, sources: Sources):
        self.lexical = sources.lexical

    def rank(self, query: Query, scope: Scope) -> list[tuple[int, float]]:
        """Return the best-scoring papers in scope, best first."""
        pairs = self.lexical.search(query.text, query.want + len(query.exclude), query.filters, scope.allowed)
        return kept(pairs, query.exclude)
