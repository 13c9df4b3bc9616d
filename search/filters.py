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

    def active(self) -> bool:
        """Return whether any restriction is set."""
        return any(v is not None and v != "" for v in (self.year_min, self.year_max, self.author, self.category))

    def allowed_nums(self, store: Store) -> np.ndarray:
        """Return the vector ids of every stored paper that meets the filters."""
        return store.nums_matching(self.year_min, self.year_max, self.author, self.category)
