"""The read side of an index directory: the store and the FAISS index, caught up from the store, never written."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from abstract_search.index.store import Store
from abstract_search.index.vector_index import VectorIndex
from abstract_search.index.vectors_sync import catch_up, in_memory, load_vectors, rebuild_vectors

log = logging.getLogger(__name__)


class ReadWriteLock:
    """Many readers or one writer: searches never see a half-applied change to the FAISS index."""

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


class IndexReader:
    """Holds the FAISS index of a store in step with it: loaded (memory-mapped if asked) on first use, then
    caught up from the store's later commits, whoever made them, behind its own lock.

    It writes no file: a vector file that lags or disagrees with the store is caught up or rebuilt in memory,
    and `changed` tells the writer there is something worth saving.
    """

    def __init__(self, index_dir: Path, store: Store, index_type: str | None = None, mmap: bool = False):
        self.index_dir = Path(index_dir)
        self.store = store
        self._index_type = index_type
        self._mmap = mmap
        self._vectors: VectorIndex | None = None
        self._lock = ReadWriteLock()
        self._loading = threading.Lock()
        self._refreshing = threading.Lock()
        # Held by this process's commits (with their catch-up) and by a search's last try, so that one never
        # meets an in-process commit. Taken before the read-write lock, never after it.
        self.commit_lock = threading.Lock()
        self.synced = 0  # the store generation the FAISS index reflects
        self.changed = False  # whether the FAISS index differs from the vector file

    @property
    def vectors(self) -> VectorIndex:
        """Return the FAISS index, loading it on first use."""
        if self._vectors is None:
            with self._loading:
                if self._vectors is None:
                    generation = self.store.generation()
                    self._vectors, self.changed = load_vectors(self.index_dir, self.store, self._index_type,
                                                               self._mmap)
                    self.synced = generation
        return self._vectors

    @contextmanager
    def reading(self) -> Iterator[VectorIndex]:
        """Hold the FAISS index still for a search, first applying what the store committed since."""
        if self.lagging():
            self.refresh()
        with self._lock.reading():
            yield self.vectors

    def lagging(self) -> bool:
        """Return whether the store has commits the FAISS index has not seen."""
        return self._vectors is None or self.store.generation() != self.synced

    def refresh(self) -> None:
        """Apply the store's commits since the last refresh; if that fails, rebuild from the store."""
        self.vectors  # loaded first (under its own lock)
        with self._refreshing:  # one refresher at a time; the rest find the work done and never stop searches
            if self.store.generation() != self.synced:
                with self._lock.writing():
                    self._catch_up()

    def _catch_up(self) -> None:
        """Apply the store's commits since the last sync (the caller holds the lock exclusively)."""
        vectors = self._vectors
        generation = self.store.generation()
        if generation == self.synced:
            return
        try:
            if vectors.dimension != self.store.dimension():  # the first write to a new store
                self._vectors = rebuild_vectors(self.store, self._index_type)
            else:
                if self._mmap:  # a memory-mapped index cannot change: copy it into memory first
                    self._vectors = vectors = in_memory(vectors)
                    self._mmap = False
                catch_up(vectors, self.store, self.synced)
        except Exception:  # noqa: BLE001 - any FAISS failure: the store is the truth, rebuild from it
            log.exception("catching the vector index up with the store failed; rebuilding it from the store")
            self._vectors = rebuild_vectors(self.store, self._index_type or vectors.index_type)
        self.synced = generation
        self.changed = True

    def replace(self, vectors: VectorIndex, generation: int, saved: bool) -> None:
        """Serve another FAISS index (rebuilt by the writer) that reflects store generation `generation`."""
        with self._lock.writing():
            self._vectors, self.synced, self._mmap = vectors, generation, False
            self.changed = not saved

    @contextmanager
    def holding_still(self) -> Iterator[tuple[VectorIndex, int]]:
        """Yield the caught-up FAISS index and its generation, unchanged until the block ends (for a save)."""
        with self.reading() as vectors:
            yield vectors, self.synced

    def saved(self, generation: int) -> None:
        """Note that the vector file now holds the index as of `generation`."""
        if generation == self.synced:
            self.changed = False
