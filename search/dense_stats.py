"""The mean and spread of a query's dense scores over the whole corpus, from the corpus' vector moments."""

# The moments come from at most SAMPLE stored vectors and are refreshed when the store generation changes.

from __future__ import annotations

import threading

import numpy as np

from abstract_search.index.store import Store

SAMPLE = 20000


class DenseStats:
    """Answers: over every stored paper, what are the mean and standard deviation of q . d?"""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._cached: tuple[int, np.ndarray, np.ndarray] | None = None  # (generation, mean, covariance)

    def of(self, query: np.ndarray) -> tuple[float, float]:
        """Return (mean, std) of the query vector's inner product with the corpus vectors."""
        mean, cov = self.moments()
        q = np.asarray(query, dtype=np.float64).reshape(-1)
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

    def _estimate(self) -> tuple[np.ndarray, np.ndarray]:
        vectors = self.store.sample_vectors(SAMPLE)
        if not len(vectors):
            return np.zeros(1), np.zeros((1, 1))
        vectors = vectors.astype(np.float64)
        mean = vectors.mean(axis=0)
        centred = vectors - mean
        return mean, centred.T @ centred / len(vectors)
