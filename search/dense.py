"""Dense retrieval: the FAISS nearest neighbours of the query's embedding, rescored by passages where kept."""

from __future__ import annotations

import numpy as np

from abstract_search.search.passage_scores import passage_pool
from abstract_search.search.retrieval import Query, Scope, Sources, kept


class Dense:
    """Ranks papers by the inner product of their embedding with the query's (and of their best passage's)."""

    needs_vector = True
    needs_reranker = False

    def __init__(self, sources: Sources):
        self.vectors = sources.vectors
        self.passages = sources.passages
        self.spans: dict[int, tuple[int, int]] = {}  # by paper: the part of the abstract that matched best

    def rank(self, query: Query, scope: Scope) -> list[tuple[int, float]]:
        """Return the nearest papers in scope, best first."""
        depth = query.want + len(query.exclude)
        rescore = self.passages.active
        if rescore:
            depth = max(depth, passage_pool(query.want))
        scores, nums = self.vectors.search(np.asarray(query.vector), depth, scope.allowed)
        pairs = kept(zip(nums[0], scores[0]), query.exclude)
        if not rescore or not pairs:
            return pairs
        ids = [n for n, _ in pairs]
        rescored, self.spans = self.passages.rescore(query.vector, ids, np.array([s for _, s in pairs]))
        order = np.argsort(-rescored, kind="stable")
        return [(ids[i], float(rescored[i])) for i in order]
