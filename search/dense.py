"""Dense retrieval: the FAISS nearest neighbours of the query's embedding."""

from __future__ import annotations

import numpy as np

from abstract_search.search.retrieval import Query, Scope, Sources, kept


class Dense:
    """Ranks papers by the inner product of their embedding with the query's."""

    needs_vector = True
    needs_reranker = False

    def __init__(self, sources: Sources):
        self.vectors = sources.vectors

    def rank(self, query: Query, scope: Scope) -> list[tuple[int, float]]:
        """Return the nearest papers in scope, best first."""
        scores, nums = self.vectors.search(np.asarray(query.vector), query.want + len(query.exclude), scope.allowed)
        return kept(zip(nums[0], scores[0]), query.exclude)
