"""Add, update and delete papers: embed what changed and commit it to the store; save the derived files."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from abstract_search.data.paper import Paper
from abstract_search.index.embedder import Embedder
from abstract_search.index.errors import ModelMismatchError, PassageSchemeError
from abstract_search.index.atomic import remove_orphans
from abstract_search.index.manifest import MANIFEST_FILE, Manifest
from abstract_search.index.passages import SCHEME, encode_passages
from abstract_search.index.passage_matrix import PASSAGES_FILE, refresh_passage_matrix
from abstract_search.index.postings import POSTINGS_FILE, refresh_postings
from abstract_search.index.save_lock import save_lock
from abstract_search.index.reader import IndexReader
from abstract_search.index.store import Store
from abstract_search.index.vector_index import VECTORS_FILE, VectorIndex, default_index_type
from abstract_search.index.vectors_sync import rebuild_vectors, save_vectors

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
    passages: dict[str, bytes] = field(default_factory=dict)  # by paper id, where the index keeps them
    given_passages: dict[str, bytes] = field(default_factory=dict)


def check_model(store: Store, model_name: str) -> None:
    """Raise ModelMismatchError when the store's vectors came from another model."""
    built_with = store.model()
    if built_with is not None and built_with != model_name:
        raise ModelMismatchError(
            f"the index at {store.path.parent} was built with model {built_with!r}, not {model_name!r}. "
            f"Use --model {built_with} (or leave --model out), or build a new index with --index DIR."
        )


