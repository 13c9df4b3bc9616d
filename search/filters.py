"""Metadata filters (year range, author, category), resolved to the vector ids they allow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.store import Store


def like_literal(text: str) -> str:
    """Return `text` escaped so that SQL LIKE (with ESCAPE '\\') matches it literally: % and _ are no wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Filters:
    """Restrictions a hit must meet; None means no restriction."""

    year_min: int | None = None
    year_max: int | None = None
    author: str | None = None
    category: str | None = None

    def active(self) -> bool:
        """Return whether any restriction is set."""
        return any(v is not None and v != "" for v in (self.year_min, self.year_max, self.author, self.category))

    def allowed_nums(self, store: Store) -> np.ndarray:
        """Return the vector ids of every stored paper that meets the filters."""
        where, args = self.sql()
        rows = store.conn.execute(f"SELECT num FROM papers WHERE {where}", args).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def sql(self) -> tuple[str, list]:
        """Return a WHERE clause over the papers table, and its arguments, for these filters."""
        clauses, args = [], []
        if self.year_min is not None:
            clauses.append("year >= ?")
            args.append(self.year_min)
        if self.year_max is not None:
            clauses.append("year <= ?")
            args.append(self.year_max)
        if self.author:
            # Authors are matched whole and case-insensitively; a substring match would
            # let "Li" match every "Lin" and "Liu".
            clauses.append("EXISTS (SELECT 1 FROM json_each(papers.authors) WHERE lower(value) = lower(?))")
            args.append(self.author.strip())
        if self.category:
            # "CL" matches "cs.CL", and "cs.CL" matches itself; the value is text, never a LIKE pattern.
            clauses.append(
                "EXISTS (SELECT 1 FROM json_each(papers.categories) "
                "WHERE lower(value) = lower(?) OR lower(value) LIKE '%.' || lower(?) ESCAPE '\\')"
            )
            category = self.category.strip()
            args += [category, like_literal(category)]
        return " AND ".join(clauses) or "1", args
