"""The retrieval modes a query can ask for, and which one applies when none is named."""

from __future__ import annotations

DENSE, LEXICAL, HYBRID, HYBRID_RERANK = "dense", "lexical", "hybrid", "hybrid+rerank"
MODES = (DENSE, LEXICAL, HYBRID, HYBRID_RERANK)
DEFAULT_MODE = HYBRID  # best on both the SciFact training claims and bench/questions (see bench/quality.py)


class ModeError(ValueError):
    """An unknown mode, or hybrid+rerank without a reranker."""


def resolve_mode(mode: str | None, reranker: str | None = None) -> str:
    """Return the mode to use: the one named, else hybrid+rerank when a reranker is given, else the default."""
    if mode is None or mode == "":
        return HYBRID_RERANK if reranker else DEFAULT_MODE
    mode = mode.strip().lower()
    if mode not in MODES:
        raise ModeError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == HYBRID_RERANK and not reranker:
        raise ModeError("mode hybrid+rerank needs a cross-encoder reranker "
                        "(on the command line: --reranker NAME_OR_PATH)")
    return mode


def needs_vector(mode: str) -> bool:
    """Return whether the mode uses the query's embedding."""
    return mode != LEXICAL
