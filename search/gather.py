"""Answer a query over a sharded corpus as one index of it would: embed it once, scatter it to every shard
with the corpus-wide BM25 statistics, merge the shards' candidates, and fuse once (search/shard_query.py is
the shards' side). A paper is keyed by `num * shards + shard` while merging, unique across shards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from abstract_search.data.paper import Paper
from abstract_search.index.cluster import shard_of
from abstract_search.index.embedder import Embedder
from abstract_search.search.dense_stats import ScoreSums
from abstract_search.search.filters import Filters
from abstract_search.search.fusion import zscores
from abstract_search.search.hits import Results
from abstract_search.search.hybrid import Candidates, Hybrid
from abstract_search.search.lexical import LexicalScores, TermStats
from abstract_search.search.modes import DENSE, HYBRID, HYBRID_RERANK, LEXICAL, resolve_mode
from abstract_search.search.rerank import RERANK_DEPTH, rerank
from abstract_search.search.retrieval import Query
from abstract_search.search.searcher import NEGATIVE_WEIGHT, UnknownPaperError, page_of
from abstract_search.search.shard_query import ShardCandidates, ShardQuery, ShardRequest


class LocalShards:
    """Shards in this process: each call runs on every shard at once, in threads."""

    def __init__(self, shards: Sequence[ShardQuery]):
        self.shards = list(shards)
        self._pool = ThreadPoolExecutor(max_workers=len(self.shards))

    def __len__(self) -> int:
        return len(self.shards)

    def each(self, method: str, *args) -> list:
        """Return every shard's answer to one call, in shard order."""
        return list(self._pool.map(lambda shard: getattr(shard, method)(*args), self.shards))

    def one(self, shard: int, method: str, *args):
        """Return one shard's answer."""
        return getattr(self.shards[shard], method)(*args)

    def some(self, method: str, args_by_shard: dict[int, tuple]) -> dict[int, object]:
        """Return, by shard, the answers of the shards named, each called with its own arguments at once."""
        named = list(args_by_shard.items())
        return dict(zip(args_by_shard, self._pool.map(lambda item: getattr(self.shards[item[0]], method)(*item[1]), named)))


