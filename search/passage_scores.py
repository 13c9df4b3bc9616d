"""A paper's dense score where the index keeps passage vectors: the mean of the query's cosine with the
whole abstract and with the paper's best passage; and which part of the abstract that passage read.

Measured on the 809 SciFact training claims, dense nDCG@10 (bench/passages.py): whole abstract 0.6580, best
passage 0.6909, max of the two 0.6912, their mean 0.6871; on bench/questions 0.8331 / 0.8248 / 0.8261 / 0.8440
and on its second-half questions 0.6548 / 0.6460 / 0.6460 / 0.7008. The mean is the one that improves every set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from abstract_search.index.passages import SCHEME, best_passages
from abstract_search.index.store import Store

# FAISS finds this many papers by their whole-abstract vectors and passages rescore them. Rescoring the
# top 300 ranked SciFact's training claims as scoring every paper's passages did (nDCG@10 0.6912 both;
# top 100: 0.6901), and keeps FAISS at one vector per paper: its RAM, deletes and index types unchanged.
PASSAGE_POOL = 300


class PassageScores:
    """Rescores candidate papers by their passages, when every paper in the store has them."""

    def __init__(self, store: Store):
        self.store = store
        self._scheme: tuple[int, bool] | None = None  # (generation, whether passages are used)

    @property
    def active(self) -> bool:
        """Return whether every stored paper has passage vectors of the scheme this version reads."""
        generation = self.store.generation()
        if self._scheme is None or self._scheme[0] != generation:
            self._scheme = (generation, self.store.passage_scheme() == SCHEME)
        return self._scheme[1]

    def read(self, nums: Sequence[int]) -> dict[int, bytes]:
        """Return the stored passage vectors of these papers (none when passages are not in use)."""
        return self.store.passages_of(nums) if self.active else {}

    def rescore(self, query: np.ndarray, nums: Sequence[int], whole: np.ndarray,
                found: dict[int, bytes]) -> tuple[np.ndarray, Mapping[int, tuple[int, int]]]:
        """Return the papers' dense scores and best passages' spans (see `rescored`)."""
        return rescored(query, nums, whole, found, self.store.dimension() or 0)


def rescored(query: np.ndarray, nums: Sequence[int], whole: np.ndarray, found: dict[int, bytes],
             dimension: int) -> tuple[np.ndarray, Mapping[int, tuple[int, int]]]:
    """Return the papers' dense scores (their whole-abstract cosine `whole`, averaged with their best
    passage's where `found` holds their stored passages) and, by paper, the span of the abstract that
    passage read."""
    scores = np.asarray(whole, np.float64).copy()
    have = [i for i, n in enumerate(nums) if n in found]
    if not have:
        return scores, {}
    best, spans = best_passages(query, [nums[i] for i in have], [found[nums[i]] for i in have], dimension)
    scores[have] = (scores[have] + best) / 2
    return scores, spans
