"""The passage vectors of every paper as one memory-mapped float16 matrix, derived from the store.

A dense query re-scores its nearest papers by their passages. Read from the store, 300 papers' stored
forms cost 1.4 ms and unpacking them 0.9 ms a query at 124,630 papers; as rows of one mapped matrix they
are a gather, shared by every worker. A paper's passages never change under its vector id (an edit of its
text gives it a new one), so a file that lags the store is still right for the papers it holds: searches
read the later ones from the store, and the file is rewritten once it lags by REBUILD_SHARE of the papers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.index.array_file import load_arrays, save_arrays
from abstract_search.index.passages import SCHEME, stored_parts
from abstract_search.index.store import Store

PASSAGES_FILE = "passages.matrix"
REBUILD_SHARE = 0.05
FETCH = 4096
_FIELDS = ("nums", "starts", "vectors", "spans")


@dataclass
class PassageMatrix:
    """Passage rows of a set of papers: the rows of paper nums[i] are [starts[i], starts[i + 1])."""

    nums: np.ndarray  # int64, ascending
    starts: np.ndarray  # int64, len(nums) + 1
    vectors: np.ndarray  # float16 (rows, dimension)
    spans: np.ndarray  # int32 (rows, 2): the part of the abstract each row read
    generation: int = 0  # the store generation it was read at
    store: str = ""  # the store's created_at: a file beside another store is not its own
    scheme: str = SCHEME

    def __len__(self) -> int:
        return len(self.nums)

    def belongs_to(self, store: Store) -> bool:
        """Return whether this matrix holds the store's passages as they are now: of this version's scheme,
        read from this store, not ahead of it, and not before a migration last wrote every paper's anew."""
        return (self.scheme == SCHEME and self.store == (store.get_meta("created_at", "") or "")
                and store.passages_since() < self.generation <= store.generation())

    def find(self, nums: Sequence[int]) -> np.ndarray:
        """Return, for each num, its position in this matrix, or -1 where it holds no passages for it."""
        asked = np.asarray(nums, dtype=np.int64)
        at = np.searchsorted(self.nums, asked)
        inside = at < len(self.nums)
        hit = np.zeros(len(asked), dtype=bool)
        hit[inside] = self.nums[at[inside]] == asked[inside]
        return np.where(hit, at, -1)

    def rows(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the passage vectors (float32) of the papers at these positions stacked, each one's row
        count, and each one's first row in the matrix."""
        first, counts = self.starts[positions], self.starts[positions + 1] - self.starts[positions]
        index = np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
        return self.vectors[index].astype(np.float32), counts, first


def build_passage_matrix(store: Store) -> PassageMatrix:
    """Read every stored paper's passage vectors into one matrix, as of one consistent generation."""
    dimension = store.dimension() or 0
    nums, counts, vectors, spans = [], [], [], []
    with store.passage_rows(FETCH) as (generation, batches):
        for batch in batches:
            for num, blob in batch:
                found_spans, found_vectors = stored_parts(blob, dimension)
                nums.append(num)
                counts.append(len(found_spans))
                vectors.append(found_vectors)
                spans.append(found_spans)
    starts = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
    return PassageMatrix(np.asarray(nums, np.int64), starts,
                         np.vstack(vectors) if vectors else np.zeros((0, dimension), np.float16),
                         np.vstack(spans).astype(np.int32) if spans else np.zeros((0, 2), np.int32),
                         generation, store.get_meta("created_at", "") or "")


def save_passage_matrix(path: Path, matrix: PassageMatrix) -> None:
    """Write the matrix atomically (index/array_file.py's form)."""
    save_arrays(Path(path), {"generation": matrix.generation, "store": matrix.store, "scheme": matrix.scheme},
                [getattr(matrix, name) for name in _FIELDS])


def load_passage_matrix(path: Path, store: Store) -> PassageMatrix | None:
    """Return the matrix saved at `path`, memory-mapped, or None when it is absent, unreadable, of another
    passage scheme, or not this store's (another store's, ahead of this one, or read before its passages were
    last all written again by a migration)."""
    try:
        header, arrays = load_arrays(Path(path), len(_FIELDS))
        matrix = PassageMatrix(*arrays, generation=int(header["generation"]), store=str(header["store"]),
                               scheme=str(header.get("scheme")))
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    dimension = store.dimension() or 0
    whole = (len(matrix.starts) == len(matrix.nums) + 1 and matrix.vectors.ndim == 2
             and len(matrix.vectors) == len(matrix.spans) == (int(matrix.starts[-1]) if len(matrix.starts) else 0)
             and (not len(matrix.vectors) or matrix.vectors.shape[1] == dimension))
    return matrix if whole and matrix.belongs_to(store) and _agrees(matrix, store) else None


def _agrees(matrix: PassageMatrix, store: Store, samples: int = 3) -> bool:
    """Return whether a few of the matrix's papers hold the very passages the store holds for them (another
    store made in the same second, a shard beside its sibling, would not)."""
    picked = matrix.nums[np.linspace(0, len(matrix) - 1, min(samples, len(matrix))).astype(np.int64)] \
        if len(matrix) else np.zeros(0, np.int64)
    stored = store.passages_of(picked.tolist())
    dimension = store.dimension() or 0
    for position, num in zip(matrix.find(picked), picked.tolist()):
        if num not in stored:
            continue  # deleted since: its rows stay, unread
        start, end = int(matrix.starts[position]), int(matrix.starts[position + 1])
        _, vectors = stored_parts(stored[num], dimension)
        if not np.array_equal(matrix.vectors[start:end], vectors):  # unequal shapes (row counts) too
            return False
    return True


def refresh_passage_matrix(index_dir: Path, store: Store) -> bool:
    """Rewrite the matrix if the store keeps passages of this scheme and the file is missing, not this
    store's, or lags by over REBUILD_SHARE of the papers; return whether it was written."""
    if store.passage_scheme() != SCHEME or store.passage_target() != SCHEME:
        return False  # no passages, or a migration still under way: nothing reads the matrix yet
    path = Path(index_dir) / PASSAGES_FILE
    current = load_passage_matrix(path, store)
    if current is not None and store.changed_since(current.generation) <= REBUILD_SHARE * max(len(current), 1):
        return False
    save_passage_matrix(path, build_passage_matrix(store))
    return True
