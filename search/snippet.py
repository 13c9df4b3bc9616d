"""Pick the abstract sentence that best matches a query, and mark the query's words in it."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from abstract_search.data.text import sentence_spans
from abstract_search.search.text_terms import STOPWORDS, TOKEN, query_terms, terms_of

MAX_SNIPPET = 320


@dataclass(frozen=True)
class Snippet:
    """A sentence of the abstract and the spans of query words inside it."""

    text: str
    highlights: tuple[tuple[int, int], ...]
    terms: int = 0  # how many distinct query terms the sentence holds


def best_snippet(abstract: str, query: str) -> Snippet:
    """Return the sentence sharing the most query terms (the first sentence on a tie or no match)."""
    spans = sentence_spans(abstract)
    wanted = set(query_terms(query))
    ends = [end for _, end in spans]
    found: list[set[str]] = [set() for _ in spans]
    marks: list[tuple[int, int, int]] = []  # (sentence, start, end) of each query word
    if wanted:
        matches = list(TOKEN.finditer(abstract))
        lowered = [m.group().lower() for m in matches]
        for match, word, terms in zip(matches, lowered, terms_of(lowered)):
            shared = wanted.intersection(terms)
            if shared:
                sentence = bisect.bisect_right(ends, match.start())
                found[sentence].update(shared)
                if word not in STOPWORDS:  # "using" stems to "use" but is not marked
                    marks.append((sentence, match.start(), match.end()))
    scores = [len(terms) for terms in found]
    chosen = scores.index(max(scores))
    start, end = spans[chosen]
    raw = abstract[start:end]
    offset = start + len(raw) - len(raw.lstrip())
    best = raw.strip() or abstract.strip()
    if len(best) > MAX_SNIPPET:
        best = best[: MAX_SNIPPET - 1].rsplit(" ", 1)[0] + "…"
    inside = [(a - offset, b - offset) for s, a, b in marks if s == chosen and b - offset <= len(best)]
    return Snippet(best, tuple(inside), scores[chosen])
