"""The BM25 postings file: for each term, the papers holding it and how often, derived from the store's FTS5 index.

SQLite's bm25() scores every paper that matches before it can sort them, which costs tens of
milliseconds per query at 100k papers. The same term counts laid out as arrays score a query in
numpy in a few milliseconds, and a memory-mapped file is shared by every server worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.index.array_file import load_arrays, save_arrays
from abstract_search.index.store import Store

POSTINGS_FILE = "lexical.postings"
MAX_TERM_BYTES = 48  # longer tokens (formulas, URLs) are left out of the postings; nobody types them
FETCH = 1 << 20
REBUILD_SHARE = 0.05
TITLE = "title"
_FIELDS = ("terms", "starts", "rows", "title_tf", "abstract_tf", "nums", "lengths")


@dataclass
class Postings:
    """Term counts of a set of papers, as arrays; row r is the paper with vector id nums[r]."""

    terms: np.ndarray  # distinct terms as utf-8 bytes, ascending
    starts: np.ndarray  # the postings of terms[i] are [starts[i], starts[i + 1])
    rows: np.ndarray  # the row of each posting, ascending within a term
    title_tf: np.ndarray  # times the term occurs in that row's title (capped at 255)
    abstract_tf: np.ndarray  # ... and in its abstract
    nums: np.ndarray  # vector id of each row, ascending
    lengths: np.ndarray  # tokens in each row's title and abstract together
    generation: int = 0  # the store generation these counts reflect

    def span(self, term: str) -> tuple[int, int]:
        """Return the [start, end) range of a term's postings (empty when the term is absent)."""
        key = term.encode()
        at = int(np.searchsorted(self.terms, key))
        if at < len(self.terms) and self.terms[at] == key:
            return int(self.starts[at]), int(self.starts[at + 1])
        return 0, 0

    def __len__(self) -> int:
        return len(self.nums)


def empty_postings(generation: int = 0) -> Postings:
    """Return postings of no papers."""
    return Postings(np.array([], dtype=f"S{MAX_TERM_BYTES}"), np.zeros(1, np.int64), np.array([], np.int32),
                    np.array([], np.uint8), np.array([], np.uint8), np.array([], np.int64),
                    np.array([], np.int32), generation)


def postings_from_instances(chunks: Iterable[Sequence[tuple[str, int, str]]], nums: np.ndarray,
                            generation: int = 0) -> Postings:
    """Aggregate an FTS5 instance stream, (term, vector id, column) sorted by term then id, into postings."""
    nums = np.asarray(nums, dtype=np.int64)
    terms: list[str] = []
    ids_parts, rows_parts, title_parts = [], [], []
    for chunk in chunks:
        if not chunk:
            continue
        column = np.array([t for t, _, _ in chunk], dtype=object)
        change = np.empty(len(chunk), dtype=bool)
        change[0] = not terms or column[0] != terms[-1]
        change[1:] = column[1:] != column[:-1]
        ids_parts.append((len(terms) - 1 + np.cumsum(change)).astype(np.int32))
        terms.extend(column[change].tolist())
        docs = np.fromiter((d for _, d, _ in chunk), dtype=np.int64, count=len(chunk))
        rows_parts.append(np.searchsorted(nums, docs).astype(np.int32))
        title_parts.append(np.fromiter((c == TITLE for _, _, c in chunk), dtype=bool, count=len(chunk)))
    if not terms:
        none = empty_postings(generation)
        none.nums, none.lengths = nums, np.zeros(len(nums), np.int32)
        return none
    term_ids = np.concatenate(ids_parts)
    rows = np.concatenate(rows_parts)
    in_title = np.concatenate(title_parts)
    lengths = np.bincount(rows, minlength=len(nums)).astype(np.int32)
    encoded = [t.encode() for t in terms]
    keep_term = np.array([len(t) <= MAX_TERM_BYTES for t in encoded])
    kept = keep_term[term_ids]
    term_ids, rows, in_title = term_ids[kept], rows[kept], in_title[kept]
    # One posting per run of equal (term, row): the stream is sorted, so runs are contiguous.
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (term_ids[1:] != term_ids[:-1]) | (rows[1:] != rows[:-1])
    starts_at = np.flatnonzero(first)
    run_length = np.diff(np.append(starts_at, len(rows)))
    title_tf = np.add.reduceat(in_title.astype(np.int32), starts_at) if len(rows) else np.array([], np.int32)
    abstract_tf = run_length - title_tf
    remap = np.cumsum(keep_term) - 1  # old term id -> id among the kept terms
    per_term = np.bincount(remap[term_ids[starts_at]], minlength=int(keep_term.sum()))
    return Postings(
        terms=np.array([t for t, k in zip(encoded, keep_term) if k], dtype=f"S{MAX_TERM_BYTES}"),
        starts=np.concatenate([[0], np.cumsum(per_term)]).astype(np.int64),
        rows=rows[starts_at].astype(np.int32),
        title_tf=np.minimum(title_tf, 255).astype(np.uint8),
        abstract_tf=np.minimum(abstract_tf, 255).astype(np.uint8),
        nums=nums,
        lengths=lengths,
        generation=generation,
    )


def build_postings(store: Store) -> Postings:
    """Read every paper's term counts from the store's FTS5 index, as of one consistent generation."""
    with store.term_instances(FETCH) as (generation, nums, batches):  # one snapshot: they agree
        return postings_from_instances(batches, nums, generation)


def save_postings(path: Path, postings: Postings) -> None:
    """Write the postings atomically (index/array_file.py's form)."""
    save_arrays(Path(path), {"generation": postings.generation}, [getattr(postings, name) for name in _FIELDS])


def load_postings(path: Path, mmap: bool = True) -> Postings | None:
    """Return the postings saved at `path`, memory-mapped, or None when the file is absent or unreadable."""
    try:
        header, arrays = load_arrays(Path(path), len(_FIELDS), mmap)
        return Postings(*arrays, generation=int(header["generation"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def refresh_postings(index_dir: Path, store: Store, force: bool = False) -> bool:
    """Rewrite the postings file if asked, or if it is missing or lags by over REBUILD_SHARE of the papers.

    Searches score the papers written since the file from small in-memory segments, so a file that
    lags a little is still exact; rewriting it only keeps those segments small.
    """
    path = Path(index_dir) / POSTINGS_FILE
    current = None if force else load_postings(path)
    in_step = current is not None and current.generation <= store.generation()
    if in_step and store.changed_since(current.generation) <= REBUILD_SHARE * max(len(current), 1):
        return False
    if not store.has_lexical():
        return False
    save_postings(path, build_postings(store))
    return True
