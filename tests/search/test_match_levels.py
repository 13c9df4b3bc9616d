"""Match levels a person can read: gibberish, Chinese, off-topic and the user's own question each get the
signal they must, in every mode and through the CLI and HTTP; totals and paging say what they mean."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from abstract_search.search.hits import NO_STRONG_MATCH
from abstract_search.search.match import match_level
from abstract_search.search.filters import Filters
from tests.api.conftest import LOCAL
from tests.conftest import cli_json, run_cli

NO_ANSWER = {
    "gibberish": "xqzjvk wplm",
    "Chinese on the English model": "蛋白质折叠的机器学习方法",
    "off-topic": "best sourdough bread recipe with a long cold proof",
}
MODES = ("hybrid", "dense", "lexical")


@pytest.mark.parametrize("kind", NO_ANSWER)
@pytest.mark.parametrize("mode", MODES)
def test_a_query_with_no_answer_gets_no_strong_or_partial_hit_and_a_caution(engine, kind, mode):
    results = engine.search(NO_ANSWER[kind], 10, mode=mode)
    assert all(hit.level == "weak" for hit in results), [(h.level, h.cosine, h.share) for h in results]
    if results.hits:  # lexical mode finds no paper holding gibberish at all
        assert results.caution == NO_STRONG_MATCH
    assert not results.more, "paging must stop where nothing matches"
    assert results.total == 50  # every paper passes no filters: total counts papers in scope, not matches


@pytest.mark.parametrize("mode", MODES)
def test_the_users_own_question_gets_strong_matches_and_no_caution(engine, mode):
    results = engine.search("papers on LLM judges", 10, mode=mode)
    levels = [hit.level for hit in results]
    assert levels[0] == "strong" and results.caution is None
    assert "LLM-as-a-Judge" in results.hits[0].paper.title
    assert levels.count("weak") < levels.count("strong") + levels.count("partial")
    assert results.more  # a second page still holds matches


def test_levels_follow_the_evidence():
    assert match_level(0.7, None) == "strong" and match_level(0.45, None) == "partial"
    assert match_level(0.2, None) == "weak" and match_level(0.2, 0.0, 2) == "weak"
    assert match_level(0.36, 1.0, 2) == "strong"  # every term of a two-term query, above the no-answer ceiling
    assert match_level(0.2, 1.0, 2) == "partial" and match_level(0.2, 1.0, 1) == "weak"
    assert match_level(0.32, 0.5, 4) == "partial" and match_level(0.28, 0.5, 4) == "weak"


def test_a_set_of_papers_is_levelled_by_cosine_alone(engine):
    first = engine.search("papers on LLM judges", 1).hits[0].paper.id
    results = engine.similar([first], 5)
    assert all(hit.share is None for hit in results)
    assert all(hit.level == match_level(hit.cosine) for hit in results)


def test_paging_ends_at_the_offset_limit_and_at_the_end_of_the_papers(engine):
    question = "language model judges evaluation"
    assert not engine.search(question, 10, offset=45).more  # 5 papers left: no next page
    searcher = engine.searcher
    limit = searcher.max_offset
    try:
        searcher.max_offset = 10
        assert engine.search(question, 10, offset=0).more
        assert not engine.search(question, 10, offset=10).more  # the next offset would pass the limit
    finally:
        searcher.max_offset = limit
    filtered = engine.search(question, 10, filters=Filters(year_min=2025))
    assert filtered.total == len(engine.store.nums_matching(year_min=2025)) < 50


def test_cli_and_http_carry_the_levels_and_the_caution(bundled_index):
    cli = cli_json("search", NO_ANSWER["gibberish"], "--index", str(bundled_index), "-k", "3")
    assert cli["caution"] == NO_STRONG_MATCH and cli["more"] is False
    assert {hit["match"] for hit in cli["results"]} == {"weak"} and "cosine" in cli["results"][0]
    table = run_cli("search", NO_ANSWER["gibberish"], "--index", str(bundled_index), "-k", "3", check=True).stdout
    assert "No strong match in the index" in table and "weak" in table
    with TestClient(create_app(Settings(index=bundled_index, read_only=True)), base_url=LOCAL) as client:
        http = client.get("/search", params={"q": "papers on LLM judges", "k": 3}).json()
    assert http["caution"] is None and http["results"][0]["match"] == "strong" and http["more"] is True
    assert http["total"] == 50
