"""A value derived from the store, made again only when the store's generation has changed since."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Generational(Protocol):
    """What the cache reads: a store's commit counter."""

    def generation(self) -> int:
        """Return the number of commits so far."""
        ...


class PerGeneration(Generic[T]):
    """Holds what `make` returns for the store generation it was made at; once per generation, however
    many threads ask at once. The generation is read before `make` runs, so a commit during it makes the
    value again at the next call rather than keeping a stale one."""

    def __init__(self, store: Generational, make: Callable[[], T]):
        self.store = store
        self.make = make
        self._lock = threading.Lock()
        self._made: tuple[int, T] | None = None

    def get(self) -> T:
        """Return the value for the store as it is now."""
        generation = self.store.generation()
        made = self._made
        if made is None or made[0] != generation:
            with self._lock:
                made = self._made
                if made is None or made[0] != generation:
                    made = self._made = (generation, self.make())
        return made[1]
