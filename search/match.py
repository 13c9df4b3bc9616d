"""How well a hit matches its query, in words a person can read: strong, partial or weak.

The evidence is the dense cosine of the query and the paper (the same in every mode) and the share of the
query's content terms that the paper's title and abstract hold. bench/match_levels.py calibrates the cosine
thresholds on the SciFact training claims and bench/questions weighted equally, cross-validated (README,
"Scores and match levels"): at STRONG_COSINE and above, at least half the hits are judged relevant; below
PARTIAL_COSINE, at most one in twenty is.
"""

from __future__ import annotations

from abstract_search.data.paper import Paper
from abstract_search.search.text_terms import query_terms, terms_of, words

LEVELS = ("strong", "partial", "weak")
STRONG_COSINE = 0.57
PARTIAL_COSINE = 0.41
# Queries with no answer in the index (gibberish, other fields, Chinese) reach a top cosine of 0.33 at most:
# a hit holding every term of a query of two or more terms is strong above this, and partial at any cosine.
ALL_TERMS_COSINE = 0.35
SOME_TERMS_COSINE = 0.30  # a hit this close holding at least SOME_TERMS_SHARE of the query's terms is partial
SOME_TERMS_SHARE = 0.5
LONG_QUERY_TERMS = 12  # a pasted abstract or a set of papers: the share of its terms says nothing; cosine alone


def query_term_set(text: str) -> frozenset[str] | None:
    """Return the query's content terms, or None for a text too long for their share to mean anything."""
    terms = frozenset(query_terms(text))
    return terms if len(terms) <= LONG_QUERY_TERMS else None


def term_share(terms: frozenset[str] | None, paper: Paper) -> float | None:
    """Return the share of the query's terms found in the paper's title and abstract (None: not judged)."""
    if not terms:
        return None
    held = {term for found in terms_of(words(paper.text())) for term in found}
    return len(terms & held) / len(terms)


def match_level(cosine: float, share: float | None = None, terms: int = 0,
                strong: float = STRONG_COSINE, partial: float = PARTIAL_COSINE) -> str:
    """Return "strong", "partial" or "weak" for a hit's cosine and the share of the query's `terms` it holds."""
    every_term = share is not None and share >= 1.0 and terms >= 2
    if cosine >= strong or (every_term and cosine >= ALL_TERMS_COSINE):
        return "strong"
    some_terms = share is not None and share >= SOME_TERMS_SHARE and cosine >= SOME_TERMS_COSINE
    if cosine >= partial or every_term or some_terms:
        return "partial"
    return "weak"
