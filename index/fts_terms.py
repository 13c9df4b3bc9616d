"""Turn text into the exact terms the store's FTS5 index holds, using a private in-memory FTS5 table."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence

from abstract_search.index.store import LEXICAL_TOKENIZER

_local = threading.local()


def _connection() -> sqlite3.Connection:
    """Return this thread's in-memory database with an empty FTS5 table and its instance view."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:")
        conn.execute(f"CREATE VIRTUAL TABLE scratch USING fts5(title, abstract, tokenize='{LEXICAL_TOKENIZER}')")
        conn.execute("CREATE VIRTUAL TABLE scratch_terms USING fts5vocab(scratch, instance)")
        _local.conn = conn
    return conn


def instances(rows: Sequence[tuple[int, str, str]]) -> list[tuple[str, int, str]]:
    """Return (term, rowid, column) for every token of these (rowid, title, abstract) rows, in term order.

    This is the stream the store's own `fts5vocab(..., instance)` view gives, so a posting built
    from either agrees token for token.
    """
    conn = _connection()
    with conn:  # the table is emptied before the commit, and a failed call rolls back to empty
        conn.executemany("INSERT INTO scratch(rowid, title, abstract) VALUES (?, ?, ?)", rows)
        found = conn.execute("SELECT term, doc, col FROM scratch_terms").fetchall()
        conn.execute("DELETE FROM scratch")
    return found


def stems(words: Sequence[str]) -> list[list[str]]:
    """Return, for each word, the terms FTS5 turns it into (usually one; none for punctuation)."""
    found: list[list[str]] = [[] for _ in words]
    for term, position, _ in instances([(i, "", w) for i, w in enumerate(words)]):
        found[position].append(term)
    return found
