"""Pick the abstract sentence that best matches a query, and mark the query's words in it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from search.text_terms import content_terms, stem, term_spans

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
MAX_SNIPPET = 320


@dataclass(frozen=True)
class Snippet:
    """A sentence of the abstract and the spans of query words inside it."""

    text: str
    highlights: tuple[tuple[int, int], ...]


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


@lru_cache(maxsize=1024)
def candidate_words(stems: frozenset[str]) -> re.Pattern:
    """Return a pattern for the words that may stem to one of these stems.

    A Snowball stem less its last letter starts the word it came from ("studies" -> "studi"), so only the
    words this finds are stemmed: a long abstract costs one regex scan instead of stemming every word.
    """
    prefixes = sorted({stem[: max(len(stem) - 1, 2)] for stem in stems}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")[A-Za-z0-9]*", re.IGNORECASE)


def matched_terms(sentence: str, wanted: frozenset[str]) -> set[str]:
    """Return the query stems that occur in a sentence."""
    found = {stem(m.group().lower()) for m in candidate_words(wanted).finditer(sentence)}
    return found & wanted


def best_snippet(abstract: str, query: str) -> Snippet:
    """Return the sentence sharing the most query terms (the first sentence on a tie or no match)."""
    sentences = split_sentences(abstract) or [abstract]
    wanted = frozenset(content_terms(query))
    best, best_score = sentences[0], 0
    for sentence in sentences if wanted else ():
        score = len(matched_terms(sentence, wanted))
        if score > best_score:
            best, best_score = sentence, score
    if len(best) > MAX_SNIPPET:
        best = best[: MAX_SNIPPET - 1].rsplit(" ", 1)[0] + "…"
    return Snippet(best, tuple(term_spans(best, wanted)))
