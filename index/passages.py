"""Split an abstract into passages the model reads whole: runs of whole sentences, each at most MAX_PIECES
word pieces with the paper's title before it (a sentence too long alone is cut at a word boundary).

all-MiniLM-L6-v2 was trained on 128 word pieces and truncates at 256; 72% of SciFact abstracts (title and
text, median 314 pieces) are longer than 256, so one vector per abstract leaves their tails unread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from abstract_search.data.text import sentence_spans

MAX_PIECES = 128
SEPARATOR = ". "  # between the title and the passage, as Paper.text() joins title and abstract


def split_passages(title: str, abstract: str, count_pieces: Callable[[Sequence[str]], list[int]],
                   max_pieces: int = MAX_PIECES) -> list[str]:
    """Return the abstract as passages "title. sentences", each within `max_pieces` word pieces by
    `count_pieces` (the model's tokenizer, no special tokens); the passages hold every word, in order."""
    prefix = f"{title}{SEPARATOR}" if title else ""
    budget = max_pieces - (count_pieces([prefix])[0] if prefix else 0)
    if budget < 8:  # a title that fills the window: passages without it
        prefix, budget = "", max_pieces
    sentences = [abstract[start:end].strip() for start, end in sentence_spans(abstract)]
    sentences = [s for s in sentences if s]
    pieces = count_pieces(sentences) if sentences else []
    passages: list[str] = []
    current: list[str] = []
    used = 0
    for sentence, size in zip(sentences, pieces):
        parts = [(sentence, size)] if size <= budget else _cut(sentence, budget, count_pieces)
        for part, part_size in parts:
            if current and used + part_size > budget:
                passages.append(prefix + " ".join(current))
                current, used = [], 0
            current.append(part)
            used += part_size
    if current:
        passages.append(prefix + " ".join(current))
    return passages or [prefix.removesuffix(SEPARATOR) or abstract]


def _cut(sentence: str, budget: int, count_pieces: Callable[[Sequence[str]], list[int]]) -> list[tuple[str, int]]:
    """Cut a sentence longer than the budget into runs of whole words that fit (a single word longer than
    the budget stands alone: the model truncates it)."""
    words = sentence.split()
    sizes = count_pieces(words)
    parts: list[tuple[str, int]] = []
    run: list[str] = []
    used = 0
    for word, size in zip(words, sizes):
        if run and used + size > budget:
            parts.append((" ".join(run), used))
            run, used = [], 0
        run.append(word)
        used += size
    if run:
        parts.append((" ".join(run), used))
    return parts
