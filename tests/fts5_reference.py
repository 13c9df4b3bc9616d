"""SQLite FTS5's own bm25() ranking of a query, the reference the numpy BM25 postings must equal."""

from __future__ import annotations

from abstract_search.index.store import LEXICAL_TABLE, Store
from abstract_search.search.text_terms import query_words


def fts5_bm25(store: Store, query: str, title_weight: float = 2.0, k: int = -1) -> list[tuple[int, float]]:
    """Return (vector id, score) for the k best papers holding any of the query's words (all when k is -1)."""
    match = " OR ".join(f'"{w}"' for w in query_words(query))
    return store.conn.execute(
        f"SELECT rowid, -bm25({LEXICAL_TABLE}, {title_weight}, 1.0) AS s FROM {LEXICAL_TABLE} "
        f"WHERE {LEXICAL_TABLE} MATCH ? ORDER BY s DESC, rowid LIMIT ?", [match, k]).fetchall()
