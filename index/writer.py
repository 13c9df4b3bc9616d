"""Add, update and delete papers: embed what changed, commit to the store, update FAISS."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from abstract_search.data.paper import Paper
from abstract_search.index.embedder import Embedder
from abstract_search.index.errors import ModelMismatchError
from abstract_search.index.atomic import remove_orphans
from abstract_search.index.manifest import MANIFEST_FILE, Manifest
from abstract_search.index.postings import POSTINGS_FILE, refresh_postings
from abstract_search.index.save_lock import save_lock
from abstract_search.index.store import Store, Written
from abstract_search.index.vector_index import VECTORS_FILE, VectorIndex, default_index_type
from abstract_search.index.vectors_sync import catch_up, in_memory, load_vectors, rebuild_vectors, save_vectors

log = logging.getLogger(__name__)


@dataclass
class WriteReport:
    """What one write did to each paper id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: "WriteReport") -> None:
        """Add another report's entries to this one."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected


@dataclass
class PreparedWrite:
    """A batch checked against the store and embedded, ready to commit; nothing is written yet."""

    report: WriteReport
    to_embed: list[Paper]
    embeddings: np.ndarray
    metadata_only: list[Paper]
    given: dict[str, np.ndarray]


def check_model(store: Store, model_name: str) -> None:
    """Raise ModelMismatchError when the store's vectors came from another model."""
    built_with = store.model()
    if built_with is not None and built_with != model_name:
        raise ModelMismatchError(
            f"the index at {store.path.parent} was built with model {built_with!r}, not {model_name!r}. "
            f"Use --model {built_with} (or leave --model out), or build a new index with --index DIR."
        )


