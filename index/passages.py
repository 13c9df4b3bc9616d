"""Split an abstract into passages the model reads whole: runs of whole sentences, each at most MAX_PIECES
word pieces with the paper's title before it (a sentence too long alone is cut at a word boundary); and the
stored form of a paper's passage vectors.

all-MiniLM-L6-v2 was trained on 128 word pieces and truncates at 256; 72% of SciFact abstracts (title and
text, median 314 pieces) are longer than 256, so one vector per abstract leaves their tails unread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.data.text import sentence_spans

MAX_PIECES = 128
SEPARATOR = ". "  # between the title and the passage, as Paper.text() joins title and abstract
# What the store records as its passage scheme: a change to the split or its window is a new scheme,
# and an index holds one scheme only (the migration re-embeds every paper).
SCHEME = f"sentences-{MAX_PIECES}-title-v1"
WORD = re.compile(r"\S+")

Counter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Passages:
    """One paper's passage vectors (unit rows) and the [start, end) span of the abstract each one read."""

    vectors: np.ndarray  # (n, d) float32
    spans: np.ndarray  # (n, 2) int32

    def to_bytes(self) -> bytes:
        """Return the stored form: the passage count, the spans, then the vectors as float16."""
        n = len(self.spans)
        return (np.int32(n).tobytes() + np.asarray(self.spans, np.int32).tobytes()
                + np.asarray(self.vectors, np.float16).tobytes())

    @classmethod
    def from_bytes(cls, blob: bytes, dimension: int) -> "Passages":
        """Read the stored form back."""
        spans, vectors = stored_parts(blob, dimension)
        return cls(vectors.astype(np.float32), spans)


