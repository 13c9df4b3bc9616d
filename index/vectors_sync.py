"""Load the derived FAISS index and bring it up to the store's generation, or rebuild it."""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np

from abstract_search.index.atomic import write_atomic
from abstract_search.index.errors import DamagedIndexError
from abstract_search.index.manifest import Manifest
from abstract_search.index.store import Store
from abstract_search.index.vector_index import (
    VECTORS_FILE,
    VectorIndex,
    create_vector_index,
    default_index_type,
    read_vector_index,
)

log = logging.getLogger(__name__)
TRAINING_SAMPLE = 100_000


def rebuild_vectors(store: Store, index_type: str | None = None) -> VectorIndex:
    """Build a fresh FAISS index from every stored embedding (this also compacts masked deletes)."""
    count = store.count()
    vectors = create_vector_index(index_type or default_index_type(count), store.dimension() or 0, count)
    if count:
        vectors.train(store.sample_vectors(TRAINING_SAMPLE))
    for nums, batch in store.vectors_since(0):
        vectors.add(nums, batch)
    return vectors


def catch_up(vectors: VectorIndex, store: Store, since: int) -> None:
    """Apply every store change after generation `since` to the FAISS index (idempotent)."""
    vectors.remove(store.removed_since(since))
    for nums, batch in store.vectors_since(since):
        vectors.add(nums, batch)


def mask_stale(vectors: VectorIndex, store: Store) -> None:
    """Mask vectors the store no longer has, for index types that cannot remove in place."""
    if not vectors.removes_in_place:
        stale = np.setdiff1d(vectors.stored_ids(), store.all_nums(), assume_unique=True)
        vectors.masked = set(stale.tolist())


def load_vectors(index_dir: Path, store: Store, index_type: str | None = None,
                 mmap: bool = False) -> tuple[VectorIndex, bool]:
    """Return the FAISS index in step with the store, and whether it had to change.

    The file's own type and dimension are read from the file; the manifest only says which store
    generation the file has at least seen (saves write the file first, then the manifest), and that
    the store's model built it. Whatever disagrees with the store is rebuilt from the store.
    """
    index_dir = Path(index_dir)
    try:
        manifest = Manifest.load(index_dir)
    except DamagedIndexError as exc:
        log.warning("%s; rebuilding it", exc)
        manifest = None
    path = index_dir / VECTORS_FILE
    vectors = None
    if manifest is not None and manifest.model == store.model() and path.exists():
        try:
            vectors = read_vector_index(path, mmap=mmap and manifest.generation == store.generation())
        except (RuntimeError, KeyError, ValueError) as exc:
            log.warning("the vector file %s is unreadable (%s); rebuilding it from the store", path, exc)
    wanted = index_type or (vectors.index_type if vectors else None) or (manifest.index_type if manifest else None)
    if vectors is None or vectors.index_type != wanted or vectors.dimension != store.dimension():
        return rebuild_vectors(store, wanted), True
    mask_stale(vectors, store)
    changed = manifest.generation != store.generation()
    if changed:
        catch_up(vectors, store, manifest.generation)
    if vectors.count != store.count():
        log.warning("the vector file %s disagrees with the store; rebuilding it", path)
        return rebuild_vectors(store, wanted), True
    return vectors, changed


def in_memory(vectors: VectorIndex) -> VectorIndex:
    """Return a writable in-memory copy of a memory-mapped index (copy-on-write before a change)."""
    copy = type(vectors)(faiss.deserialize_index(faiss.serialize_index(vectors.index)))
    copy.masked = set(vectors.masked)
    return copy


def save_vectors(index_dir: Path, vectors: VectorIndex, store: Store, generation: int, pinned: bool = False) -> Manifest:
    """Write the FAISS file and then its manifest, each atomically."""
    index_dir = Path(index_dir)
    write_atomic(index_dir / VECTORS_FILE, vectors.save)
    previous = None
    try:
        previous = Manifest.load(index_dir)
    except DamagedIndexError:
        pass
    manifest = Manifest(
        model=store.model() or "",
        dimension=vectors.dimension,
        index_type=vectors.index_type,
        count=vectors.count,
        generation=generation,
        pinned=pinned,
        passages=store.passage_scheme(),
        built_at=previous.built_at if previous and previous.index_type == vectors.index_type else "",
    )
    manifest.save(index_dir)
    return manifest
