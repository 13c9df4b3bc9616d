"""Ranking metrics as trec_eval computes them: nDCG@k (linear gain), recall@k and MRR@k."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id -> document id -> graded relevance
Run = Mapping[str, Sequence[str]]  # query id -> document ids, best first


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Return nDCG@k of one ranking: gain rel / log2(rank + 1), ideal from the qrels."""
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Return the share of relevant documents found in the top k."""
    wanted = {doc for doc, g in relevant.items() if g > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Return 1 / rank of the first relevant document in the top k, else 0."""
    for i, doc in enumerate(ranked[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(qrels: Qrels, run: Run) -> dict[str, float]:
    """Return nDCG@10, recall@100 and MRR@10 averaged over the queries that have qrels."""
    judged = [q for q, rel in qrels.items() if any(g > 0 for g in rel.values())]
    if not judged:
        return {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for q in judged:
        ranked, rel = list(run.get(q, ())), qrels[q]
        totals["ndcg@10"] += ndcg_at(ranked, rel, 10)
        totals["recall@100"] += recall_at(ranked, rel, 100)
        totals["mrr@10"] += mrr_at(ranked, rel, 10)
    return {name: value / len(judged) for name, value in totals.items()}
