"""The one engine every door calls: an index reader for searches, an index writer for writes, one model."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from abstract_search.api.answering import NO_ID, Answering
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.embedder import Embedder
from abstract_search.index.errors import IndexFailure, IndexNotFoundError, ReadOnlyIndexError
from abstract_search.index.manifest import Manifest
from abstract_search.index.reader import IndexReader
from abstract_search.index.store import STORE_FILE, Store, read_only_place
from abstract_search.index.write_thread import run_in_write_thread
from abstract_search.index.writer import IndexWriter, WriteReport, check_model
from abstract_search.search.modes import MODES, RETRIEVERS
from abstract_search.search.per_generation import PerGeneration
from abstract_search.search.searcher import Searcher

log = logging.getLogger(__name__)
T = TypeVar("T")
P = TypeVar("P")


def embedder_for(settings: Settings, model: str | None = None) -> Embedder:
    """Return the embedder the settings describe (the one place an embedder is made, for every command)."""
    return Embedder(model or settings.model, settings.device, settings.batch_size, settings.backend, settings.threads,
                    settings.query_backend)


class Engine(Answering):
    """Indexing and search over one index directory, shared by the CLI, the HTTP API and the Python API.

    Searches go through the reader, which holds the FAISS index in step with the store; writes go through
    the writer, which embeds outside any lock and commits to the store, after which the reader catches up.
    """

    def __init__(self, settings: Settings, create: bool = False):
        self.settings = settings
        self.index_dir = Path(settings.index)
        if not create and not (self.index_dir / STORE_FILE).exists():
            raise IndexNotFoundError(
                f"no index at {self.index_dir}. Run `abstracts index` to build one "
                "(or pass --index DIR / set ABSTRACTS_INDEX)."
            )
        self.read_only = settings.read_only or read_only_place(self.index_dir)
        self.store = Store(self.index_dir, readonly=self.read_only)
        # With no model asked for, use the one that built the index; an explicit other one is an error.
        self.embedder = embedder_for(settings, settings.model or self.store.model())
        check_model(self.store, self.embedder.name)
        self.reader = IndexReader(self.index_dir, self.store, settings.index_type, mmap=settings.mmap)
        self._writer = None if self.read_only else IndexWriter(self.index_dir, self.embedder, self.store,
                                                               settings.index_type, settings.passages)
        self.searcher = Searcher(self.reader, self.embedder, settings.max_offset)
        self._categories = PerGeneration(self.store, lambda: [{"category": name, "papers": count}
                                                              for name, count in self.store.category_counts()])

    @property
    def writer(self) -> IndexWriter:
        """Return the index writer, or raise ReadOnlyIndexError for an index served read-only."""
        self.check_writable()
        return self._writer

    def check_writable(self) -> None:
        """Raise ReadOnlyIndexError, naming why and what to do, when the index is served read-only."""
        if self._writer is None:
            why = "--read-only (ABSTRACTS_READ_ONLY) is set" if self.settings.read_only else "its files refuse writes"
            raise ReadOnlyIndexError(
                f"the index {self.index_dir} is read-only ({why}): searches work, writes to {self.store.path} do "
                "not. To change it, copy it somewhere writable and pass --index DIR; nothing was changed."
            )

    @property
    def store_path(self) -> Path:
        """Return the path of the paper store, the source of truth, for messages."""
        return self.store.path

    @property
    def model_name(self) -> str:
        """Return the name of the embedding model the index uses."""
        return self.embedder.name

    def warm_up(self) -> None:
        """Load the FAISS index and the model now, not inside the first requests."""
        self.reader.refresh()
        self.embedder.encode_query("warm up")

    # --- reads (search, similar: api/answering.py) -----------------------------
    @property
    def answers(self) -> Searcher:
        """Return what answers this engine's searches: the searcher over its index."""
        return self.searcher

    def holds(self, paper_id: str) -> bool:
        """Return whether a paper is stored under exactly this id."""
        return self.store.num_of(paper_id) is not None

    def get(self, paper_id: str) -> Paper | None:
        """Return one paper by id."""
        return self.store.get(self.stored_id(paper_id))

    def embed(self, texts: Sequence[str]):
        """Return the index model's vectors for texts, without indexing them."""
        return self.embedder.encode(list(texts))

    def count(self) -> int:
        """Return how many papers are indexed."""
        return self.store.count()

    def stats(self) -> dict:
        """Return what the index holds and how it was built."""
        manifest = Manifest.load_if_whole(self.index_dir)
        return {
            "index": str(self.index_dir),
            "count": self.store.count(),
            "model": self.store.model(),
            "dimension": self.store.dimension(),
            "index_type": self.index_type,
            "generation": self.store.generation(),
            "created_at": self.store.get_meta("created_at"),
            "built_at": manifest.built_at if manifest else None,
            "updated_at": self.store.get_meta("updated_at"),
            "modes": [mode for mode in MODES if RETRIEVERS[mode].needs_reranker <= bool(self.reranker_for(None))],
            "categories": self.categories(),
        }

    @property
    def index_type(self) -> str:
        """Return the type of the FAISS index being served (flat, hnsw, ...)."""
        with self.reader.reading() as vectors:
            return vectors.index_type

    def categories(self) -> list[dict]:
        """Return the index's categories with their paper counts, counted again only after a commit (the
        count reads every paper; the page asks for it on each load)."""
        return self._categories.get()

    # --- writes: in the write thread, embedded and committed with no lock held, then applied ------------
    def add(self, papers: Sequence[Paper]) -> WriteReport:
        """Add or update papers as one durable batch; searches go on while the batch is embedded."""
        writer = self.writer
        return self._write(lambda: writer.prepare(papers), writer.commit)

    def add_embedded(self, papers: Sequence[Paper], vectors, passages: Sequence[bytes | None] | None = None) -> WriteReport:
        """Add papers with vectors made elsewhere (by `abstracts embed`, or another index with their passage
        vectors), embedding only the passages the index keeps and none were given for."""
        writer = self.writer
        return self._write(lambda: writer.prepare(papers, vectors, passages), writer.commit)

    def add_passages(self, papers: Sequence[Paper]) -> WriteReport:
        """Embed and store the passage vectors of these stored papers, as one durable batch (a migration)."""
        writer = self.writer
        self._write(lambda: writer.prepare_passages(papers), writer.commit_passages)
        return WriteReport(updated=[paper.id for paper in papers])

    def _write(self, prepare: Callable[[], P], commit: Callable[[P], T]) -> T:
        """Run a write in this process's write thread, below normal CPU priority: prepare it (embed) with no
        lock held, commit it, and bring FAISS up to the commit before it is answered; then the postings and
        score moments.

        Only the FAISS update holds searches off; a search that overlapped the commit is answered again
        (search/searcher.py). Searches keep the cores they need: bench/writes_during_search.py.
        """
        def write_and_apply() -> T:
            prepared = prepare()
            with self.reader.commit_lock:
                result = commit(prepared)
                self.reader.refresh()
            self.searcher.catch_up()
            return result

        return run_in_write_thread(self.settings.write_niceness, write_and_apply)

    def reindex(self, index_type: str | None = None):
        """Rebuild the FAISS index from the stored embeddings, compacting deletes."""
        manifest = Manifest.load_if_whole(self.index_dir)
        keep = manifest.index_type if manifest and manifest.pinned else None
        return self.writer.rebuild(self.reader, index_type or keep)

    def delete(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete papers by id; return (deleted, not found)."""
        writer = self.writer
        stored = {i: self.stored_id(i) for i in ids}
        deleted, _ = self._write(lambda: [s for s in stored.values() if s != NO_ID], writer.delete)
        return deleted, [i for i, s in stored.items() if s not in deleted]

    def save(self) -> None:
        """Persist the derived files (the store is already durable); a failed write is an IndexFailure."""
        if self.read_only:
            return
        try:
            self.writer.save(self.reader)
        except (OSError, RuntimeError) as exc:  # faiss reports a failed write as RuntimeError
            raise IndexFailure(
                f"could not write the vector file in {self.index_dir} ({exc}). The papers are safe in the "
                f"store {self.store.path}; free some space or make the directory writable, then run "
                "`abstracts reindex` (any command also catches the vector file up from the store)."
            ) from exc

    def close(self, save: bool = True) -> None:
        """Save (a failure is logged: the store is already durable) and release the index."""
        try:
            if save:
                self.save()
        except IndexFailure as exc:
            log.warning("%s", exc)
        finally:
            self.store.close()
