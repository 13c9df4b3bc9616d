"""The contract every registered retrieval mode keeps (search/modes.py RETRIEVERS): a new mode is tested here
by being registered. Filters never come up short, exclusions hold, paging is stable, scores descend."""

from __future__ import annotations

import pytest

from abstract_search.search.filters import Filters
from abstract_search.search.modes import RETRIEVERS

QUERY = "language models for dialogue and evaluation"


@pytest.fixture(params=list(RETRIEVERS))
def mode(request, cross_encoder) -> tuple[str, str | None]:
    """Each registered mode, with a cross-encoder where the mode needs one."""
    return request.param, cross_encoder if RETRIEVERS[request.param].needs_reranker else None


def ranked_ids(results) -> list[str]:
    return [hit.paper.id for hit in results.hits]


def test_filters_never_come_up_short(engine, mode):
    name, reranker = mode
    everything = engine.search(QUERY, 100, mode=name, reranker=reranker)
    years = sorted(hit.paper.year for hit in everything.hits if hit.paper.year)
    cut = years[len(years) // 2]  # about half the papers the mode finds at all meet the filter
    filters = Filters(year_min=cut)
    meeting = [hit.paper.id for hit in everything.hits if hit.paper.year and hit.paper.year >= cut]
    for k in (3, len(meeting), len(meeting) + 5):
        found = engine.search(QUERY, k, filters=filters, mode=name, reranker=reranker)
        assert len(found.hits) == min(k, len(meeting)), (name, k)
        assert all(hit.paper.year >= cut for hit in found.hits)
    assert found.total == sum(1 for _ in engine.store.nums_matching(year_min=cut))


def test_the_papers_asked_about_are_never_returned(engine, mode):
    name, reranker = mode
    first, second = ranked_ids(engine.search("graph neural networks", 2, mode="dense"))
    for asked in ([first], [first, second]):
        related = engine.similar(asked, 49, mode=name, reranker=reranker)
        assert not set(asked) & set(ranked_ids(related)), (name, asked)
        assert related.total == engine.count() - len(asked)


def test_pages_join_into_the_ranking_and_scores_descend(engine, mode):
    name, reranker = mode
    whole = engine.search(QUERY, 12, mode=name, reranker=reranker)
    pages = [engine.search(QUERY, 4, offset, mode=name, reranker=reranker) for offset in (0, 4, 8)]
    assert [i for page in pages for i in ranked_ids(page)] == ranked_ids(whole), name
    scores = [hit.score for hit in whole.hits]
    assert len(scores) == 12 and scores == sorted(scores, reverse=True)
