"""Hybrid retrieval: dense and BM25 candidates pooled, scored by both, fused and smoothed."""

from __future__ import annotations

import numpy as np

from abstract_search.search.fusion import combine, lexical_weight, smooth, zscores
from abstract_search.search.retrieval import Query, Scope, Sources

POOL = 100  # candidates taken from each retriever, at least


class Hybrid:
    """Ranks papers for a query by fused dense and lexical evidence."""

    needs_vector = True
    needs_reranker = False

    def __init__(self, sources: Sources):
        self.store = sources.store
        self.vectors = sources.vectors
        self.lexical = sources.lexical
        self.stats = sources.dense_stats

    def rank(self, query: Query, scope: Scope) -> list[tuple[int, float]]:
        """Return at least query.want (vector id, fused score) pairs where that many are in scope, best first."""
        exclude, allowed = query.exclude, scope.allowed
        depth = max(POOL, query.want + len(exclude))
        _, ids = self.vectors.search(query.vector, depth, allowed)
        dense_ids = [int(n) for n in ids[0] if n >= 0 and n not in exclude]
        lexical = self.lexical.scores(query.text, depth, query.filters, also=dense_ids, allowed=allowed)
        pool = list(dict.fromkeys(dense_ids + [n for n, _ in lexical.top if n not in exclude]))
        found = self.store.vectors_of(pool)
        pool = [n for n in pool if n in found]
        if not pool:
            return []
        matrix = np.stack([found[n] for n in pool])
        vector = np.asarray(query.vector, dtype=np.float32).reshape(-1)
        dense = matrix @ vector
        best = dict(lexical.top)
        bm25 = np.array([best.get(n, lexical.extra.get(n, 0.0)) for n in pool])
        dense_z = zscores(dense, *self.stats.of(vector))
        lexical_z = zscores(bm25, *lexical.moments(scope.total))
        fused = smooth(combine(dense_z, lexical_z, lexical_weight(float(dense.max()))), matrix)
        order = np.argsort(-fused, kind="stable")
        return [(pool[i], float(fused[i])) for i in order]
