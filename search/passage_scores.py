"""A paper's dense score where the index keeps passage vectors: the mean of the query's cosine with the
whole abstract and with the paper's best passage; and which part of the abstract that passage read.

Measured on the 809 SciFact training claims, dense nDCG@10 (bench/passages.py): whole abstract 0.6580, best
passage 0.6909, max of the two 0.6912, their mean 0.6871; on bench/questions 0.8331 / 0.8248 / 0.8261 / 0.8440
and on its second-half questions 0.6548 / 0.6460 / 0.6460 / 0.7008. The mean is the one that improves every set.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from abstract_search.index.passage_matrix import PASSAGES_FILE, PassageMatrix, load_passage_matrix
from abstract_search.index.passages import SCHEME, best_of, best_passages
from abstract_search.index.store import Store
from abstract_search.search.per_generation import PerGeneration

# FAISS finds papers by their whole-abstract vectors and passages rescore them, which keeps FAISS at one
# vector per paper (its RAM, deletes and index types unchanged). SciFact training claims, dense: nDCG@10
# 0.6871 rescoring FAISS's top 100, 200 or 300 alike; the recall@100 of a 100-paper answer 0.9304, 0.9353
# and 0.9365 rescoring 100, 200 and 300, so three papers per one asked keep it. At 124,630 papers a k=10
# dense query takes 5.1 ms p50 rescoring 100, 5.8 at 200 and 6.6 at 300 (whole vectors alone: 4.2).
PASSAGE_POOL = 100
POOL_PER_RESULT = 3


def passage_pool(want: int) -> int:
    """Return how many of FAISS's nearest papers passages rescore for a dense query that wants `want`."""
    return max(PASSAGE_POOL, POOL_PER_RESULT * want)


class PassageScores:
    """Rescores candidate papers by their passages, when every paper in the store has them: from the
    memory-mapped passage matrix (index/passage_matrix.py) for the papers it holds, from the store for the rest."""

    def __init__(self, store: Store):
        self.store = store
        self._active = PerGeneration(store, lambda: store.passage_scheme() == SCHEME)
        self._matrix_path = Path(store.path).parent / PASSAGES_FILE
        self._matrix: tuple[tuple | None, int, PassageMatrix | None] | None = None  # (file, generation, matrix)

    @property
    def active(self) -> bool:
        """Return whether every stored paper has passage vectors of the scheme this version reads."""
        return self._active.get()

    def read(self, nums: Sequence[int]) -> dict[int, bytes]:
        """Return the stored passage vectors of these papers (none when passages are not in use)."""
        return self.store.passages_of(nums) if self.active else {}

    def matrix(self) -> PassageMatrix | None:
        """Return the passage matrix beside the store, if it holds the store's passages as they are now: read
        again when the file is another (a save writes it after the commit it follows, so each search looks: a
        stat, microseconds), and checked again against the store after each commit (a migration's end)."""
        path = self._matrix_path
        try:
            found = path.stat()
            file = (found.st_ino, found.st_mtime_ns, found.st_size)
        except OSError:
            file = None
        generation = self.store.generation()
        cached = self._matrix
        if cached is not None and cached[0] == file and cached[1] == generation:
            return cached[2]
        if cached is not None and cached[0] == file:
            matrix = cached[2] if cached[2] is not None and cached[2].belongs_to(self.store) else None
        else:
            matrix = load_passage_matrix(path, self.store) if file else None
        self._matrix = (file, generation, matrix)
        return matrix

    def rescore(self, query: np.ndarray, nums: Sequence[int], whole: np.ndarray
                ) -> tuple[np.ndarray, Mapping[int, tuple[int, int]]]:
        """Return the papers' dense scores (their whole-abstract cosines `whole`, each averaged with its best
        passage's where passages are in use) and, by paper, the span of the abstract that passage read."""
        scores = np.asarray(whole, np.float64).copy()
        if not self.active or not len(nums):
            return scores, {}
        matrix = self.matrix()
        positions = matrix.find(nums) if matrix is not None else np.full(len(nums), -1, np.int64)
        held = np.flatnonzero(positions >= 0)
        spans: list[Mapping[int, tuple[int, int]]] = []
        if len(held):
            vectors, counts, first = matrix.rows(positions[held])
            best, found = best_of(query, [nums[i] for i in held], vectors, counts,
                                  lambda i, j: (int(matrix.spans[first[i] + j, 0]), int(matrix.spans[first[i] + j, 1])))
            scores[held] = (scores[held] + best) / 2
            spans.append(found)
        rest = np.flatnonzero(positions < 0)
        if len(rest):  # written since the matrix was saved: from the store
            keys = [nums[i] for i in rest]
            scores[rest], found = rescored(query, keys, scores[rest], self.store.passages_of(keys),
                                           self.store.dimension() or 0)
            spans.append(found)
        return scores, spans[0] if len(spans) == 1 else JoinedSpans(*spans)


class JoinedSpans(ChainMap):
    """Best passages' spans found in the matrix and in the store, sent to another process as one dict."""

    def __reduce__(self):
        return dict, (dict(self),)


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