class IndexWriter:
    """The one writer of an index directory: it commits to the store, the source of truth, and saves the files
    derived from it (vectors, manifest, postings). The FAISS index served is the reader's, caught up from the store.
    """

    def __init__(self, index_dir: Path, embedder: Embedder, store: Store, index_type: str | None = None,
                 passages: bool = True):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.store = store
        check_model(self.store, embedder.name)
        self._index_type = index_type
        self.passages = passages  # whether a new index keeps passage vectors (an existing one decides itself)

    def passage_scheme(self) -> str | None:
        """Return the passage scheme this write must carry (None: whole-abstract vectors only); refuse an
        index whose passages are of another scheme than this version writes."""
        target = self.store.passage_target()
        if target is None and self.store.model() is None and self.passages:
            return SCHEME  # a new index
        if target not in (None, SCHEME):
            raise PassageSchemeError(
                f"the index at {self.index_dir} holds passage vectors of scheme {target!r}, and this version "
                f"writes {SCHEME!r}; one index holds one scheme. Run `abstracts reindex --passages --index "
                f"{self.index_dir}` to re-embed its passages once, then add again.")
        return target

    def prepare(self, papers: Sequence[Paper], vectors: np.ndarray | None = None,
                passages: Sequence[bytes | None] | None = None) -> PreparedWrite:
        """Check a batch against the store and embed what is new or changed; write nothing.

        Needs no lock: it only reads the store. `commit` re-checks inside its transaction what another
        writer may have changed since. With `vectors` (one per paper, from `abstracts embed` or another index)
        and their `passages`, nothing is embedded.
        """
        report = WriteReport()
        latest: dict[str, Paper] = {}
        given: dict[str, np.ndarray] = {}
        given_passages: dict[str, bytes] = {}
        for position, paper in enumerate(papers):
            latest[paper.id] = paper  # the doors report duplicate ids; here a later record wins
            if vectors is not None:
                given[paper.id] = vectors[position]
            if passages is not None and passages[position] is not None:
                given_passages[paper.id] = passages[position]
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
        embeddings, passage_blobs = self._embeddings(to_embed, given, given_passages)
        return PreparedWrite(report, to_embed, embeddings, metadata_only, given, passage_blobs, given_passages)

    def commit(self, prepared: PreparedWrite) -> WriteReport:
        """Write a prepared batch to the store in one transaction (again for updates another writer made stale)."""
        to_embed, embeddings, metadata_only = prepared.to_embed, prepared.embeddings, prepared.metadata_only
        passages = prepared.passages
        if (to_embed or metadata_only) and self.store.model() is None:
            self.store.bind_model(self.embedder.name, self.embedder.dimension)
            if passages:
                self.store.start_passages(SCHEME)
        while to_embed or metadata_only:
            written = self.store.write(list(zip(to_embed, embeddings)), metadata_only, deletes=[], passages=passages)
            # Another process changed the text of these papers after we checked them, or began a passage
            # migration: embed ours again and write again.
            to_embed, metadata_only = written.stale, []
            embeddings, passages = self._embeddings(to_embed, prepared.given, prepared.given_passages)
        return prepared.report

    def _embeddings(self, papers: Sequence[Paper], given: dict[str, np.ndarray],
                    given_passages: dict[str, bytes]) -> tuple[np.ndarray, dict[str, bytes]]:
        """Return the vectors of these papers, and their passage vectors where the index keeps them: the
        ones given (from `abstracts embed`, another index), else embedded now."""
        if not papers:
            return np.zeros((0, self.store.dimension() or 0), dtype=np.float32), {}  # loads no model
        if given and all(p.id in given for p in papers):
            vectors = np.array([given[p.id] for p in papers], dtype=np.float32).reshape(len(papers), -1)
        else:
            vectors = self.embedder.encode([p.text() for p in papers])
        if self.passage_scheme() is None:
            return vectors, {}
        blobs = {p.id: given_passages[p.id] for p in papers if p.id in given_passages}
        missing = [p for p in papers if p.id not in blobs]
        blobs.update((p.id, found.to_bytes()) for p, found in zip(missing, encode_passages(self.embedder, missing)))
        return vectors, blobs

    def start_passages(self) -> bool:
        """Have the index keep passage vectors of this version's scheme; return False when every paper has them."""
        if self.store.passage_scheme() == SCHEME:
            return False
        self.store.start_passages(SCHEME)
        return self.store.passage_scheme() != SCHEME

    def prepare_passages(self, papers: Sequence[Paper]) -> list[tuple[int, str, bytes]]:
        """Embed the passages of these stored papers that lack them; write nothing. Each comes with the
        vector id and text hash it was read with, so `commit_passages` skips a paper rewritten meanwhile."""
        rows = self.store.lacking_passages([p.id for p in papers])
        found = encode_passages(self.embedder, [paper for _, _, paper in rows])
        return [(num, text_hash, passages.to_bytes()) for (num, text_hash, _), passages in zip(rows, found)]

    def commit_passages(self, items: Sequence[tuple[int, str, bytes]]) -> int:
        """Store prepared passage vectors in one transaction; the last one makes the scheme the index's."""
        return self.store.set_passages(items)

    def delete(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete papers by id; return (deleted, not found)."""
        states = self.store.states(list(ids))
        found = [pid for pid in dict.fromkeys(ids) if pid in states]
        missing = [pid for pid in dict.fromkeys(ids) if pid not in states]
        if found:
            self.store.write([], [], deletes=found)
        return found, missing

    def rebuild(self, reader: IndexReader, index_type: str | None = None) -> VectorIndex:
        """Rebuild the FAISS index from the stored embeddings, as `index_type`, save it and serve it."""
        self._index_type = index_type or self._index_type
        with save_lock(self.index_dir):
            vectors = self._serve_rebuilt(reader, self._index_type, self._pinned())
            refresh_postings(self.index_dir, self.store)
            refresh_passage_matrix(self.index_dir, self.store)
        return vectors

    def _serve_rebuilt(self, reader: IndexReader, index_type: str | None, pinned: bool) -> VectorIndex:
        """Build the FAISS index again from the store, save it, and give it to the reader to serve."""
        generation = self.store.generation()
        vectors = rebuild_vectors(self.store, index_type)
        save_vectors(self.index_dir, vectors, self.store, generation, pinned)
        reader.replace(vectors, generation, saved=True)
        return vectors

    def _pinned(self) -> bool:
        """Return whether the index type was chosen (kept across size thresholds) rather than picked by size."""
        manifest = Manifest.load_if_whole(self.index_dir)
        return self._index_type is not None or bool(manifest and manifest.pinned)

    def save(self, reader: IndexReader) -> None:
        """Write the reader's FAISS index and manifest atomically if they changed, and the postings if they lag.

        Under the index's save lock, and caught up with the store first: a saved file is never older than
        the manifest it replaces, so a crash between the two renames leaves a manifest whose generation is
        a lower bound of the file's (catching up from it again is harmless).
        """
        if self.store.model() is None:
            return
        with save_lock(self.index_dir):
            for name in (VECTORS_FILE, MANIFEST_FILE, POSTINGS_FILE, PASSAGES_FILE):
                remove_orphans(self.index_dir / name)  # temporary files of a killed save
            pinned = self._pinned()
            with reader.holding_still() as (vectors, generation):
                wanted = default_index_type(self.store.count())
                switch = not pinned and vectors.index_type != wanted
                if not switch and reader.changed:
                    save_vectors(self.index_dir, vectors, self.store, generation, pinned)
                    reader.saved(generation)
            if switch:  # the corpus crossed the size threshold: switch between exact and approximate search
                self._serve_rebuilt(reader, wanted, pinned)
            refresh_postings(self.index_dir, self.store)  # independent of the vector index type
            refresh_passage_matrix(self.index_dir, self.store)
