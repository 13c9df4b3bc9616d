"""The hybrid+rerank path with a real, tiny cross-encoder built from the bundled MiniLM weights and a
fresh, randomly initialised one-label head (it proves the code path, not the quality)."""

from __future__ import annotations

import pytest

from abstract_search.search.rerank import RERANK_DEPTH, load_reranker
from tests.conftest import cli_json


def test_rerank_orders_the_fused_candidates_by_cross_encoder_score(engine, cross_encoder):
    query = "models that judge other models' answers"
    fused = [hit.paper.id for hit in engine.search(query, RERANK_DEPTH, mode="hybrid").hits]
    results = engine.search(query, 5, mode="hybrid+rerank", reranker=cross_encoder)
    assert len(results.hits) == 5
    assert {hit.paper.id for hit in results.hits} <= set(fused)
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)
    model = load_reranker(cross_encoder, "cpu")
    expected = model.predict([(query, hit.paper.text()) for hit in results.hits])
    assert scores == pytest.approx([float(s) for s in expected], abs=1e-5)


def test_a_reranker_given_without_a_mode_turns_reranking_on(engine, cross_encoder):
    plain = engine.search("dialogue safety", 3)
    reranked = engine.search("dialogue safety", 3, reranker=cross_encoder)
    model = load_reranker(cross_encoder, "cpu")
    top = reranked.hits[0]
    assert top.score == pytest.approx(float(model.predict([("dialogue safety", top.paper.text())])[0]), abs=1e-5)
    assert len(plain.hits) == len(reranked.hits) == 3


def test_cli_search_with_reranker(bundled_index, cross_encoder):
    args = ["--index", str(bundled_index), "--k", "3", "--reranker", cross_encoder]
    result = cli_json("search", "dialogue safety", *args)
    assert len(result["results"]) == 3
    scores = [hit["score"] for hit in result["results"]]
    assert scores == sorted(scores, reverse=True)
