"""Optional cross-encoder reranking of the top candidates (off unless a reranker is named)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

from abstract_search.data.paper import Paper

RERANK_DEPTH = 50  # how many fused candidates the cross-encoder rescores
_LOAD_LOCK = threading.Lock()  # concurrent first requests would each load a copy (as the embedder once did)


@lru_cache(maxsize=2)
def load_reranker(name_or_path: str, device: str | None = None):
    """Load a sentence-transformers CrossEncoder once per process."""
    from sentence_transformers import CrossEncoder
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return CrossEncoder(name_or_path, device=device)


def rerank(name_or_path: str, query: str, papers: Sequence[Paper], device: str | None = None) -> list[float]:
    """Return one cross-encoder relevance score per paper for the query."""
    if not papers:
        return []
    with _LOAD_LOCK:
        model = load_reranker(name_or_path, device)
    scores = model.predict([(query, paper.text()) for paper in papers], show_progress_bar=False)
    return [float(s) for s in scores]
