"""Optional cross-encoder reranking of another mode's top candidates (off unless a reranker is named)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

from abstract_search.data.paper import Paper
from abstract_search.search.hybrid import Hybrid
from abstract_search.search.retrieval import Query, Retriever, Scope, Sources

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


class Reranked:
    """Wraps a retriever: the cross-encoder rescores its RERANK_DEPTH best (or a page's worth, if more)."""

    inner: type[Retriever]
    needs_reranker = True

    def __init__(self, sources: Sources):
        self.store = sources.store
        self.first = self.inner(sources)
        self.model = sources.reranker
        self.device = sources.embedder.device

    @property
    def spans(self) -> dict[int, tuple[int, int]]:
        """Return, by paper, the part of the abstract whose passage matched best in the inner ranking."""
        return getattr(self.first, "spans", {})

    def rank(self, query: Query, scope: Scope) -> list[tuple[int, float]]:
        """Return the inner retriever's head, reordered by cross-encoder score."""
        head = self.first.rank(query, scope)[: max(query.want, RERANK_DEPTH)]
        papers = self.store.papers_by_num([n for n, _ in head])
        head = [(n, s) for n, s in head if n in papers]  # skip a paper deleted a moment ago
        scores = rerank(self.model, query.text, [papers[n] for n, _ in head], self.device)
        return sorted(((n, s) for (n, _), s in zip(head, scores)), key=lambda pair: -pair[1])


class HybridRerank(Reranked):
    """Hybrid candidates, reranked by a cross-encoder."""

    inner = Hybrid
    needs_vector = Hybrid.needs_vector
