"""The mean and spread of a query's dense scores over the whole corpus, from the corpus' vector moments
(and, where passages are kept, from a sample of papers scored as search/passage_scores.py scores them)."""

# The moments come from at most SAMPLE stored vectors and are refreshed when the store generation changes.

from __future__ import annotations

import threading

import numpy as np

from abstract_search.index.passages import unpack_many
from abstract_search.index.store import Store

SAMPLE = 20000
# A passage score is not linear in the query, so its moments are measured on a sample of papers per query:
# 1,000 papers (about 4,000 passages) take about 0.5 ms a query and put the mean within 3% of a standard deviation.
PASSAGE_SAMPLE = 1000


class DenseStats:
    """Answers: over every stored paper, what are the mean and standard deviation of the query's dense score?"""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._cached: tuple[int, np.ndarray, np.ndarray] | None = None  # (generation, mean, covariance)
        self._sample: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None  # (gen, whole, passages, starts)

    def of(self, query: np.ndarray, passages: bool = False) -> tuple[float, float]:
        """Return (mean, std) of the query vector's inner product with the corpus vectors, or with
        `passages` of its passage-aware score (the mean of the whole-abstract and best-passage cosines)."""
        q = np.asarray(query, dtype=np.float64).reshape(-1)
        if passages:
            _, whole, vectors, starts = self.passage_sample()
            if len(whole) and whole.shape[1] == q.shape[0]:
                q32 = q.astype(np.float32)
                scores = (whole @ q32 + np.maximum.reduceat(vectors @ q32, starts)) / 2
                return float(scores.mean()), float(scores.std())
        mean, cov = self.moments()
        if mean.shape != q.shape:  # an empty store
            return 0.0, 1.0
        return float(q @ mean), float(np.sqrt(max(q @ cov @ q, 0.0)))

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the corpus vectors' mean and covariance, estimated again when the store has changed."""
        generation = self.store.generation()
        cached = self._cached
        if cached is None or cached[0] != generation:
            with self._lock:
                cached = self._cached
                if cached is None or cached[0] != generation:
                    cached = (generation, *self._estimate())
                    self._cached = cached
        return cached[1], cached[2]

    def passage_sample(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """Return (generation, whole vectors, passage vectors, first passage row of each paper) of a sample
        of papers, drawn again when the store has changed."""
        generation = self.store.generation()
        cached = self._sample
        if cached is None or cached[0] != generation:
            with self._lock:
                cached = self._sample
                if cached is None or cached[0] != generation:
                    cached = self._sample = (generation, *self._draw_passages())
        return cached

    def _draw_passages(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dimension = self.store.dimension() or 0
        rows = self.store.sample_passages(PASSAGE_SAMPLE)
        if not rows or not dimension:
            return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32), np.zeros(0, np.int64)
        vectors, counts = unpack_many([blob for _, blob in rows], dimension)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return np.stack([w for w, _ in rows]), vectors, starts

    def _estimate(self) -> tuple[np.ndarray, np.ndarray]:
        vectors = self.store.sample_vectors(SAMPLE)
        if not len(vectors):
            return np.zeros(1), np.zeros((1, 1))
        vectors = vectors.astype(np.float64)
        mean = vectors.mean(axis=0)
        centred = vectors - mean
        return mean, centred.T @ centred / len(vectors)
