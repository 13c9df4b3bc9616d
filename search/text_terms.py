"""The one tokenizer of queries, BM25 and snippets: FTS5's own terms (unicode61, diacritics removed, Porter).

BM25 scores the terms the store's FTS5 index holds (index/fts_terms.py), so a query word and a snippet's
word match exactly when FTS5 would match them: "Schrödinger" and "Schrodinger" both, the whole word marked.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence

from abstract_search.index.fts_terms import stems

TOKEN = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps: runs of letters and digits
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in into is it its of on or that the their this to was were
    which with we our us paper papers work works study studies about using use used via how what when where who
    why do does can could should would will i me my you your any some find show shows research article articles
    on""".split()
)
CACHE_SIZE = 200_000  # distinct words whose terms are kept (an abstract has ~150; a corpus vocabulary ~10^5)
_terms: dict[str, tuple[str, ...]] = {}
_guard = threading.Lock()


def words(text: str) -> list[str]:
    """Return the lowercase words of a text, in order, as FTS5's tokenizer splits it."""
    return TOKEN.findall(text.lower())


def query_words(query: str) -> list[str]:
    """Return the query's distinct lowercase non-stopword words; FTS5 query syntax is plain text here."""
    return list(dict.fromkeys(w for w in words(query) if w not in STOPWORDS))


def terms_of(lowercase_words: Sequence[str]) -> list[tuple[str, ...]]:
    """Return the FTS5 terms of each word (usually one; none for some marks), asking FTS5 once for all the
    words not seen before. Answers come from a local copy, so another thread clearing the cache is harmless."""
    known = {w: _terms.get(w) for w in dict.fromkeys(lowercase_words)}
    unseen = [w for w, terms in known.items() if terms is None]
    if unseen:
        found = dict(zip(unseen, (tuple(t) for t in stems(unseen))))
        known.update(found)
        with _guard:
            if len(_terms) + len(found) > CACHE_SIZE:
                _terms.clear()
            _terms.update(found)
    return [known[w] for w in lowercase_words]


def query_terms(query: str) -> Counter[str]:
    """Return the FTS5 terms of the query's content words, each with how many query words give it."""
    return Counter(term for found in terms_of(query_words(query)) for term in found)
