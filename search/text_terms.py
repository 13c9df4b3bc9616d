"""Turn text into stemmed content terms, shared by snippets and lexical matching."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[A-Za-z0-9]+")
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in into is it its of on or that the their this to was were
    which with we our us paper papers work works study studies about using use used via how what when where who
    why do does can could should would will i me my you your any some find show shows research article articles
    on""".split()
)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball stem of one lowercase word."""
    return _stemmer.stemWord(word)


def content_terms(text: str) -> list[str]:
    """Return the stemmed non-stopword terms of a text, in order."""
    return [stem(w) for w in (m.lower() for m in WORD.findall(text)) if w not in STOPWORDS]

