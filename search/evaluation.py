"""Evaluate a search function on BEIR-format queries and qrels: nDCG@10, recall@100, MRR@10, p50 latency."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from abstract_search.search.metrics import Qrels, evaluate

DEPTH = 100  # results fetched per query: recall@100 needs 100


class EvalInputError(ValueError):
    """A queries or qrels file that cannot be read."""


def read_queries(path: Path | str) -> dict[str, str]:
    """Return {query id: text} from a BEIR queries.jsonl (`_id`, `text`)."""
    queries: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                queries[str(record["_id"])] = str(record["text"])
            except (ValueError, KeyError, TypeError) as exc:
                raise EvalInputError(f"{path}:{number}: not a BEIR query record ({exc})") from None
    return queries


def read_qrels(path: Path | str) -> dict[str, dict[str, int]]:
    """Return {query id: {paper id: relevance}} from a BEIR qrels TSV (query-id, corpus-id, score)."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row or (number == 1 and row[-1].strip().lower() == "score"):
                continue
            try:
                query_id, paper_id, score = row[0], row[-2], int(row[-1])
            except (ValueError, IndexError):
                raise EvalInputError(f"{path}:{number}: expected query-id, corpus-id, score") from None
            qrels.setdefault(query_id.strip(), {})[paper_id.strip()] = score
    return qrels


def judged(queries: dict[str, str], qrels: Qrels) -> dict[str, str]:
    """Return the queries that have at least one relevant paper in the qrels."""
    return {q: text for q, text in queries.items() if any(g > 0 for g in qrels.get(q, {}).values())}


def run_eval(search: Callable[[str], list[str]], queries: dict[str, str], qrels: Qrels, mode: str) -> dict:
    """Run every judged query through `search` (text -> ranked paper ids) and return the scores.

    The first query runs once untimed, so model loading does not count as query latency.
    """
    chosen = judged(queries, qrels)
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    if chosen:
        search(next(iter(chosen.values())))
    for query_id, text in chosen.items():
        start = time.perf_counter()
        run[query_id] = search(text)
        latencies.append(time.perf_counter() - start)
    scores = evaluate({q: qrels[q] for q in chosen}, run)
    return {
        "mode": mode,
        "queries": len(chosen),
        "ndcg@10": round(scores["ndcg@10"], 4),
        "recall@100": round(scores["recall@100"], 4),
        "mrr@10": round(scores["mrr@10"], 4),
        "p50_ms": round(float(np.median(latencies)) * 1000, 2) if latencies else 0.0,
    }
