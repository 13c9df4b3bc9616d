"""Ranking metrics: hand-computed values on a tiny qrels, and agreement with ranx on random runs."""

from __future__ import annotations

import math
import random

import pytest

from abstract_search.search.metrics import evaluate, mrr_at, ndcg_at, recall_at

QRELS = {"q1": {"d1": 2, "d2": 1}, "q2": {"d3": 1, "d4": 0}, "q3": {"d9": 0}}
RUN = {"q1": ["d2", "x", "d1"], "q2": ["y", "z", "d3"], "q3": ["d9"]}


def test_ndcg_by_hand():
    # q1: DCG = 1/log2(2) + 2/log2(4) = 2; ideal = 2/log2(2) + 1/log2(3)
    assert ndcg_at(RUN["q1"], QRELS["q1"], 10) == pytest.approx(2 / (2 + 1 / math.log2(3)))
    # q2: the one relevant paper at rank 3: 1/log2(4) = 0.5; a 0-graded paper counts for nothing
    assert ndcg_at(RUN["q2"], QRELS["q2"], 10) == pytest.approx(0.5)
    assert ndcg_at(RUN["q2"], QRELS["q2"], 2) == 0.0


def test_recall_and_mrr_by_hand():
    assert recall_at(RUN["q1"], QRELS["q1"], 2) == 0.5
    assert recall_at(RUN["q1"], QRELS["q1"], 100) == 1.0
    assert mrr_at(RUN["q1"], QRELS["q1"], 10) == 1.0
    assert mrr_at(RUN["q2"], QRELS["q2"], 10) == pytest.approx(1 / 3)
    assert mrr_at(RUN["q2"], QRELS["q2"], 2) == 0.0


def test_evaluate_averages_over_queries_with_a_relevant_paper_only():
    scores = evaluate(QRELS, RUN)  # q3 has no relevant paper and is left out
    assert scores["ndcg@10"] == pytest.approx((2 / (2 + 1 / math.log2(3)) + 0.5) / 2)
    assert scores["recall@100"] == 1.0
    assert scores["mrr@10"] == pytest.approx((1 + 1 / 3) / 2)
    assert evaluate(QRELS, {})["ndcg@10"] == 0.0  # a query with no results scores 0


def test_agrees_with_ranx_on_random_runs():
    ranx = pytest.importorskip("ranx", reason="ranx is not installed; the hand-computed checks above still run")
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(60)]
    qrels, run = {}, {}
    for q in range(40):
        qrels[f"q{q}"] = {d: rng.choice([1, 1, 2, 3]) for d in rng.sample(docs, rng.randint(1, 6))}
        run[f"q{q}"] = rng.sample(docs, rng.randint(5, 60))
    ours = evaluate(qrels, run)
    ranked = {q: {d: float(len(ids) - i) for i, d in enumerate(ids)} for q, ids in run.items()}
    theirs = ranx.evaluate(ranx.Qrels(qrels), ranx.Run(ranked), ["ndcg@10", "recall@100", "mrr@10"])
    for metric in ("ndcg@10", "recall@100", "mrr@10"):
        assert ours[metric] == pytest.approx(theirs[metric], abs=1e-9), metric
