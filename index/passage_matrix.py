"""The passage vectors of every paper as one memory-mapped float16 matrix, derived from the store.

A dense query re-scores its 300 nearest papers by their passages. Read from the store, their stored
forms cost 1.4 ms and unpacking them 0.9 ms a query at 124,630 papers; as rows of one mapped matrix they
are a gather, shared by every worker. A paper's passages never change under its vector id (an edit of its
text gives it a new one), so a file that lags the store is still right for the papers it holds: searches
read the later ones from the store, and the file is rewritten once it lags by REBUILD_SHARE of the papers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.index.atomic import write_atomic
from abstract_search.index.passages import SCHEME, Passages
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
                found = Passages.from_bytes(blob, dimension)
                nums.append(num)
                counts.append(len(found.spans))
                vectors.append(np.frombuffer(blob, np.float16, len(found.spans) * dimension,
                                             4 + 8 * len(found.spans)).reshape(-1, dimension))
                spans.append(found.spans)
    starts = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
    return PassageMatrix(np.asarray(nums, np.int64), starts,
                         np.vstack(vectors) if vectors else np.zeros((0, dimension), np.float16),
                         np.vstack(spans).astype(np.int32) if spans else np.zeros((0, 2), np.int32),
                         generation, store.get_meta("created_at", "") or "")


def save_passage_matrix(path: Path, matrix: PassageMatrix) -> None:
    """Write the matrix atomically as a run of .npy arrays after a JSON header array."""
    header = {"generation": matrix.generation, "store": matrix.store, "scheme": matrix.scheme}
    arrays = [np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
              *(getattr(matrix, name) for name in _FIELDS)]
    write_atomic(Path(path), lambda tmp: _write_arrays(tmp, arrays))


def _write_arrays(path: Path, arrays: Iterable[np.ndarray]) -> None:
    with open(path, "wb") as handle:
        for array in arrays:
            np.lib.format.write_array(handle, np.ascontiguousarray(array), allow_pickle=False)


def load_passage_matrix(path: Path, store: Store) -> PassageMatrix | None:
    """Return the matrix saved at `path`, memory-mapped, or None when it is absent, unreadable, of another
    passage scheme, or not this store's (another store's, ahead of this one, or read before its passages were
    last all written again by a migration)."""
    try:
        arrays = []
        with open(path, "rb") as handle:
            for _ in range(len(_FIELDS) + 1):
                version = np.lib.format.read_magic(handle)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(handle)
                offset, count = handle.tell(), int(np.prod(shape))
                if count and dtype.kind not in "O":  # the file opened above: a save may rename another in meanwhile
                    arrays.append(np.asarray(np.memmap(handle, dtype=dtype, mode="r", offset=offset, shape=shape)))
                else:
                    arrays.append(np.zeros(shape, dtype))
                handle.seek(offset + count * dtype.itemsize)
        header = json.loads(bytes(arrays[0]).decode())
        matrix = PassageMatrix(*arrays[1:], generation=int(header["generation"]), store=str(header["store"]),
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
        count, blob = end - start, stored[num]
        if int(np.frombuffer(blob, np.int32, 1)[0]) != count:
            return False
        if not np.array_equal(matrix.vectors[start:end].reshape(-1),
                              np.frombuffer(blob, np.float16, count * dimension, 4 + 8 * count)):
            return False
    return True


def refresh_passage_matrix(index_dir: Path, store: Store, force: bool = False) -> bool:
    """Rewrite the matrix if asked, or if the store keeps passages of this scheme and the file is missing,
    not this store's, or lags by over REBUILD_SHARE of the papers; return whether it was written."""
    if store.passage_scheme() != SCHEME or store.passage_target() != SCHEME:
        return False  # no passages, or a migration still under way: nothing reads the matrix yet
    path = Path(index_dir) / PASSAGES_FILE
    current = None if force else load_passage_matrix(path, store)
    if current is not None and store.changed_since(current.generation) <= REBUILD_SHARE * max(len(current), 1):
        return False
    save_passage_matrix(path, build_passage_matrix(store))
    return True
