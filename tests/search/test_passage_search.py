"""Passage vectors at query time: the tail of a long abstract counts, the snippet comes from the passage that
matched, and every index type, filter, delete, update and memory-mapped open works as with whole vectors."""

from __future__ import annotations

import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.search.filters import Filters
from tests.conftest import as_index_before_passages

TAIL = "Finally, we show that twisted bilayer graphene becomes superconducting near the magic angle of 1.1 degrees."
QUESTION = "superconductivity in twisted bilayer graphene at the magic angle"
FILLER = ("We study reinforcement learning from human feedback for large language models, comparing reward models, "
          "preference datasets and policy optimisation methods across many benchmarks. ") * 10


def long_paper(tail: str = TAIL, year: int = 2024) -> Paper:
    """A paper whose 343-word-piece abstract is about RLHF until its last sentence, past the model's 256."""
    return Paper(id="tail-1", title="Preference optimisation for language models", abstract=FILLER + tail, year=year)


def test_the_tail_of_a_long_abstract_counts_and_the_snippet_shows_it(index_copy):
    engine = Engine(Settings(index=index_copy))
    try:
        assert engine.embedder.piece_counts([long_paper().text()])[0] > 300
        engine.add([long_paper()])
        for mode in ("dense", "hybrid"):
            results = engine.search(QUESTION, 10, mode=mode)
            ids = [hit.paper.id for hit in results]
            assert ids[0] == "tail-1" and len(set(ids)) == len(ids) == 10, (mode, ids)
            assert results.hits[0].snippet == TAIL and results.hits[0].highlights
        top = engine.search(QUESTION, 1, mode="dense").hits[0]
        # the whole-abstract vector never read the last sentence; the best passage did
        whole = float(engine.store.embedding_of("tail-1") @ engine.embedder.encode_query(QUESTION)[0])
        assert whole < 0.15 and top.score - whole > 0.15 and top.cosine == pytest.approx(top.score, abs=1e-5)
    finally:
        engine.close()


def test_an_index_without_passages_ranks_by_the_whole_abstract(index_copy):
    engine = Engine(Settings(index=as_index_before_passages(index_copy)))
    try:
        engine.add([long_paper()])
        assert engine.store.passage_scheme() is None and not engine.searcher.passages.active
        hit = next(h for h in engine.search(QUESTION, 50, mode="dense") if h.paper.id == "tail-1")
        assert hit.score == pytest.approx(hit.cosine, abs=1e-5) and hit.score < 0.15
    finally:
        engine.close()


@pytest.mark.parametrize("index_type", ["flat", "hnsw", "hnsw-sq8", "ivf", "ivf-sq8"])
def test_every_index_type_filters_deletes_and_updates_with_passages(index_copy, index_type):
    engine = Engine(Settings(index=index_copy))
    try:
        engine.reindex(index_type)
        engine.add([long_paper()])
        found = engine.search(QUESTION, 5, filters=Filters(year_min=2024), mode="dense")
        assert found.hits[0].paper.id == "tail-1" and all(h.paper.year >= 2024 for h in found)
        assert "tail-1" not in {h.paper.id for h in engine.search(QUESTION, 5, filters=Filters(year_max=2023))}
        new_tail = "Finally, we measure the migration routes of arctic terns with lightweight geolocators."
        engine.add([long_paper(new_tail)])  # the text changed: its passages are embedded again
        assert engine.search("arctic tern migration routes tracked by geolocators", 1, mode="dense").hits[0].snippet \
            == new_tail
        assert engine.search(QUESTION, 1, mode="dense").hits[0].paper.id != "tail-1"
        engine.save()
        mapped = Engine(Settings(index=index_copy, mmap=True, read_only=True))
        try:
            assert mapped.search("arctic tern migration routes", 1, mode="hybrid").hits[0].paper.id == "tail-1"
        finally:
            mapped.close(save=False)
        engine.delete(["tail-1"])
        assert "tail-1" not in {h.paper.id for h in engine.search("arctic tern migration routes", 10, mode="dense")}
    finally:
        engine.close()


def test_similar_to_a_long_paper_returns_distinct_others(index_copy):
    engine = Engine(Settings(index=index_copy))
    try:
        engine.add([long_paper()])
        for mode in ("dense", "hybrid"):
            ids = [h.paper.id for h in engine.similar(["tail-1"], 10, mode=mode)]
            assert "tail-1" not in ids and len(set(ids)) == len(ids) == 10
        pasted = [h.paper.id for h in engine.similar_text(TAIL + " " + FILLER, 5, mode="dense")]
        assert pasted[0] == "tail-1"
    finally:
        engine.close()
