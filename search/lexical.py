"""BM25 retrieval over title and abstract from the store's FTS5 index, with filters applied inside the query."""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.store import LEXICAL_TABLE, Store
from search.filters import Filters
from search.text_terms import STOPWORDS

TOKEN = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps: runs of letters and digits


class LexicalIndexMissing(RuntimeError):
    """The store has no full-text index (an old store opened read-only)."""


def match_expression(query: str) -> str | None:
    """Return an FTS5 query that ORs the query's distinct non-stopword tokens, or None if it has none."""
    terms = dict.fromkeys(t for t in TOKEN.findall(query.lower()) if t not in STOPWORDS)
    return " OR ".join(f'"{t}"' for t in terms) or None


class Lexical:
    """BM25 (k1=1.2, b=0.75, SQLite FTS5 with Porter stemming) over a store's papers."""

    def __init__(self, store: Store, title_weight: float = 1.0, abstract_weight: float = 1.0):
        self.store = store
        self.rank = f"bm25({LEXICAL_TABLE}, {float(title_weight)}, {float(abstract_weight)})"

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """Return up to k (vector id, BM25 score) pairs, best first, among papers that meet the filters."""
        match = match_expression(query)
        if match is None or k <= 0:
            return []
        sql, args = f"SELECT rowid, -{self.rank} FROM {LEXICAL_TABLE} WHERE {LEXICAL_TABLE} MATCH ?", [match]
        if filters is not None and filters.active():
            where, extra = filters.sql()
            sql += f" AND rowid IN (SELECT num FROM papers WHERE {where})"
            args += extra
        return self._run(sql + f" ORDER BY {self.rank} LIMIT ?", args + [k])

    def scores(self, query: str, nums: Sequence[int]) -> dict[int, float]:
        """Return the BM25 score of each of these papers that shares a term with the query."""
        match = match_expression(query)
        if match is None or not len(nums):
            return {}
        marks = ",".join("?" * len(nums))
        sql = f"SELECT rowid, -{self.rank} FROM {LEXICAL_TABLE} WHERE {LEXICAL_TABLE} MATCH ? AND rowid IN ({marks})"
        return dict(self._run(sql, [match, *map(int, nums)]))

    def _run(self, sql: str, args: list) -> list[tuple[int, float]]:
        if not self.store.has_lexical():
            raise LexicalIndexMissing(
                f"the index at {self.store.path.parent} has no full-text index yet; run `abstracts stats --index "
                f"{self.store.path.parent}` once with write access to build it"
            )
        return [(int(num), float(score)) for num, score in self.store.conn.execute(sql, args)]
