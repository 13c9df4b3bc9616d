"""BM25 retrieval over title and abstract from the store's FTS5 index, with filters applied inside the query."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.store import LEXICAL_TABLE, Store
from search.filters import Filters
from search.text_terms import STOPWORDS

TOKEN = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps: runs of letters and digits
TITLE_WEIGHT = 2.0  # a query word in the title counts twice (tuned on the SciFact training claims)


class LexicalIndexMissing(RuntimeError):
    """The store has no full-text index (an old store opened read-only)."""


@dataclass
class LexicalScores:
    """BM25 answers for one query: the best papers, scores asked for by id, and the score moments."""

    top: list[tuple[int, float]] = field(default_factory=list)  # (vector id, BM25), best first
    extra: dict[int, float] = field(default_factory=dict)  # BM25 of the asked-for ids that match
    total: float = 0.0  # sum of BM25 over every matching paper
    total_sq: float = 0.0  # sum of squared BM25 over every matching paper

    def moments(self, papers: int) -> tuple[float, float]:
        """Return (mean, std) of BM25 over `papers` papers, counting a non-matching one as 0."""
        if papers <= 0:
            return 0.0, 1.0
        mean = self.total / papers
        return mean, max(self.total_sq / papers - mean * mean, 0.0) ** 0.5


def match_expression(query: str) -> str | None:
    """Return an FTS5 query that ORs the query's distinct non-stopword tokens, or None if it has none."""
    terms = dict.fromkeys(t for t in TOKEN.findall(query.lower()) if t not in STOPWORDS)
    return " OR ".join(f'"{t}"' for t in terms) or None


class Lexical:
    """BM25 (k1=1.2, b=0.75, SQLite FTS5 with Porter stemming) over a store's papers."""

    def __init__(self, store: Store, title_weight: float = TITLE_WEIGHT, abstract_weight: float = 1.0):
        self.store = store
        self.rank = f"bm25({LEXICAL_TABLE}, {float(title_weight)}, {float(abstract_weight)})"

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """Return up to k (vector id, BM25 score) pairs, best first, among papers that meet the filters."""
        return self.scores(query, k, filters).top

    def scores(self, query: str, k: int, filters: Filters | None = None, also: Sequence[int] = ()) -> LexicalScores:
        """Return the k best papers, the BM25 of the papers in `also`, and the score moments, in one pass."""
        match = match_expression(query)
        if match is None:
            return LexicalScores()
        self._require_index()
        inner = f"SELECT rowid AS num, -{self.rank} AS s FROM {LEXICAL_TABLE} WHERE {LEXICAL_TABLE} MATCH ?"
        args: list = [match]
        if filters is not None and filters.active():
            where, extra = filters.sql()
            inner += f" AND rowid IN (SELECT num FROM papers WHERE {where})"
            args += extra
        also = [int(n) for n in also]
        picked = f"num IN ({','.join('?' * len(also))})" if also else "0"
        sql = (
            f"WITH m AS MATERIALIZED ({inner}), t AS (SELECT total(s) AS a, total(s * s) AS b FROM m) "
            "SELECT num, s, 1, (SELECT a FROM t), (SELECT b FROM t) "
            "FROM (SELECT num, s FROM m ORDER BY s DESC LIMIT ?) "
            f"UNION ALL SELECT num, s, 0, NULL, NULL FROM m WHERE {picked}"
        )
        result = LexicalScores()
        for num, score, is_top, total, total_sq in self.store.conn.execute(sql, args + [max(k, 1)] + also):
            if is_top:
                result.top.append((int(num), float(score)))
                result.total, result.total_sq = float(total), float(total_sq)
            else:
                result.extra[int(num)] = float(score)
        result.top.sort(key=lambda pair: (-pair[1], pair[0]))
        return result

    def _require_index(self) -> None:
        if not self.store.has_lexical():
            raise LexicalIndexMissing(
                f"the index at {self.store.path.parent} has no full-text index yet; run `abstracts stats --index "
                f"{self.store.path.parent}` once with write access to build it"
            )
