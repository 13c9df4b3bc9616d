"""Answer queries, similar-to-paper and similar-to-text in any mode, with filters, as ranked hits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext

import numpy as np

from abstract_search.data.paper import Paper
from abstract_search.index.embedder import Embedder
from abstract_search.index.reader import IndexReader
from abstract_search.index.vector_index import VectorIndex
from abstract_search.search.dense_stats import DenseStats
from abstract_search.search.filters import Filters
from abstract_search.search.hits import Hit, Results
from abstract_search.search.match import query_term_set, term_share
from abstract_search.search.lexical import Lexical
from abstract_search.search.modes import RETRIEVERS, resolve_mode
from abstract_search.search.passage_scores import PassageScores, rescored
from abstract_search.search.per_generation import PerGeneration
from abstract_search.search.retrieval import Query, Scope, Sources


# A search that overlaps a commit (its own process's or another worker's) is answered again over the
# caught-up index, so its total, filters and hits agree; the last try holds this process's commits off,
# and its answer stands.
SNAPSHOT_TRIES = 3
NEGATIVE_WEIGHT = 0.15  # Rocchio's textbook weight for non-relevant examples (Manning et al., IR book, 9.1.1)


class UnknownPaperError(KeyError):
    """No paper with this id is in the index."""

    def __str__(self) -> str:
        return f"no paper with id {self.args[0]!r} in the index"


class Searcher:
    """Answers queries from an index reader (store and FAISS) and the BM25 postings; it writes none of them."""

    def __init__(self, reader: IndexReader, embedder: Embedder, max_offset: int = 1000):
        self.reader = reader
        self.max_offset = max_offset  # the deepest page a door serves: `more` is false past it
        self.store = reader.store
        self.embedder = embedder
        self.lexical = Lexical(reader.store)
        self.dense_stats = DenseStats(reader.store)
        self.passages = PassageScores(reader.store)
        self._count = PerGeneration(reader.store, lambda: self.store.count())

    def catch_up(self) -> None:
        """Bring the BM25 postings and the dense score moments up to the store now, so that the first
        search after a write does not pay for it (a writer calls this after its commit)."""
        if self.lexical.loaded:  # a process that never searched (a bulk `abstracts add`) skips this
            self.lexical.segments()
            self.dense_stats.sums()
            if self.passages.active:
                self.dense_stats.passage_sample()

    def search(self, query: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
               mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers that best answer a natural-language query."""
        mode = resolve_mode(mode, reranker)
        vector = self.embedder.encode_query(query)  # every mode: the match levels read the dense cosine
        return self.answer(Query(query, vector, k, offset, filters), mode, reranker)

    def search_many(self, queries: list[str], k: int = 10, filters: Filters | None = None,
                    mode: str | None = None, reranker: str | None = None) -> list[Results]:
        """Answer several queries, embedding them together where that cannot change a vector."""
        mode = resolve_mode(mode, reranker)
        vectors = self.embedder.encode_queries(queries)
        return [self.answer(Query(q, v[None, :], k, 0, filters), mode, reranker)
                for q, v in zip(queries, vectors)]

    def similar(self, paper_ids: Sequence[str], k: int = 10, offset: int = 0, filters: Filters | None = None,
                mode: str | None = None, reranker: str | None = None, not_ids: Sequence[str] = (),
                texts: Sequence[str] = ()) -> Results:
        """Return the papers nearest to a set: papers in the index and pasted texts, without the papers asked about.

        The set is asked about as one (Rocchio): the mean of its embeddings, less NEGATIVE_WEIGHT times the
        mean of the `not_ids` papers' (left out too), and all its words.
        """
        mode = resolve_mode(mode, reranker)
        if not paper_ids and not texts:
            raise ValueError("give at least one paper id or text")
        text_vectors = list(self.embedder.encode(list(texts))) if texts else []

        def stored(ids: Sequence[str]) -> list[tuple[int, np.ndarray, Paper]]:
            found = []
            for paper_id in dict.fromkeys(ids):
                row = self.store.stored_paper(paper_id)
                if row is None:
                    raise UnknownPaperError(paper_id)
                found.append(row)
            return found

        def query() -> Query:  # read inside each try: a paper rewritten meanwhile has a new vector id
            liked, disliked = stored(paper_ids), stored(not_ids)
            vectors = [v for _, v, _ in liked] + text_vectors
            centre = vectors[0]
            if len(vectors) > 1 or disliked:
                centre = np.mean(vectors, axis=0)
                if disliked:
                    centre = centre - NEGATIVE_WEIGHT * np.mean([v for _, v, _ in disliked], axis=0)
                centre = centre / max(float(np.linalg.norm(centre)), 1e-12)  # unit length, as stored embeddings are
            words = [p.text() for _, _, p in liked] + list(texts)
            label = " · ".join([p.title for _, _, p in liked] + [t[:80] for t in texts])
            return Query("\n".join(words), np.asarray(centre, np.float32)[None, :], k, offset, filters,
                         frozenset(n for n, _, _ in liked + disliked), label=label)

        return self.answer(query, mode, reranker)

    def similar_text(self, text: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                     mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers nearest to a pasted abstract."""
        mode = resolve_mode(mode, reranker)
        return self.answer(Query(text, self.embedder.encode([text]), k, offset, filters), mode, reranker)

    def answer(self, query: Query | Callable[[], Query], mode: str, reranker: str | None = None) -> Results:
        """Rank the papers in the query's scope with the mode's retriever and return the page asked for.

        A query that reads the store (similar to stored papers) is given as a function, read again on each try.
        """
        make = query if callable(query) else (lambda: query)
        for attempt in range(SNAPSHOT_TRIES):
            last = attempt == SNAPSHOT_TRIES - 1
            with self.reader.commit_lock if last else nullcontext(), self.reader.reading() as vectors:
                generation = self.reader.synced
                asked = make()
                label = asked.label or asked.text
                scope = self.scope(asked)
                if scope.total <= 0 or (RETRIEVERS[mode].needs_vector and vectors.count == 0):
                    filters = asked.filters
                    note = filters.why_nothing(self.store) if scope.total <= 0 and filters and filters.active() else None
                    return Results(query=label, total=max(scope.total, 0), note=note, offset=asked.offset)
                retriever = RETRIEVERS[mode](self.sources(vectors, reranker))
                ranked = retriever.rank(asked, scope)[: asked.want]
                shown = [n for n, _ in ranked[asked.offset:]]
                stored, passages = self.store.stored_by_num(shown), self.passages.read(shown)
                if self.store.generation() == generation:
                    break  # nothing was committed meanwhile: the store and FAISS answered as one snapshot
        return self.page(asked, label, ranked, stored, scope.total, passages, getattr(retriever, "spans", {}))

    def sources(self, vectors: VectorIndex, reranker: str | None = None) -> Sources:
        """Return what a retriever reads, over the FAISS index being served."""
        return Sources(self.store, vectors, self.lexical, self.dense_stats, self.embedder, self.passages, reranker)

    def page(self, asked: Query, label: str, ranked: list[tuple[int, float]],
             stored: dict[int, tuple[np.ndarray, Paper]], total: int, passages: dict[int, bytes] | None = None,
             spans: dict[int, tuple[int, int]] | None = None) -> Results:
        """Return the page of hits asked for (see `page_of`)."""
        return page_of(asked, label, ranked, stored, total, passages or {}, spans or {},
                       self.store.dimension() or 0, self.max_offset)

    def paper_count(self) -> int:
        """Return how many papers are stored, counted again only after a commit (SELECT count(*) walks an
        index of every paper: 0.45 ms a query at 124,630 papers)."""
        return self._count.get()

    def scope(self, query: Query) -> Scope:
        """Return the vector ids the query's filters allow (None: all) and how many papers it may return."""
        filters = query.filters
        allowed = filters.allowed_nums(self.store) if filters and filters.active() else None
        total = len(allowed) if allowed is not None else self.paper_count()
        if query.exclude:
            excluded = np.fromiter(query.exclude, dtype=np.int64)
            total -= len(excluded) if allowed is None else int(np.isin(excluded, allowed).sum())
        return Scope(allowed, total)


def page_of(asked: Query, label: str, ranked: list[tuple[int, float]], stored: dict[int, tuple[np.ndarray, Paper]],
            total: int, passages: dict[int, bytes], spans: dict[int, tuple[int, int]], dimension: int,
            max_offset: int) -> Results:
    """Return the page of hits asked for, each with its match evidence (its dense score, the same in every
    mode, and the span of the abstract whose passage matched best where dense evidence ranked it), and
    whether a next page is worth it. `ranked` and the maps share one key per paper."""
    vector = np.asarray(asked.vector, dtype=np.float32).reshape(-1)
    terms = query_term_set(asked.text) if not asked.label else None  # a set of papers: cosine alone
    shown = [n for n, _ in ranked[asked.offset:] if n in stored]  # one deleted just now is skipped
    whole = np.array([stored[n][0] @ vector for n in shown], dtype=np.float64)
    dense, _ = rescored(vector, shown, whole, passages, dimension)
    scores = dict(ranked[asked.offset:])
    hits = [Hit(stored[n][1], scores[n], label, float(cosine), term_share(terms, stored[n][1]), len(terms or ()),
                spans.get(n)) for n, cosine in zip(shown, dense)]
    more = (len(ranked) >= asked.want and asked.want < total and asked.offset + asked.k <= max_offset
            and any(hit.level != "weak" for hit in hits))
    return Results(query=label, hits=hits, total=total, offset=asked.offset, more=more)
