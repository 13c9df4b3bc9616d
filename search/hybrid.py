"""Hybrid retrieval: dense and BM25 candidates pooled, scored by both, fused and smoothed."""

from __future__ import annotations


import numpy as np

from abstract_search.index.store import Store
from abstract_search.index.vector_index import VectorIndex
from abstract_search.search.dense_stats import DenseStats
from abstract_search.search.filters import Filters
from abstract_search.search.fusion import combine, lexical_weight, smooth, zscores
from abstract_search.search.lexical import Lexical

POOL = 100  # candidates taken from each retriever, at least


class Hybrid:
    """Ranks papers for a query by fused dense and lexical evidence."""

    def __init__(self, store: Store, vectors: VectorIndex, lexical: Lexical, stats: DenseStats):
        self.store = store
        self.vectors = vectors
        self.lexical = lexical
        self.stats = stats

    def rank(self, text: str, vector: np.ndarray, want: int, filters: Filters | None, allowed: np.ndarray | None,
             papers: int, exclude: int | None = None) -> list[tuple[int, float]]:
        """Return at least `want` (vector id, fused score) pairs where that many exist, best first.

        `papers` is how many papers the filters allow; `exclude` is a vector id never returned.
        """
        depth = max(POOL, want + 1)
        _, ids = self.vectors.search(vector, depth, allowed)
        dense_ids = [int(n) for n in ids[0] if n >= 0 and n != exclude]
        lexical = self.lexical.scores(text, depth, filters, also=dense_ids, allowed=allowed)
        pool = list(dict.fromkeys(dense_ids + [n for n, _ in lexical.top if n != exclude]))
        found = self.store.vectors_of(pool)
        pool = [n for n in pool if n in found]
        if not pool:
            return []
        matrix = np.stack([found[n] for n in pool])
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        dense = matrix @ query
        best = dict(lexical.top)
        bm25 = np.array([best.get(n, lexical.extra.get(n, 0.0)) for n in pool])
        dense_z = zscores(dense, *self.stats.of(query))
        lexical_z = zscores(bm25, *lexical.moments(papers))
        fused = smooth(combine(dense_z, lexical_z, lexical_weight(float(dense.max()))), matrix)
        order = np.argsort(-fused, kind="stable")
        return [(pool[i], float(fused[i])) for i in order]
