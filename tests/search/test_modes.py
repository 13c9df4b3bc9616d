"""Every mode answers through the engine, and filters apply inside retrieval in every mode: a filtered
query with k matching papers returns k, even when the unfiltered top k hold fewer than k of them."""

from __future__ import annotations

import pytest

from abstract_search.search.filters import Filters
from abstract_search.search.modes import ModeError, resolve_mode

OLD = Filters(year_max=2019)


def test_mode_names_and_defaults():
    assert resolve_mode(None) == "hybrid"
    assert resolve_mode(None, reranker="some/cross-encoder") == "hybrid+rerank"
    assert resolve_mode("Lexical") == "lexical"
    with pytest.raises(ModeError, match="unknown mode"):
        resolve_mode("sparse")
    with pytest.raises(ModeError, match="reranker"):
        resolve_mode("hybrid+rerank")


@pytest.mark.parametrize(
    ("mode", "query"),
    [("dense", "papers on LLM judges"), ("hybrid", "papers on LLM judges"), ("lexical", "dialogue models")],
)
def test_filtered_search_returns_k_where_post_filtering_would_come_up_short(engine, mode, query):
    k = 3
    unfiltered = engine.search(query, k, mode=mode).hits
    assert sum(1 for hit in unfiltered if hit.paper.year <= 2019) < k  # a post-filter would return fewer than k
    filtered = engine.search(query, k, filters=OLD, mode=mode)
    assert len(filtered.hits) == k
    assert all(hit.paper.year <= 2019 for hit in filtered.hits)
    assert filtered.total == len(OLD.allowed_nums(engine.store))


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_each_mode_finds_the_obvious_paper_with_sorted_scores_and_snippets(engine, mode):
    results = engine.search("Chain-of-Verification reduces hallucination", 5, mode=mode)
    assert results.hits[0].paper.id == "chain-of-verification-reduces-hallucination-in-large-language"
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)
    hit = results.hits[0]
    assert hit.snippet in hit.paper.abstract
    marked = {hit.snippet[a:b].lower() for a, b in hit.highlights}
    assert "verification" in marked and marked <= {"chain", "verification", "reduces", "hallucination"}


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_similar_paging_and_batches_in_each_mode(engine, mode):
    paper_id = "iterative-reasoning-preference-optimization"
    related = engine.similar(paper_id, 6, mode=mode)
    ids = [hit.paper.id for hit in related.hits]
    assert paper_id not in ids and len(ids) == 6
    page = engine.similar(paper_id, 3, offset=3, mode=mode)
    assert [hit.paper.id for hit in page.hits] == ids[3:6]
    pasted = "We train a judge model on synthetic preference pairs without human labels."
    text = engine.similar_text(pasted, 3, mode=mode)
    assert len(text.hits) == 3
    many = engine.search_many(["byte-level models without a tokenizer", "dialogue safety"], 2, mode=mode)
    assert [len(r.hits) for r in many] == [2, 2]
    assert many[0].hits[0].paper.id == "byte-latent-transformer-patches-scale-better-than-tokens"
