"""BM25 retrieval over title and abstract, scored in numpy from the postings file as FTS5's bm25() scores it."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from abstract_search.index.fts_terms import instances
from abstract_search.index.postings import (
    POSTINGS_FILE,
    Postings,
    build_postings,
    load_postings,
    postings_from_instances,
)
from abstract_search.index.store import Store
from abstract_search.search.filters import Filters
from abstract_search.search.text_terms import query_terms

TITLE_WEIGHT = 2.0  # a query word in the title counts twice (tuned on the SciFact training claims)
K1, B = 1.2, 0.75  # the constants of FTS5's bm25()
MAX_SEGMENTS = 32  # papers written since the postings file are kept in small segments; past this, one


class LexicalIndexMissing(RuntimeError):
    """The store has no full-text index (an old store opened read-only)."""


@dataclass
class LexicalScores:
    """BM25 answers for one query: the best papers, scores asked for by id, and the score moments."""

    top: list[tuple[int, float]] = field(default_factory=list)  # (vector id, BM25), best first
    extra: dict[int, float] = field(default_factory=dict)  # BM25 of the asked-for ids that match
    total: float = 0.0  # sum of BM25 over every matching paper
    total_sq: float = 0.0  # sum of squared BM25 over every matching paper

    def moments(self, papers: int) -> tuple[float, float]:
        """Return (mean, std) of BM25 over `papers` papers, counting a non-matching one as 0."""
        if papers <= 0:
            return 0.0, 1.0
        mean = self.total / papers
        return mean, max(self.total_sq / papers - mean * mean, 0.0) ** 0.5


@dataclass(frozen=True)
class TermStats:
    """The corpus statistics BM25 weighs a query's terms by: live papers, their tokens, each term's
    document frequency. Shards' statistics add up to the whole corpus's (`combined`)."""

    papers: int = 0
    tokens: int = 0
    df: dict[str, int] = field(default_factory=dict)

    @classmethod
    def combined(cls, parts: Sequence["TermStats"]) -> "TermStats":
        """Return the statistics of the union of disjoint corpora."""
        df: Counter = Counter()
        for part in parts:
            df.update(part.df)
        return cls(sum(p.papers for p in parts), sum(p.tokens for p in parts), dict(df))


@dataclass
class Segment:
    """Postings of some papers, with the rows deleted since they were read."""

    postings: Postings
    dead: np.ndarray | None = None  # True for a row whose paper is gone
    _norms: tuple[float, np.ndarray] | None = None  # (average length, per-row BM25 length norm)

    def norms(self, average: float) -> np.ndarray:
        """Return k1 * (1 - b + b * length / average) for every row, kept until the average changes."""
        cached = self._norms
        if cached is None or cached[0] != average:
            norms = (K1 * (1 - B) + (K1 * B / average) * self.postings.lengths).astype(np.float32)
            cached = self._norms = (average, norms)
        return cached[1]

    def kill(self, nums: np.ndarray) -> None:
        """Mark the rows of these vector ids dead."""
        at = np.searchsorted(self.postings.nums, nums)
        inside = at < len(self.postings.nums)
        at = at[inside][self.postings.nums[at[inside]] == nums[inside]]
        if len(at):
            if self.dead is None:
                self.dead = np.zeros(len(self.postings), dtype=bool)
            self.dead[at] = True

    def alive(self) -> int:
        """Return how many rows are not dead."""
        return len(self.postings) - (int(self.dead.sum()) if self.dead is not None else 0)

    def alive_tokens(self) -> int:
        """Return the token count of the rows that are not dead."""
        lengths = self.postings.lengths
        total = int(lengths.sum(dtype=np.int64))
        return total - (int(lengths[self.dead].sum(dtype=np.int64)) if self.dead is not None else 0)


class Lexical:
    """BM25 (k1=1.2, b=0.75, FTS5's Porter tokens) over a store's papers: the postings file plus later writes."""

    def __init__(self, store: Store, title_weight: float = TITLE_WEIGHT, abstract_weight: float = 1.0):
        self.store = store
        self.weights = (float(title_weight), float(abstract_weight))
        self._segments: list[Segment] | None = None
        self._synced = -1
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Return whether the postings have been read (by a search) yet."""
        return self._segments is not None

    def search(self, query: str, k: int, filters: Filters | None = None,
               allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Return up to k (vector id, BM25 score) pairs, best first, among papers that meet the filters."""
        return self.scores(query, k, filters, allowed=allowed).top

    def scores(self, query: str, k: int, filters: Filters | None = None, also: Sequence[int] = (),
               allowed: np.ndarray | None = None, corpus: TermStats | None = None) -> LexicalScores:
        """Return the k best papers, the BM25 of the papers in `also`, and the score moments, in one pass.

        `allowed` (the vector ids the filters let through) saves resolving `filters` again. `corpus`, the
        statistics of a whole corpus this store is a shard of, weighs the terms as one index of it would.
        """
        terms = query_terms(query)
        if not terms:
            return LexicalScores()
        segments = self.segments()
        if allowed is None and filters is not None and filters.active():
            allowed = filters.allowed_nums(self.store)
        nums, scores = self._score(segments, terms, corpus or self._stats(segments, terms))
        if allowed is not None:
            keep = np.isin(nums, allowed)
            nums, scores = nums[keep], scores[keep]
        result = LexicalScores(total=float(scores.sum()), total_sq=float((scores * scores).sum()))
        k = max(k, 1)
        best = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
        result.top = sorted(((int(nums[i]), float(scores[i])) for i in best), key=lambda pair: (-pair[1], pair[0]))
        if len(also) and len(nums):  # nums ascend: segments hold ever newer vector ids
            asked = np.asarray(also, dtype=np.int64)
            at = np.searchsorted(nums, asked).clip(max=len(nums) - 1)
            hit = nums[at] == asked
            result.extra = dict(zip(asked[hit].tolist(), scores[at[hit]].tolist()))
        return result

    def term_stats(self, query: str) -> TermStats:
        """Return this store's statistics for the query's terms (a shard's part of the corpus's)."""
        terms = query_terms(query)
        return self._stats(self.segments(), terms) if terms else TermStats()

    def _stats(self, segments: list[Segment], terms: Counter) -> TermStats:
        """Return the live papers, their tokens and each term's live document frequency."""
        df = {}
        for term in terms:
            df[term] = 0
            for s in segments:
                start, end = s.postings.span(term)
                dead = int(s.dead[s.postings.rows[start:end]].sum()) if s.dead is not None else 0
                df[term] += end - start - dead
        return TermStats(sum(s.alive() for s in segments), sum(s.alive_tokens() for s in segments), df)

    def _score(self, segments: list[Segment], terms: Counter, corpus: TermStats) -> tuple[np.ndarray, np.ndarray]:
        """Return the vector ids of every live paper holding a query term, and their BM25 scores."""
        papers = corpus.papers
        if papers == 0 or not sum(s.alive() for s in segments):
            return np.array([], np.int64), np.array([], np.float64)
        average = corpus.tokens / papers
        spans = {t: [s.postings.span(t) for s in segments] for t in terms}
        idf = {}
        for term in spans:
            df = corpus.df.get(term, 0)
            idf[term] = max(math.log((papers - df + 0.5) / (df + 0.5)), 1e-6)  # FTS5 floors it the same way
        # float32 and in place: scoring is a few passes over the postings of each query term
        title_weight, abstract_weight = (np.float32(w) for w in self.weights)
        all_nums, all_scores = [], []
        for position, segment in enumerate(segments):
            p = segment.postings
            norms = segment.norms(average)
            scores = None
            for term, count in terms.items():
                start, end = spans[term][position]
                if start == end:
                    continue
                rows = p.rows[start:end]
                tf = np.multiply(p.title_tf[start:end], title_weight, dtype=np.float32)
                tf += abstract_weight * p.abstract_tf[start:end]
                denominator = norms[rows]
                denominator += tf
                tf *= np.float32(count * idf[term] * (K1 + 1))
                tf /= denominator
                if scores is None:
                    scores = np.zeros(len(p), dtype=np.float32)
                scores[rows] += tf
            if scores is None:
                continue
            if segment.dead is not None:
                scores[segment.dead] = 0.0
            hit = np.flatnonzero(scores > 0)  # scores are never negative; a bool mask scans 8x faster
            all_nums.append(p.nums[hit])
            all_scores.append(scores[hit].astype(np.float64))
        if not all_nums:
            return np.array([], np.int64), np.array([], np.float64)
        return np.concatenate(all_nums), np.concatenate(all_scores)

    def segments(self) -> list[Segment]:
        """Return the postings in step with the store: the file (or a fresh read) plus later writes."""
        generation = self.store.generation()
        if self._segments is not None and generation == self._synced:
            return self._segments
        with self._lock:
            if self._segments is None:
                base = load_postings(self.store.path.parent / POSTINGS_FILE)
                if base is None or base.generation > generation:
                    base = self._build()
                self._segments, self._synced = [Segment(base)], base.generation
            if self.store.generation() != self._synced:
                self._catch_up()
            return self._segments

    def _build(self) -> Postings:
        if not self.store.has_lexical():
            raise LexicalIndexMissing(
                f"the index at {self.store.path.parent} has no full-text index yet; run `abstracts stats --index "
                f"{self.store.path.parent}` once with write access to build it"
            )
        return build_postings(self.store)

    def _catch_up(self) -> None:
        """Add segments for papers written after the last sync and mark removed ones dead."""
        current, synced = self._segments, self._synced
        if len(current) >= MAX_SEGMENTS:  # fold every later segment into one, read again below
            current, synced = [Segment(current[0].postings)], current[0].postings.generation
        generation, removed, rows = self.store.texts_since(synced)  # one snapshot: they agree
        # Copy on write: a search running now keeps the consistent view it started with.
        segments = [Segment(s.postings, None if s.dead is None else s.dead.copy()) for s in current]
        for segment in segments:
            segment.kill(np.asarray(removed, dtype=np.int64))
        if rows:
            nums = np.array([r[0] for r in rows], dtype=np.int64)
            segments.append(Segment(postings_from_instances([instances(rows)], nums, generation)))
        self._segments, self._synced = segments, generation
