"""The mean and spread of a query's dense scores over the whole corpus, from the corpus' vector moments
(and, where passages are kept, from a sample of papers scored as search/passage_scores.py scores them)."""

# The moments come from at most SAMPLE stored vectors and are refreshed when the store generation changes.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.index.passages import unpack_many
from abstract_search.index.store import Store
from abstract_search.search.per_generation import PerGeneration

SAMPLE = 20000
# A passage score is not linear in the query, so its moments are measured on a sample of papers per query:
# 1,000 papers (about 4,000 passages) take about 0.5 ms a query and put the mean within 3% of a standard deviation.
PASSAGE_SAMPLE = 1000


@dataclass(frozen=True)
class ScoreSums:
    """Sums a query's dense-score moments come from: n, the sum and the sum of squares of the scores over a
    sample of papers. Shards' sums add up to the whole corpus's."""

    n: int
    total: float
    squares: float

    @classmethod
    def combined(cls, parts: Sequence["ScoreSums"]) -> "ScoreSums":
        """Return the sums over the union of disjoint samples."""
        return cls(sum(p.n for p in parts), sum(p.total for p in parts), sum(p.squares for p in parts))

    def moments(self) -> tuple[float, float]:
        """Return (mean, std) of the scores (population std, as numpy's)."""
        if self.n <= 0:
            return 0.0, 1.0
        mean = self.total / self.n
        return mean, max(self.squares / self.n - mean * mean, 0.0) ** 0.5


@dataclass(frozen=True)
class VectorSums:
    """The count, sum and sum of outer products of a sample of vectors; shards' sums add up."""

    count: int
    total: np.ndarray
    outer: np.ndarray

    @classmethod
    def combined(cls, parts: Sequence["VectorSums"]) -> "VectorSums":
        """Return the sums over the union of disjoint samples."""
        parts = [p for p in parts if p.count]
        if not parts:
            return cls(0, np.zeros(1), np.zeros((1, 1)))
        return cls(sum(p.count for p in parts), sum(p.total for p in parts), sum(p.outer for p in parts))

    def score_sums(self, query: np.ndarray) -> ScoreSums:
        """Return the sums of the query's inner products with the sampled vectors: q . sum(v) and
        q' sum(v v') q, so a corpus's moments add up from its shards'."""
        q = np.asarray(query, dtype=np.float64).reshape(-1)
        if self.count <= 0 or self.total.shape != q.shape:  # an empty store
            return ScoreSums(0, 0.0, 0.0)
        return ScoreSums(self.count, float(q @ self.total), float(q @ self.outer @ q))


class DenseStats:
    """Answers: over every stored paper, what are the mean and standard deviation of the query's dense score?"""

    def __init__(self, store: Store):
        self.store = store
        self._sums = PerGeneration(store, self._estimate)
        self._sample = PerGeneration(store, self._draw_passages)  # (whole vectors, passage vectors, starts)

    def of(self, query: np.ndarray, passages: bool = False) -> tuple[float, float]:
        """Return (mean, std) of the query vector's inner product with the corpus vectors, or with
        `passages` of its passage-aware score (the mean of the whole-abstract and best-passage cosines)."""
        return self.score_sums(query, passages).moments()

    def score_sums(self, query: np.ndarray, passages: bool = False) -> ScoreSums:
        """Return the sums of the query's dense scores over the sample (passage-aware with `passages`)."""
        if passages:
            found = self.passage_sums(query)
            if found.n:
                return found
        return self.sums().score_sums(query)

    def passage_sums(self, query: np.ndarray) -> ScoreSums:
        """Return the sums of the query's passage-aware scores over the sample of papers with passages."""
        whole, vectors, starts = self.passage_sample()
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if not len(whole) or whole.shape[1] != q.shape[0]:
            return ScoreSums(0, 0.0, 0.0)
        scores = ((whole @ q + np.maximum.reduceat(vectors @ q, starts)) / 2).astype(np.float64)
        return ScoreSums(len(scores), float(scores.sum()), float((scores * scores).sum()))

    def sums(self) -> VectorSums:
        """Return the sums of the corpus's sampled vectors, drawn again when the store has changed."""
        return self._sums.get()

    def passage_sample(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (whole vectors, passage vectors, first passage row of each paper) of a sample of papers,
        drawn again when the store has changed."""
        return self._sample.get()

    def _draw_passages(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dimension = self.store.dimension() or 0
        rows = self.store.sample_passages(PASSAGE_SAMPLE)
        if not rows or not dimension:
            return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32), np.zeros(0, np.int64)
        vectors, counts = unpack_many([blob for _, blob in rows], dimension)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return np.stack([w for w, _ in rows]), vectors, starts

    def _estimate(self) -> VectorSums:
        vectors = self.store.sample_vectors(SAMPLE)
        if not len(vectors):
            return VectorSums(0, np.zeros(1), np.zeros((1, 1)))
        vectors = vectors.astype(np.float64)
        return VectorSums(len(vectors), vectors.sum(axis=0), vectors.T @ vectors)
