"""A shard's part of a query over a sharded corpus: its candidates with every score the merge needs, scored
with the whole corpus's statistics, and its papers for the page (search/gather.py merges them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abstract_search.data.paper import Paper
from abstract_search.search.dense_stats import ScoreSums
from abstract_search.search.filters import Filters
from abstract_search.search.hybrid import POOL
from abstract_search.search.lexical import TermStats
from abstract_search.search.passage_scores import passage_pool
from abstract_search.search.retrieval import Query
from abstract_search.search.searcher import Searcher


@dataclass
class ShardRequest:
    """One query as every shard sees it."""

    text: str
    vector: np.ndarray  # (1, d)
    mode: str  # "dense", "lexical" or "hybrid" (reranking happens after the merge)
    want: int  # offset + k, or the rerank depth
    filters: Filters | None = None
    exclude: tuple[str, ...] = ()  # ids of the papers asked about (each in some shard), never returned
    corpus: TermStats | None = None  # the whole corpus's BM25 statistics for the query's terms
    passages: bool = False  # whether every shard scores by passages (else whole vectors, as one index would)


@dataclass
class ShardCandidates:
    """A shard's candidates, keyed by its vector ids, with what the merge weighs them by."""

    total: int  # papers of this shard in scope
    note: str | None = None  # why none, when the filters let none of this shard's papers through
    excluded: frozenset[int] = frozenset()  # the papers asked about that this shard holds
    # FAISS's whole-vector order and BM25's, best first, with the papers asked about still in (one index
    # takes its depth before leaving them out, so the merge must too)
    nearest: list[tuple[int, float]] = field(default_factory=list)
    dense: dict[int, float] = field(default_factory=dict)  # dense score (passage-aware where used)
    lexical: list[tuple[int, float]] = field(default_factory=list)
    bm25: dict[int, float] = field(default_factory=dict)  # BM25 of every candidate that matches
    bm25_sums: tuple[float, float] = (0.0, 0.0)  # sum and sum of squares of BM25 over matches in scope
    dense_sums: ScoreSums = ScoreSums(0, 0.0, 0.0)  # this shard's part of the dense-score moments
    vectors: dict[int, np.ndarray] = field(default_factory=dict)  # whole-abstract embeddings (hybrid)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # best passages


class ShardQuery:
    """Answers the merge's questions from one shard's searcher; writes nothing."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.store = searcher.store

    def describe(self) -> dict:
        """Return what the merge must know of this shard: papers, dimension, whether passages are used."""
        with self.searcher.reader.reading() as index:
            index_type = index.index_type
        return {"count": self.searcher.paper_count(), "dimension": self.store.dimension() or 0, "index_type": index_type,
                "generation": self.store.generation(),
                "passages": self.searcher.passages.active, "model": self.store.model()}

    def term_stats(self, text: str) -> TermStats:
        """Return this shard's BM25 statistics for the query's terms."""
        return self.searcher.lexical.term_stats(text)

    def prepare(self, text: str | None) -> tuple[dict, TermStats | None]:
        """Return `describe` and, for a query that weighs BM25, the statistics of its terms: one round trip
        where two cost a Ray Serve call each (about 4 ms on 2 cores, bench/cluster.py)."""
        return self.describe(), None if text is None else self.term_stats(text)

    def candidates(self, request: ShardRequest) -> ShardCandidates:
        """Return this shard's candidates for the request, as one index of the whole corpus would score them."""
        searcher = self.searcher
        excluded = {n for n in (self.store.num_of(i) for i in request.exclude) if n is not None}
        asked = Query(request.text, request.vector, request.want, 0, request.filters, frozenset(excluded))
        scope = searcher.scope(asked)
        filters = request.filters
        note = filters.why_nothing(self.store) if scope.total <= 0 and filters and filters.active() else None
        found = ShardCandidates(max(scope.total, 0), note, frozenset(excluded))
        if scope.total <= 0:
            return found
        vector = np.asarray(request.vector, np.float32).reshape(-1)
        depth = self.depth(request)  # with every shard's papers asked about counted, as one index counts them
        if request.mode != "lexical":
            with searcher.reader.reading() as index:
                scores, nums = index.search(vector[None, :], depth, scope.allowed)
            found.nearest = [(int(n), float(s)) for n, s in zip(nums[0], scores[0]) if n >= 0]
        kept = [n for n, _ in found.nearest if n not in excluded]
        if request.mode == "dense":
            self._dense_scores(found, vector, kept, request.passages, whole=dict(found.nearest))
            return found
        lexical = searcher.lexical.scores(request.text, depth, filters, also=kept, allowed=scope.allowed,
                                          corpus=request.corpus)
        found.lexical = lexical.top
        found.bm25 = {**lexical.extra, **dict(lexical.top)}
        found.bm25_sums = (lexical.total, lexical.total_sq)
        if request.mode == "hybrid":
            pool = list(dict.fromkeys(kept + [n for n, _ in found.lexical if n not in excluded]))
            found.vectors = self.store.vectors_of(pool)
            self._dense_scores(found, vector, [n for n in pool if n in found.vectors], request.passages,
                               whole={n: float(found.vectors[n] @ vector) for n in found.vectors})
            found.dense_sums = searcher.dense_stats.score_sums(vector, passages=request.passages)
        return found

    @staticmethod
    def depth(request: ShardRequest) -> int:
        """Return how many candidates each retriever takes, as one index of the whole corpus takes them."""
        depth = request.want + len(request.exclude)
        if request.mode == "dense" and request.passages:
            return max(depth, passage_pool(request.want))
        return max(depth, POOL) if request.mode == "hybrid" else depth

    def _dense_scores(self, found: ShardCandidates, vector: np.ndarray, nums: list[int], passages: bool,
                      whole: dict[int, float]) -> None:
        """Fill in the candidates' dense scores (passage-aware when asked) and best passages."""
        scores = np.array([whole[n] for n in nums], dtype=np.float64)
        if passages:  # every shard scores by passages, or none does (as one index would)
            scores, found.spans = self.searcher.passages.rescore(vector, nums, scores)
        found.dense = dict(zip(nums, scores.tolist()))

    def stored(self, nums: list[int]) -> tuple[dict[int, tuple[np.ndarray, Paper]], dict[int, bytes]]:
        """Return the (embedding, paper) and stored passages of these papers, for the page."""
        return self.store.stored_by_num(nums), self.store.passages_of(nums)

    def stored_paper(self, paper_id: str) -> tuple[int, np.ndarray, Paper] | None:
        """Return (vector id, embedding, paper) of one paper of this shard, or None."""
        return self.store.stored_paper(paper_id)

    def has(self, paper_id: str) -> bool:
        """Return whether this shard holds a paper under this id."""
        return self.store.num_of(paper_id) is not None

    def categories(self) -> list[tuple[str, int]]:
        """Return this shard's categories with their paper counts."""
        return self.store.category_counts()

    def pid(self) -> int:
        """Return the process answering for this shard (tests kill it to see a replica replaced)."""
        import os

        return os.getpid()
