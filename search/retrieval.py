"""The seam every retrieval mode plugs into: the typed query, what a retriever may read, and its protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from abstract_search.index.embedder import Embedder
from abstract_search.index.store import Store
from abstract_search.index.vector_index import VectorIndex
from abstract_search.search.dense_stats import DenseStats
from abstract_search.search.filters import Filters
from abstract_search.search.lexical import Lexical
from abstract_search.search.passage_scores import PassageScores


@dataclass(frozen=True)
class Query:
    """One request, as every retriever sees it."""

    text: str  # what lexical matching and reranking read: the question, or the whole paper asked about
    vector: np.ndarray | None = None  # its embedding, shape (1, d), where the mode needs one
    k: int = 10
    offset: int = 0
    filters: Filters | None = None
    exclude: frozenset[int] = frozenset()  # vector ids never returned (the papers asked about)
    label: str = ""  # what the results echo as their query, and what snippets mark (default: text)

    @property
    def want(self) -> int:
        """Return how many ranked papers this page needs: offset + k."""
        return self.offset + self.k


@dataclass(frozen=True)
class Scope:
    """The papers a query may return: the vector ids its filters allow (None: all), and how many."""

    allowed: np.ndarray | None
    total: int


@dataclass(frozen=True)
class Sources:
    """What a retriever may read; it writes none of it."""

    store: Store
    vectors: VectorIndex
    lexical: Lexical
    dense_stats: DenseStats
    embedder: Embedder
    passages: PassageScores
    reranker: str | None = None  # a cross-encoder name or path, for the modes that rerank


class Retriever(Protocol):
    """A retrieval mode: ranks the papers in scope for a query."""

    needs_vector: bool  # whether the query's embedding is used (lexical alone: no)
    needs_reranker: bool  # whether a cross-encoder must be named

    def __init__(self, sources: Sources) -> None: ...

    def rank(self, query: Query, scope: Scope) -> list[tuple[int, float]]:
        """Return (vector id, score) pairs best first: at least query.want where that many are in scope,
        none outside it and none in query.exclude."""
        ...


def kept(pairs, exclude: frozenset[int]) -> list[tuple[int, float]]:
    """Return the (vector id, score) pairs that are real (FAISS pads with -1) and not excluded, as Python numbers."""
    return [(int(n), float(s)) for n, s in pairs if n >= 0 and int(n) not in exclude]