def stored_parts(blob: bytes, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a stored form's spans (n, 2) int32 and vectors (n, d) float16, as views of it."""
    n = int(np.frombuffer(blob, np.int32, 1)[0])
    spans = np.frombuffer(blob, np.int32, 2 * n, 4).reshape(n, 2)
    return spans, np.frombuffer(blob, np.float16, n * dimension, 4 + 8 * n).reshape(n, dimension)


def split(title: str, abstract: str, count_pieces: Counter,
          max_pieces: int = MAX_PIECES) -> tuple[list[str], list[tuple[int, int]]]:
    """Return the abstract's passages as the model reads them ("title. sentences") and the [start, end)
    span of the abstract each one holds: each within `max_pieces` word pieces by `count_pieces` (the model's
    tokenizer, no special tokens), together every word in order. An empty abstract is one passage: the title."""
    prefix = _prefix(title) if title else ""
    budget = max_pieces - (count_pieces([prefix])[0] if prefix else 0)
    if budget < 8:  # a title that fills the window: passages without it
        prefix, budget = "", max_pieces
    units = [_stripped(abstract, start, end) for start, end in sentence_spans(abstract)]
    units = [(start, end) for start, end in units if end > start]
    sizes = count_pieces([abstract[start:end] for start, end in units]) if units else []
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    used = 0
    for unit, size in zip(units, sizes):
        parts = [(unit, size)] if size <= budget else _cut(abstract, unit, budget, count_pieces)
        for part, part_size in parts:
            if current and used + part_size > budget:
                spans.append(current)
                current, used = None, 0
            current = (current[0] if current else part[0], part[1])
            used += part_size
    if current:
        spans.append(current)
    if not spans:
        return [title or abstract], [(0, len(abstract))]
    return [prefix + " ".join(abstract[start:end].split()) for start, end in spans], spans


def split_passages(title: str, abstract: str, count_pieces: Counter, max_pieces: int = MAX_PIECES) -> list[str]:
    """Return the abstract's passages as the model reads them (see `split`)."""
    return split(title, abstract, count_pieces, max_pieces)[0]


def _prefix(title: str) -> str:
    return f"{title}{SEPARATOR}"


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span without the whitespace at either end."""
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())


def _cut(abstract: str, unit: tuple[int, int], budget: int, count_pieces: Counter) -> list[tuple[tuple[int, int], int]]:
    """Cut a sentence longer than the budget into runs of whole words that fit (a single word longer than
    the budget stands alone: the model truncates it)."""
    words = [(unit[0] + m.start(), unit[0] + m.end()) for m in WORD.finditer(abstract[unit[0]:unit[1]])]
    sizes = count_pieces([abstract[start:end] for start, end in words])
    parts: list[tuple[tuple[int, int], int]] = []
    run: tuple[int, int] | None = None
    used = 0
    for word, size in zip(words, sizes):
        if run and used + size > budget:
            parts.append((run, used))
            run, used = None, 0
        run = (run[0] if run else word[0], word[1])
        used += size
    if run:
        parts.append((run, used))
    return parts


def encode_passages(embedder, papers: Sequence) -> list[Passages]:
    """Split and embed the passages of these papers with one model call (the embedder's `encode_passages`
    and `piece_counts`); return each paper's Passages, in order."""
    splits = [split(p.title, p.abstract, embedder.piece_counts) for p in papers]
    texts = [text for texts, _ in splits for text in texts]
    vectors = embedder.encode_passages(texts) if texts else np.zeros((0, 0), np.float32)
    found, at = [], 0
    for texts, spans in splits:
        found.append(Passages(vectors[at:at + len(texts)], np.asarray(spans, np.int32).reshape(-1, 2)))
        at += len(texts)
    return found


def unpack_many(blobs: Sequence[bytes], dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the passage vectors of several papers' stored forms stacked as one float32 array, and how
    many rows each paper has (one conversion for them all: reading them one by one cost 3 ms a query)."""
    counts = np.array([int(np.frombuffer(blob, np.int32, 1)[0]) for blob in blobs], dtype=np.int64)
    joined = b"".join(blob[4 + 8 * int(n):] for blob, n in zip(blobs, counts))
    return np.frombuffer(joined, np.float16).reshape(-1, dimension).astype(np.float32), counts


def span_of(blob: bytes, passage: int) -> tuple[int, int]:
    """Return the [start, end) of the abstract that one passage of a stored form read."""
    start, end = np.frombuffer(blob, np.int32, 2, 4 + 8 * passage)
    return int(start), int(end)


class BestPassages(Mapping):
    """By paper, the span of the abstract its best passage read, found only for the papers asked about (a
    page's ten, not a pool's two hundred)."""

    def __init__(self, keys: Sequence[int], cosines: np.ndarray, starts: np.ndarray, counts: np.ndarray,
                 span: Callable[[int, int], tuple[int, int]]):
        self._at = {key: i for i, key in enumerate(keys)}
        self._cosines, self._starts, self._counts, self._span = cosines, starts, counts, span

    def __getitem__(self, key: int) -> tuple[int, int]:
        i = self._at[key]
        start = int(self._starts[i])
        return self._span(i, int(np.argmax(self._cosines[start:start + int(self._counts[i])])))

    def __iter__(self):
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def __reduce__(self):
        # sent to another process (a shard's answer to the router) as the plain spans, not every blob:
        # 390 KB a shard a query otherwise, most of what a hybrid query's answer weighed
        return dict, (dict(self.items()),)


def best_of(query: np.ndarray, keys: Sequence[int], vectors: np.ndarray, counts: np.ndarray,
            span: Callable[[int, int], tuple[int, int]]) -> tuple[np.ndarray, BestPassages]:
    """Return, for papers whose passage vectors are stacked in `vectors` (`counts` rows each, in order), each
    one's best passage's cosine with the query, and by key the span its best passage read (`span(i, j)`: of
    the i-th paper's j-th passage)."""
    cosines = vectors @ np.asarray(query, np.float32).reshape(-1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    best = np.maximum.reduceat(cosines, starts)
    return best.astype(np.float32), BestPassages(keys, cosines, starts, counts, span)


def best_passages(query: np.ndarray, keys: Sequence[int], blobs: Sequence[bytes],
                  dimension: int) -> tuple[np.ndarray, BestPassages]:
    """Return, for each paper's stored passages, its best passage's cosine with the query, and by key the
    span of the abstract that passage read."""
    vectors, counts = unpack_many(blobs, dimension)
    return best_of(query, keys, vectors, counts, lambda i, j: span_of(blobs[i], j))