class Gather:
    """Searches every shard as one index: the same modes, filters, paging and answers as `Searcher`."""

    def __init__(self, shards, embedder: Embedder, max_offset: int = 1000):
        self.shards = shards  # LocalShards, or Ray Serve handles with the same calls (api/ray_serve.py)
        self.embedder = embedder
        self.max_offset = max_offset

    def search(self, query: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
               mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers of every shard that best answer a natural-language query."""
        mode = resolve_mode(mode, reranker)
        return self.answer(Query(query, self.embedder.encode_query(query), k, offset, filters), mode, reranker)

    def search_many(self, queries: list[str], k: int = 10, filters: Filters | None = None,
                    mode: str | None = None, reranker: str | None = None) -> list[Results]:
        """Answer several queries, embedded together where that cannot change a vector."""
        mode = resolve_mode(mode, reranker)
        vectors = self.embedder.encode_queries(queries)
        return [self.answer(Query(q, v[None, :], k, 0, filters), mode, reranker) for q, v in zip(queries, vectors)]

    def similar_text(self, text: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                     mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers nearest to a pasted abstract."""
        mode = resolve_mode(mode, reranker)
        return self.answer(Query(text, self.embedder.encode([text]), k, offset, filters), mode, reranker)

    def similar(self, paper_ids: Sequence[str], k: int = 10, offset: int = 0, filters: Filters | None = None,
                mode: str | None = None, reranker: str | None = None, not_ids: Sequence[str] = (),
                texts: Sequence[str] = ()) -> Results:
        """Return the papers nearest to a set, as `Searcher.similar` does (Rocchio over the set)."""
        mode = resolve_mode(mode, reranker)
        if not paper_ids and not texts:
            raise ValueError("give at least one paper id or text")
        liked, disliked = self.stored(paper_ids), self.stored(not_ids)
        vectors = [v for v, _ in liked] + list(self.embedder.encode(list(texts)) if texts else [])
        centre = vectors[0]
        if len(vectors) > 1 or disliked:
            centre = np.mean(vectors, axis=0)
            if disliked:
                centre = centre - NEGATIVE_WEIGHT * np.mean([v for v, _ in disliked], axis=0)
            centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
        words = [p.text() for _, p in liked] + list(texts)
        label = " · ".join([p.title for _, p in liked] + [t[:80] for t in texts])
        asked = Query("\n".join(words), np.asarray(centre, np.float32)[None, :], k, offset, filters, label=label)
        return self.answer(asked, mode, reranker, tuple(p.id for _, p in liked + disliked))

    def stored(self, ids: Sequence[str]) -> list[tuple[np.ndarray, Paper]]:
        """Return the (embedding, paper) of each id from the shard it hashes to, or raise UnknownPaperError."""
        found = []
        for paper_id in dict.fromkeys(ids):
            row = self.shards.one(shard_of(paper_id, len(self.shards)), "stored_paper", paper_id)
            if row is None:
                raise UnknownPaperError(paper_id)
            found.append((row[1], row[2]))
        return found

    def answer(self, asked: Query, mode: str, reranker: str | None = None, exclude: tuple[str, ...] = ()) -> Results:
        """Scatter the query, merge the shards' candidates into one ranking, and return the page asked for."""
        label = asked.label or asked.text
        prepared = self.shards.each("prepare", asked.text if mode != DENSE else None)
        shards = [described for described, _ in prepared]
        corpus = TermStats.combined([stats for _, stats in prepared]) if mode != DENSE else None
        request = ShardRequest(asked.text, np.asarray(asked.vector, np.float32), HYBRID if mode == HYBRID_RERANK else mode,
                               asked.want, asked.filters, exclude, corpus, all(s["passages"] for s in shards))
        parts: list[ShardCandidates] = self.shards.each("candidates", request)
        total = sum(p.total for p in parts)
        if total <= 0:
            notes = [p.note for p in parts]
            return Results(query=label, total=0, note=notes[0] if all(notes) else None, offset=asked.offset)
        merged = Merged(parts, ShardQuery.depth(request))
        if request.mode == DENSE:
            ranked, spans = merged.dense()
        elif request.mode == LEXICAL:
            ranked, spans = merged.lexical(), {}
        else:
            ranked, spans = merged.hybrid(total)
        if mode == HYBRID_RERANK:
            ranked = self.reranked(ranked[: max(asked.want, RERANK_DEPTH)], asked.text, reranker)
        ranked = ranked[: asked.want]
        stored, passages = self.fetch([key for key, _ in ranked[asked.offset:]])
        return page_of(asked, label, ranked, stored, total, passages, spans, shards[0]["dimension"], self.max_offset)

    def fetch(self, keys: list[int]) -> tuple[dict[int, tuple[np.ndarray, Paper]], dict[int, bytes]]:
        """Return the (embedding, paper) and passages of these merged keys, read from their shards."""
        count = len(self.shards)
        stored: dict[int, tuple[np.ndarray, Paper]] = {}
        passages: dict[int, bytes] = {}
        asked = {shard: ([key // count for key in keys if key % count == shard],)
                 for shard in sorted({key % count for key in keys})}
        for shard, (rows, blobs) in self.shards.some("stored", asked).items():
            stored.update((num * count + shard, row) for num, row in rows.items())
            passages.update((num * count + shard, blob) for num, blob in blobs.items())
        return stored, passages

    def reranked(self, head: list[tuple[int, float]], text: str, reranker: str | None) -> list[tuple[int, float]]:
        """Return the head reordered by the cross-encoder, as `Reranked` orders one index's."""
        stored, _ = self.fetch([key for key, _ in head])
        head = [(key, s) for key, s in head if key in stored]
        scores = rerank(reranker, text, [stored[key][1] for key, _ in head], self.embedder.device)
        return sorted(((key, s) for (key, _), s in zip(head, scores)), key=lambda pair: -pair[1])


class Merged:
    """The shards' candidates under merged keys, ranked as one index ranks its own."""

    def __init__(self, parts: Sequence[ShardCandidates], depth: int):
        self.parts, self.depth, self.count = parts, depth, len(parts)
        self.excluded = {self.key(s, n) for s, p in enumerate(parts) for n in p.excluded}

    def key(self, shard: int, num: int) -> int:
        """Return the merged key of a shard's vector id."""
        return num * self.count + shard

    def joined(self, field: Callable[[ShardCandidates], dict]) -> dict:
        """Return one per-paper map of every shard's, under merged keys."""
        return {self.key(s, n): value for s, p in enumerate(self.parts) for n, value in field(p).items()}

    def best(self, field: Callable[[ShardCandidates], list[tuple[int, float]]]) -> list[tuple[int, float]]:
        """Return the best `depth` of every shard's ranked list, best first, without the papers asked about
        (left out after the depth is taken, as one index takes it)."""
        pairs = [(self.key(s, n), score) for s, p in enumerate(self.parts) for n, score in field(p)]
        pairs.sort(key=lambda pair: -pair[1])
        return [(key, score) for key, score in pairs[: self.depth] if key not in self.excluded]

    def dense(self) -> tuple[list[tuple[int, float]], dict[int, tuple[int, int]]]:
        """Return the dense ranking: FAISS's nearest across shards, ordered by their dense scores."""
        dense = self.joined(lambda p: p.dense)
        kept = [key for key, _ in self.best(lambda p: p.nearest)]
        ranked = sorted(((key, dense[key]) for key in kept), key=lambda pair: -pair[1])
        return ranked, self.joined(lambda p: p.spans)

    def lexical(self) -> list[tuple[int, float]]:
        """Return the BM25 ranking across shards (scored with the corpus-wide statistics)."""
        return self.best(lambda p: p.lexical)

    def hybrid(self, total: int) -> tuple[list[tuple[int, float]], dict[int, tuple[int, int]]]:
        """Return the fused ranking of the merged pool, fused and smoothed once as one index fuses its own."""
        pool = list(dict.fromkeys([key for key, _ in self.best(lambda p: p.nearest)]
                                  + [key for key, _ in self.best(lambda p: p.lexical)]))
        vectors, dense, bm25 = (self.joined(lambda p: p.vectors), self.joined(lambda p: p.dense),
                                self.joined(lambda p: p.bm25))
        pool = [key for key in pool if key in vectors]
        if not pool:
            return [], {}
        scores = np.array([dense[key] for key in pool])
        lexical = LexicalScores(total=sum(p.bm25_sums[0] for p in self.parts),
                                total_sq=sum(p.bm25_sums[1] for p in self.parts))
        moments = ScoreSums.combined([p.dense_sums for p in self.parts]).moments()
        spans = self.joined(lambda p: p.spans)
        found = Candidates(pool, np.stack([vectors[key] for key in pool]), zscores(scores, *moments),
                           zscores(np.array([bm25.get(key, 0.0) for key in pool]), *lexical.moments(total)),
                           float(scores.max()), {key: spans[key] for key in pool if key in spans})
        return found.fuse(Hybrid.fusion), found.snippet_spans(Hybrid.fusion)