class IndexWriter:
    """The one writer of an index directory: store first, then the derived FAISS index."""

    def __init__(self, index_dir: Path, embedder: Embedder, index_type: str | None = None, store: Store | None = None,
                 mmap: bool = False):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.store = store or Store(self.index_dir)
        check_model(self.store, embedder.name)
        self._index_type = index_type
        self._vectors: VectorIndex | None = None
        self._dirty = False
        self._mmap = mmap
        self.synced = 0  # the store generation the in-memory FAISS index reflects

    @property
    def vectors(self) -> VectorIndex:
        """Return the FAISS index, loaded and caught up with the store on first use."""
        if self._vectors is None:
            if self.store.model() is None:
                self.store.bind_model(self.embedder.name, self.embedder.dimension)
            generation = self.store.generation()
            self._vectors, self._dirty = load_vectors(self.index_dir, self.store, self._index_type, self._mmap)
            self.synced = generation
        return self._vectors

    def lagging(self) -> bool:
        """Return whether another process committed writes this FAISS index has not seen."""
        return self._vectors is not None and self.store.generation() != self.synced

    def refresh(self) -> None:
        """Apply writes committed by other processes (server workers share one store)."""
        generation = self.store.generation()
        if self._vectors is not None and generation != self.synced:
            catch_up(self._writable_vectors(), self.store, self.synced)
            self.synced = generation

    def _committed(self, generation: int) -> None:
        """Note our own commit; if another process committed in between, the next refresh catches up."""
        if generation == self.synced + 1:
            self.synced = generation

    def _writable_vectors(self) -> VectorIndex:
        """Return the FAISS index ready for changes, copying a memory-mapped one into memory first."""
        vectors = self.vectors
        if self._mmap:
            self._vectors = vectors = in_memory(vectors)
            self._mmap = False
        return vectors

    def add(self, papers: Sequence[Paper], vectors: np.ndarray | None = None) -> WriteReport:
        """Add or update a batch of papers as one transaction; only new or changed texts are embedded.

        With `vectors` (one per paper, from `abstracts embed`), nothing is embedded here.
        """
        return self.commit(self.prepare(papers, vectors))

    def prepare(self, papers: Sequence[Paper], vectors: np.ndarray | None = None) -> "PreparedWrite":
        """Check a batch against the store and embed what is new or changed; write nothing.

        Needs no lock: it only reads the store. `commit` re-checks inside its transaction what another
        writer may have changed since.
        """
        report = WriteReport()
        latest: dict[str, Paper] = {}
        given: dict[str, np.ndarray] = {}
        for position, paper in enumerate(papers):
            latest[paper.id] = paper  # the doors report duplicate ids; here a later record wins
            if vectors is not None:
                given[paper.id] = vectors[position]
        states = self.store.states(list(latest))
        to_embed: list[Paper] = []
        metadata_only: list[Paper] = []
        for paper in latest.values():
            state = states.get(paper.id)
            if state is None:
                to_embed.append(paper)
                report.added.append(paper.id)
            elif state.text_hash != paper.text_hash():
                to_embed.append(paper)
                report.updated.append(paper.id)
            elif state.content_hash != paper.content_hash():
                metadata_only.append(paper)
                report.updated.append(paper.id)
            else:
                report.unchanged.append(paper.id)
        return PreparedWrite(report, to_embed, self._embeddings(to_embed, given), metadata_only, given)

    def commit(self, prepared: "PreparedWrite") -> WriteReport:
        """Write a prepared batch as one transaction and bring FAISS in step (the caller holds the write lock)."""
        to_embed, embeddings, metadata_only = prepared.to_embed, prepared.embeddings, prepared.metadata_only
        if to_embed or metadata_only:
            self._writable_vectors()  # binds the model before the first write
        while to_embed or metadata_only:
            written = self.store.write(list(zip(to_embed, embeddings)), metadata_only, deletes=[])
            self._apply(written, to_embed, embeddings)
            # Another process changed the text of these papers after we checked them: embed ours and write again.
            to_embed, metadata_only = written.stale, []
            embeddings = self._embeddings(to_embed, prepared.given)
        return prepared.report

    def _embeddings(self, papers: Sequence[Paper], given: dict[str, np.ndarray]) -> np.ndarray:
        """Return the vectors of these papers: the ones given (from `abstracts embed`), else embedded now."""
        if not papers:
            return np.zeros((0, self.store.dimension() or 0), dtype=np.float32)  # loads no model
        if given and all(p.id in given for p in papers):
            return np.array([given[p.id] for p in papers], dtype=np.float32).reshape(len(papers), -1)
        return self.embedder.encode([p.text() for p in papers])

    def delete(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete papers by id; return (deleted, not found)."""
        states = self.store.states(list(ids))
        found = [pid for pid in dict.fromkeys(ids) if pid in states]
        missing = [pid for pid in dict.fromkeys(ids) if pid not in states]
        if found:
            self._writable_vectors()
            self._apply(self.store.write([], [], deletes=found), [], None)
        return found, missing

    def _apply(self, written: Written, inserted: Sequence[Paper], embeddings: np.ndarray | None) -> None:
        """Bring the FAISS index in step with a committed write; if that fails, rebuild it from the store.

        The write is already durable, so a failure here must not fail it: the index is derived data.
        """
        try:
            index = self._writable_vectors()
            index.remove(written.removed)
            if len(inserted):
                nums = np.array([written.added[p.id] for p in inserted], dtype=np.int64)
                index.add(nums, embeddings)
            self._committed(written.generation)
        except Exception:  # noqa: BLE001 - any FAISS failure: the store is the truth, rebuild from it
            log.exception("updating the vector index after a committed write failed; rebuilding it from the store")
            self.synced = self.store.generation()
            self._vectors = rebuild_vectors(self.store, self._index_type or getattr(self._vectors, "index_type", None))
            self._mmap = False
        self._dirty = True

    def rebuild(self, index_type: str | None = None) -> VectorIndex:
        """Rebuild the FAISS index from the stored embeddings, as `index_type`, and save it."""
        self.synced = self.store.generation()
        self._vectors = rebuild_vectors(self.store, index_type or self._index_type)
        self._index_type = index_type or self._index_type
        self._mmap = False
        self.save(force=True)
        return self._vectors

    def save(self, force: bool = False) -> None:
        """Write the FAISS file and manifest atomically if anything changed, and the postings file if it lags.

        Under the index's save lock, and caught up with the store first: a saved file is never older than
        the manifest it replaces, so a crash between the two renames leaves a manifest whose generation is
        a lower bound of the file's (catching up from it again is harmless).
        """
        if self.store.model() is None:
            return
        with save_lock(self.index_dir):
            for name in (VECTORS_FILE, MANIFEST_FILE, POSTINGS_FILE):
                remove_orphans(self.index_dir / name)  # temporary files of a killed save
            if self.lagging():
                self.refresh()
                self._dirty = True
            vectors = self.vectors
            manifest = Manifest.load_if_whole(self.index_dir)
            pinned = self._index_type is not None or bool(manifest and manifest.pinned)
            wanted = default_index_type(self.store.count())
            if not pinned and vectors.index_type != wanted:
                # The corpus crossed the size threshold: switch between exact and approximate search.
                self.synced = self.store.generation()
                self._vectors = vectors = rebuild_vectors(self.store, wanted)
                force = True
            if self._dirty or force:
                save_vectors(self.index_dir, vectors, self.store, self.synced, pinned)
                self._dirty = False
            refresh_postings(self.index_dir, self.store)  # independent of the vector index type
