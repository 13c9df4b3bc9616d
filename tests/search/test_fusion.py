"""Fusion of dense and BM25 evidence: z-scores, the query-dependent weight, smoothing, and hybrid
ranking of a known case over a real store, FAISS index and full-text index (hand-made vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.data.paper import Paper
from abstract_search.index.store import Store
from abstract_search.index.vector_index import create_vector_index
from abstract_search.search.dense_stats import DenseStats
from abstract_search.search.filters import Filters
from abstract_search.search.passage_scores import PassageScores
from abstract_search.search.fusion import Fusion, combine, smooth, zscores
from abstract_search.search.hybrid import Hybrid
from abstract_search.search.retrieval import Query, Scope, Sources
from abstract_search.search.lexical import Lexical


def test_zscores_and_combine():
    assert zscores([1.0, 3.0], mean=1.0, std=2.0) == pytest.approx([0.0, 1.0])
    assert combine(np.array([2.0, 0.0]), np.array([0.0, 4.0]), 0.25) == pytest.approx([1.5, 1.0])


def test_lexical_weight_grows_as_the_dense_match_weakens_and_stays_in_range():
    weights = [Fusion().lexical_weight(c) for c in (1.0, 0.8, 0.6, 0.4, 0.0)]
    assert weights == sorted(weights)
    assert weights[2] == pytest.approx(0.30)
    assert 0.0 < weights[0] and weights[-1] < 1.0


def test_a_paper_strong_on_both_signals_beats_one_strong_on_one():
    dense = np.array([3.0, 0.0, 2.5])  # A: dense only, B: lexical only, C: good on both
    lexical = np.array([0.0, 3.0, 2.5])
    assert np.argsort(-combine(dense, lexical, 0.3))[0] == 2
    assert np.argsort(-combine(dense, lexical, 0.0))[0] == 0
    assert np.argsort(-combine(dense, lexical, 1.0))[0] == 1


def test_smoothing_lifts_a_paper_whose_neighbours_scored_well():
    # papers 0-2 score well and sit together; 3 is near them, 4 is near the weak paper 5
    vectors = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0.9, 0.436, 0], [0, 0, 1], [0, 0.1, 0.995]], np.float32)
    scores = np.array([5.0, 4.0, 4.0, 2.9, 3.0, 1.0])
    smoothed = smooth(scores, vectors, depth=6, neighbours=1, share=0.2)
    assert scores[3] < scores[4] and smoothed[3] > smoothed[4]
    assert smoothed[3] == pytest.approx(0.8 * 2.9 + 0.2 * 5.0)
    tail = smooth(np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.5]), vectors, depth=4, neighbours=1, share=0.5)
    assert tail[4] < tail[:4].min() and tail[5] < tail[4]  # papers below the depth stay below, in order


@pytest.fixture
def tiny(tmp_path):
    """A store, flat FAISS index and full-text index over six papers with 3-d vectors."""
    store = Store(tmp_path)
    rows = [
        ("dense-only", "Unrelated words", "nothing shared here", [1.0, 0.0, 0.0], 2020),
        ("lexical-only", "Graphene sensors", "graphene sensors graphene", [0.0, 1.0, 0.0], 2020),
        ("both", "Graphene", "sensors built from graphene", [0.8, 0.6, 0.0], 2010),
        ("far-1", "Soil", "soil moisture", [0.0, 0.0, 1.0], 2020),
        ("far-2", "Rivers", "river flow", [0.0, 0.2, 0.98], 2020),
        ("far-3", "Clouds", "cloud cover", [0.1, 0.0, 0.99], 2020),
    ]
    vectors = {pid: np.array(v, np.float32) / np.linalg.norm(v) for pid, _, _, v, _ in rows}
    store.write([(Paper(id=p, title=t, abstract=a, year=y), vectors[p]) for p, t, a, _, y in rows], [], [])
    index = create_vector_index("flat", 3)
    nums = store.states([r[0] for r in rows])
    index.add(np.array([nums[r[0]].num for r in rows]), np.stack([vectors[r[0]] for r in rows]))
    hybrid = Hybrid(Sources(store, index, Lexical(store), DenseStats(store), None, PassageScores(store)))
    yield store, hybrid, {pid: s.num for pid, s in nums.items()}
    store.close()


def test_hybrid_ranks_the_paper_both_retrievers_like_first(tiny):
    store, hybrid, num = tiny
    query = np.array([[0.9, 0.436, 0.0]], np.float32)  # closest to dense-only, then both
    ranked = hybrid.rank(Query("graphene sensors", query, k=3), Scope(None, 6))
    by_id = {n: pid for pid, n in num.items()}
    order = [by_id[n] for n, _ in ranked]
    assert order[0] == "both"
    assert set(order[1:3]) == {"dense-only", "lexical-only"}
    assert len(order) == 6 and [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


def test_hybrid_filters_and_exclusions_apply_inside_retrieval(tiny):
    store, hybrid, num = tiny
    query = np.array([[0.9, 0.436, 0.0]], np.float32)
    filters = Filters(year_max=2015)
    allowed = filters.allowed_nums(store)
    ranked = hybrid.rank(Query("graphene sensors", query, k=1, filters=filters), Scope(allowed, len(allowed)))
    assert [n for n, _ in ranked] == [num["both"]]
    ranked = hybrid.rank(Query("graphene sensors", query, k=6, exclude=frozenset({num["both"]})), Scope(None, 5))
    assert num["both"] not in [n for n, _ in ranked] and len(ranked) == 5


def test_dense_stats_match_the_corpus_scores(tiny):
    store, hybrid, _ = tiny
    vectors = np.concatenate([v for _, v in store.vectors_since(0)])
    query = np.array([0.3, 0.5, 0.81], np.float32)
    mean, std = DenseStats(store).of(query)
    assert mean == pytest.approx(float(np.mean(vectors @ query)), abs=1e-6)
    assert std == pytest.approx(float(np.std(vectors @ query)), abs=1e-6)
