"""The Python API as a notebook user would use it: the same answers as the CLI and HTTP, records and files in."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from abstract_search import Library
from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.errors import IndexNotFoundError, ReadOnlyIndexError
from abstract_search.search.searcher import UnknownPaperError
from tests.api.conftest import LOCAL
from tests.conftest import cli_json

QUESTION = "papers on LLM judges"


def ids(results) -> list[str]:
    return [hit.paper.id for hit in results.hits]


def test_a_library_answers_like_the_cli_and_the_http_api(index_copy):
    with Library.open(index_copy) as library:
        assert len(library) == 50 and "50 papers" in repr(library)
        found = library.search(QUESTION, k=5)
        first = found.hits[0].paper.id
        related = library.similar(first, k=5)
        filtered = library.search(QUESTION, k=3, year_min=2024, mode="lexical")
    cli = cli_json("search", QUESTION, "--index", str(index_copy), "-k", "5")
    cli_related = cli_json("similar", first, "--index", str(index_copy), "-k", "5")
    assert ids(found) == [r["id"] for r in cli["results"]]
    assert ids(related) == [r["id"] for r in cli_related["results"]] and first not in ids(related)
    assert [round(h.score, 6) for h in found.hits] == [r["score"] for r in cli["results"]]
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as client:
        http = client.get("/search", params={"q": QUESTION, "k": 5}).json()
        http_filtered = client.get("/search", params={"q": QUESTION, "k": 3, "year_min": 2024,
                                                      "mode": "lexical"}).json()
    assert ids(found) == [r["id"] for r in http["results"]]
    assert ids(filtered) == [r["id"] for r in http_filtered["results"]]
    assert all(hit.paper.year >= 2024 for hit in filtered.hits)


def test_similar_to_several_papers_leaves_them_all_out_and_sits_between_them(index_copy):
    with Library.open(index_copy) as library:
        a, b = ids(library.search("graph neural networks", k=2))
        together = library.similar([a, b], k=10)
        assert len(together.hits) == 10 and not {a, b} & set(ids(together))
        near_a, near_b = set(ids(library.similar(a, k=10))), set(ids(library.similar(b, k=10)))
        assert set(ids(together)) & near_a and set(ids(together)) & near_b
        by_text = library.similar(text=library.get(a).abstract, k=3)
        assert by_text.hits[0].paper.id == a  # the paper itself is the nearest to its own abstract
        with pytest.raises(UnknownPaperError, match="no-such-paper"):
            library.similar([a, "no-such-paper"])
        with pytest.raises(ValueError, match="not both"):
            library.similar(a, text="an abstract")
        with pytest.raises(ValueError, match="query is empty"):
            library.search("  ")


def test_records_and_files_go_in_bad_records_are_skipped_with_their_reason(index_copy, tmp_path):
    records = [
        {"id": "nb-1", "title": "Judging chatbots with chatbots",
         "abstract": "We study large language models used as judges of other models' answers."},
        Paper(id="nb-2", title="Soil moisture from radar", abstract="Radar backscatter measures soil moisture.",
              year=2021),
        {"id": "nb-3", "title": "No abstract here"},
    ]
    source = tmp_path / "more.jsonl"
    source.write_text(json.dumps({"id": "nb-4", "title": "Glacier retreat",
                                  "abstract": "Satellite images show glaciers retreating."}) + "\n")
    with Library.open(index_copy) as library:
        report = library.add(records)
        assert report.write.added == ["nb-1", "nb-2"]
        assert [r.reason for r in report.skipped] == ["papers[2]: missing abstract"]
        assert library.add(source).write.added == ["nb-4"]
        assert library.get("nb-2").year == 2021 and len(library) == 53
        assert library.search("language models as judges", k=3).hits[0].paper.id == "nb-1"
        assert library.delete(["nb-1", "missing"]) == (["nb-1"], ["missing"])
    with Library.open(index_copy) as reopened:  # the writes were durable
        assert reopened.get("nb-1") is None and reopened.get("nb-4") is not None and len(reopened) == 52


def test_build_open_and_read_only(tmp_path):
    with pytest.raises(IndexNotFoundError, match="abstracts index"):
        Library.open(tmp_path / "nothing")
    with Library.build(tmp_path / "new") as built:
        assert len(built) == 50
    with Library.open(tmp_path / "new", read_only=True) as library:
        assert library.search(QUESTION, k=1).hits
        with pytest.raises(ReadOnlyIndexError, match="read-only"):
            library.add([{"id": "x", "title": "T", "abstract": "An abstract."}])
        with pytest.raises(ReadOnlyIndexError):
            library.delete("x")


def test_similar_to_a_set_less_a_negative_is_the_same_from_python_and_the_cli(index_copy):
    with Library.open(index_copy) as library:
        a, b, c = ids(library.search("LLM as a judge evaluation", k=3, mode="dense"))
        pushed = library.similar([a, b], k=8, not_ids=[c], mode="dense")
    assert not {a, b, c} & set(ids(pushed))
    cli = cli_json("similar", a, b, "--not", c, "--index", str(index_copy), "--mode", "dense", "-k", "8")
    assert ids(pushed) == [r["id"] for r in cli["results"]]
