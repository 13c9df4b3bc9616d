"""The one engine every door calls: it owns the store, the FAISS index, the model and a read-write lock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from abstract_search.api.settings import Settings
from abstract_search.data.ids import lookup_ids
from abstract_search.data.text import has_lone_surrogate
from abstract_search.data.paper import Paper
from abstract_search.index.embedder import Embedder
from abstract_search.index.errors import IndexFailure, IndexNotFoundError
from abstract_search.index.manifest import Manifest
from abstract_search.index.store import STORE_FILE, Store
from abstract_search.index.writer import IndexWriter, WriteReport, check_model
from abstract_search.search.filters import Filters
from abstract_search.search.hits import Results
from abstract_search.search.searcher import Searcher, UnknownPaperError

log = logging.getLogger(__name__)
NO_ID = ""  # what stored_id answers for an id no paper can have


class ReadWriteLock:
    """Many readers or one writer: searches never see a half-applied write."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the lock shared."""
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock exclusively."""
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._writer = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def embedder_for(settings: Settings, model: str | None = None) -> Embedder:
    """Return the embedder the settings describe (the one place an embedder is made, for every command)."""
    return Embedder(model or settings.model, settings.device, settings.batch_size, settings.backend, settings.threads,
                    settings.query_backend)


class Engine:
    """Indexing and search over one index directory, shared by the CLI and the HTTP API."""

    def __init__(self, settings: Settings, create: bool = False):
        self.settings = settings
        self.index_dir = Path(settings.index)
        if not create and not (self.index_dir / STORE_FILE).exists():
            raise IndexNotFoundError(
                f"no index at {self.index_dir}. Run `abstracts index` to build one "
                "(or pass --index DIR / set ABSTRACTS_INDEX)."
            )
        self.store = Store(self.index_dir)
        # With no model asked for, use the one that built the index; an explicit other one is an error.
        self.embedder = embedder_for(settings, settings.model or self.store.model())
        check_model(self.store, self.embedder.name)
        self.writer = IndexWriter(self.index_dir, self.embedder, settings.index_type, store=self.store,
                                  mmap=settings.mmap)
        self.lock = ReadWriteLock()
        self._searcher: Searcher | None = None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the read lock, first applying writes other server workers committed to the store."""
        if self.writer.lagging():
            with self.lock.writing():
                self.writer.refresh()
        with self.lock.reading():
            yield

    @property
    def searcher(self) -> Searcher:
        """Return the searcher over the current FAISS index."""
        if self._searcher is None or self._searcher.vectors is not self.writer.vectors:
            # the lexical side keeps its caught-up postings across a new FAISS index
            lexical = self._searcher.lexical if self._searcher is not None else None
            self._searcher = Searcher(self.store, self.writer.vectors, self.embedder, lexical)
        return self._searcher

    # --- reads --------------------------------------------------------------
    # `mode` is dense, lexical, hybrid or hybrid+rerank (None: hybrid, or hybrid+rerank when a reranker
    # is set); `reranker` is a cross-encoder name or path (None: the settings' reranker, if any).
    def search(self, query: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
               mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers nearest to a query."""
        with self.reading():
            return self.searcher.search(query, k, offset, filters, mode, self.reranker_for(reranker))

    def search_many(self, queries: list[str], k: int = 10, filters: Filters | None = None,
                    mode: str | None = None, reranker: str | None = None) -> list[Results]:
        """Answer several queries in one embedding batch."""
        with self.reading():
            return self.searcher.search_many(queries, k, filters, mode, self.reranker_for(reranker))

    def similar(self, paper_id: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                mode: str | None = None, reranker: str | None = None) -> Results:
        """Return papers related to one in the index."""
        with self.reading():
            try:
                return self.searcher.similar(self.stored_id(paper_id), k, offset, filters, mode,
                                             self.reranker_for(reranker))
            except UnknownPaperError:
                raise UnknownPaperError(paper_id) from None  # name the id as the user typed it

    def similar_text(self, text: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                     mode: str | None = None, reranker: str | None = None) -> Results:
        """Return papers related to a pasted text."""
        with self.reading():
            return self.searcher.similar_text(text, k, offset, filters, mode, self.reranker_for(reranker))

    def stored_id(self, paper_id: str) -> str:
        """Return the id a paper is stored under for an id as typed (data/ids.py), or NO_ID for none possible."""
        if has_lone_surrogate(paper_id):
            return NO_ID  # no stored id holds one, and SQLite cannot even be asked
        candidates = lookup_ids(paper_id)
        return next((c for c in candidates if self.store.num_of(c) is not None), candidates[-1])

    def reranker_for(self, reranker: str | None) -> str | None:
        """Return the cross-encoder asked for, else the one in the settings (ABSTRACTS_RERANKER), if any."""
        return reranker or self.settings.reranker

    def get(self, paper_id: str) -> Paper | None:
        """Return one paper by id."""
        with self.reading():
            return self.store.get(self.stored_id(paper_id))

    def embed(self, texts: Sequence[str]):
        """Return the index model's vectors for texts, without indexing them."""
        return self.embedder.encode(list(texts))

    def count(self) -> int:
        """Return how many papers are indexed."""
        return self.store.count()

    def stats(self) -> dict:
        """Return what the index holds and how it was built."""
        with self.reading():
            manifest = Manifest.load_if_whole(self.index_dir)
            return {
                "index": str(self.index_dir),
                "count": self.store.count(),
                "model": self.store.model(),
                "dimension": self.store.dimension(),
                "index_type": self.writer.vectors.index_type,
                "generation": self.store.generation(),
                "created_at": self.store.get_meta("created_at"),
                "built_at": manifest.built_at if manifest else None,
                "updated_at": self.store.get_meta("updated_at"),
            }

    # --- writes -------------------------------------------------------------
    def add(self, papers: Sequence[Paper]) -> WriteReport:
        """Add or update papers as one durable batch; searches go on while the batch is embedded."""
        prepared = self.writer.prepare(papers)  # embedding takes seconds: outside the lock
        with self.lock.writing():
            return self.writer.commit(prepared)

    def add_embedded(self, papers: Sequence[Paper], vectors) -> WriteReport:
        """Add papers with vectors made elsewhere (by `abstracts embed`), embedding nothing."""
        prepared = self.writer.prepare(papers, vectors)
        with self.lock.writing():
            return self.writer.commit(prepared)

    def reindex(self, index_type: str | None = None):
        """Rebuild the FAISS index from the stored embeddings, compacting deletes."""
        with self.lock.writing():
            manifest = Manifest.load_if_whole(self.index_dir)
            keep = manifest.index_type if manifest and manifest.pinned else None
            return self.writer.rebuild(index_type or keep)

    def delete(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete papers by id; return (deleted, not found)."""
        with self.lock.writing():
            stored = {i: self.stored_id(i) for i in ids}
            deleted, _ = self.writer.delete([s for s in stored.values() if s != NO_ID])
            return deleted, [i for i, s in stored.items() if s not in deleted]

    def save(self) -> None:
        """Persist the derived FAISS index (the store is already durable); a failed write is an IndexFailure."""
        with self.lock.writing():
            try:
                self.writer.save()
            except (OSError, RuntimeError) as exc:  # faiss reports a failed write as RuntimeError
                raise IndexFailure(
                    f"could not write the vector file in {self.index_dir} ({exc}). The papers are safe in the "
                    f"store {self.store.path}; free some space or make the directory writable, then run "
                    "`abstracts reindex` (any command also catches the vector file up from the store)."
                ) from exc

    def close(self) -> None:
        """Save (a failure is logged: the store is already durable) and release the index."""
        try:
            self.save()
        except IndexFailure as exc:
            log.warning("%s", exc)
        finally:
            self.store.close()
