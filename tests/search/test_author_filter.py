"""Author filters match name parts; filters that let nothing through say which one did."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from abstract_search.data.names import author_matches
from abstract_search.search.filters import Filters
from tests.api.conftest import LOCAL
from tests.conftest import cli_json, run_cli


@pytest.mark.parametrize("asked", ["Weston", "weston", "J. Weston", "Jason Weston", "Weston, Jason", "WESTON J"])
def test_a_name_part_or_initial_finds_the_author(asked):
    assert author_matches("Jason Weston", asked)


@pytest.mark.parametrize("name, asked", [("Jason Weston", "Wes"), ("Jason Weston", "J."), ("Lin Wei", "Li"),
                                         ("Yu Liu", "Li"), ("Jason Weston", "K. Weston"), ("Jason Weston", ""),
                                         ("Batch Author 0", "Batch Author 1"), ("Team 10", "Team 1")])
def test_a_part_of_a_part_or_a_wrong_initial_does_not(name, asked):
    assert not author_matches(name, asked)


def test_every_door_filters_by_name_part_and_says_when_a_filter_matched_nothing(engine, index_copy):
    by_parts = engine.search("dialogue", 50, filters=Filters(author="weston"))
    assert by_parts.hits and all(any(author_matches(a, "Weston") for a in h.paper.authors) for h in by_parts.hits)
    exact = engine.search("dialogue", 50, filters=Filters(author="weston", author_exact=True))
    assert exact.hits == [] and exact.note == "no paper by an author named exactly 'weston'"
    assert len(engine.search("dialogue", 50, filters=Filters(author="Jason Weston", author_exact=True)).hits) == len(
        by_parts.hits)
    nobody = engine.search("dialogue", 5, filters=Filters(author="Nobody Atall"))
    assert (nobody.hits, nobody.total, nobody.note) == ([], 0, "no paper by an author matching 'Nobody Atall'")
    years = engine.search("dialogue", 5, filters=Filters(year_min=1900, year_max=1901))
    assert years.note == "no paper from the years 1900-1901"
    together = engine.search("dialogue", 5, filters=Filters(author="Whitehouse", year_max=2019))
    assert together.note.startswith("no paper meets all the filters together")
    assert engine.search("dialogue", 5).note is None
    found = cli_json("search", "dialogue", "--index", str(index_copy), "--author", "J. Weston", "-k", "50")
    assert {r["id"] for r in found["results"]} == {h.paper.id for h in by_parts.hits}
    shown = run_cli("search", "dialogue", "--index", str(index_copy), "--author", "Nobody Atall")
    assert shown.returncode == 0 and "no paper by an author matching 'Nobody Atall'" in shown.stdout
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as client:
        answer = client.get("/search", params={"q": "dialogue", "author": "Nobody Atall"}).json()
        assert answer["results"] == [] and answer["note"] == "no paper by an author matching 'Nobody Atall'"
        exact = client.get("/search", params={"q": "dialogue", "author": "weston", "author_exact": "true"}).json()
        assert exact["results"] == [] and "named exactly" in exact["note"]
    assert np.array_equal(np.sort(engine.store.nums_matching(author="J. Weston")),
                          np.sort(engine.store.nums_matching(author="Jason Weston", author_exact=True)))
