"""Checks on text that every reader and door shares, and the one sentence splitter (snippets, passages)."""

from __future__ import annotations

import re

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")


def has_lone_surrogate(text: str) -> bool:
    """Return whether the text holds a lone UTF-16 surrogate, which JSON can carry and UTF-8 cannot encode."""
    return LONE_SURROGATE.search(text) is not None


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return the [start, end) character span of each sentence of an abstract."""
    breaks = [(m.start(), m.end()) for m in SENTENCE_END.finditer(text)]
    starts = [0] + [end for _, end in breaks]
    ends = [start for start, _ in breaks] + [len(text)]
    return list(zip(starts, ends))
