"""The retrieval modes a query can ask for, registered in one table, and which one applies when none is named."""

from __future__ import annotations

from abstract_search.search.bm25 import BM25
from abstract_search.search.dense import Dense
from abstract_search.search.hybrid import Hybrid
from abstract_search.search.rerank import HybridRerank
from abstract_search.search.retrieval import Retriever

DENSE, LEXICAL, HYBRID, HYBRID_RERANK = "dense", "lexical", "hybrid", "hybrid+rerank"
# A new mode is one class with Retriever's shape (search/retrieval.py) and one line here.
RETRIEVERS: dict[str, type[Retriever]] = {DENSE: Dense, LEXICAL: BM25, HYBRID: Hybrid, HYBRID_RERANK: HybridRerank}
MODES = tuple(RETRIEVERS)
DEFAULT_MODE = HYBRID  # best on both the SciFact training claims and bench/questions (see bench/quality.py)


class ModeError(ValueError):
    """An unknown mode, or a reranking mode without a reranker."""


def resolve_mode(mode: str | None, reranker: str | None = None) -> str:
    """Return the mode to use: the one named, else hybrid+rerank when a reranker is given, else the default."""
    if mode is None or mode == "":
        return HYBRID_RERANK if reranker else DEFAULT_MODE
    mode = mode.strip().lower()
    if mode not in RETRIEVERS:
        raise ModeError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if RETRIEVERS[mode].needs_reranker and not reranker:
        raise ModeError(f"mode {mode} needs a cross-encoder reranker (on the command line: --reranker NAME_OR_PATH)")
    return mode
