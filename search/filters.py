"""Metadata filters (year range, author, category), resolved to the vector ids they allow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abstract_search.index.store import Store


@dataclass(frozen=True)
class Filters:
    """Restrictions a hit must meet; None means no restriction."""

    year_min: int | None = None
    year_max: int | None = None
    author: str | None = None
    category: str | None = None
    author_exact: bool = False  # match the whole name, not its parts

    def active(self) -> bool:
        """Return whether any restriction is set."""
        return any(v is not None and v != "" for v in (self.year_min, self.year_max, self.author, self.category))

    def allowed_nums(self, store: Store) -> np.ndarray:
        """Return the vector ids of every stored paper that meets the filters."""
        return store.nums_matching(self.year_min, self.year_max, self.author, self.category, self.author_exact)

    def why_nothing(self, store: Store) -> str:
        """Return what to tell a user whose filters let no paper through: which one matched nothing."""
        alone = []
        if self.author:
            if not len(store.nums_matching(author=self.author, author_exact=self.author_exact)):
                how = "named exactly" if self.author_exact else "matching"
                return f"no paper by an author {how} {self.author!r}"
            alone.append(f"by {self.author!r}")
        if self.category:
            if not len(store.nums_matching(category=self.category)):
                return f"no paper in category {self.category!r}"
            alone.append(f"in {self.category!r}")
        if self.year_min is not None or self.year_max is not None:
            span = f"{self.year_min or '...'}-{self.year_max or '...'}"
            if not len(store.nums_matching(self.year_min, self.year_max)):
                return f"no paper from the years {span}"
            alone.append(f"from {span}")
        return "no paper meets all the filters together (" + ", ".join(alone) + ")"
