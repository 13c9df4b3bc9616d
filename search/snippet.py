"""Pick the abstract sentence that best matches a query, and mark the query's words in it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from search.text_terms import content_terms, term_spans

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


@lru_cache(maxsize=4096)
def sentence_terms(abstract: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Return each sentence of an abstract with its stemmed terms (cached: popular papers recur across queries)."""
    sentences = split_sentences(abstract) or [abstract]
    return tuple((sentence, frozenset(content_terms(sentence))) for sentence in sentences)


def best_snippet(abstract: str, query: str) -> Snippet:
    """Return the sentence sharing the most query terms (the first sentence on a tie or no match)."""
    sentences = sentence_terms(abstract)
    wanted = set(content_terms(query))
    best, best_score = sentences[0][0], 0
    for sentence, terms in sentences:
        score = len(wanted & terms)
        if score > best_score:
            best, best_score = sentence, score
    if len(best) > MAX_SNIPPET:
        best = best[: MAX_SNIPPET - 1].rsplit(" ", 1)[0] + "…"
    return Snippet(best, tuple(term_spans(best, wanted)))
