"""Links and dates derived from what a record says: arXiv ids (new and old style), DOIs, a record's own link."""

from __future__ import annotations

import json

import pytest

from abstract_search.data.corpus import read_corpus
from abstract_search.data.links import arxiv_month, paper_url
from abstract_search.data.paper import Paper


@pytest.mark.parametrize("paper_id, url, month", [
    ("2503.19092", "https://arxiv.org/abs/2503.19092", (2025, 3)),
    ("2503.19092v2", "https://arxiv.org/abs/2503.19092", (2025, 3)),
    ("0704.0001", "https://arxiv.org/abs/0704.0001", (2007, 4)),
    ("arXiv:1501.00001v1", "https://arxiv.org/abs/1501.00001", (2015, 1)),
    ("hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001", (1999, 1)),
    ("math.AG/0309136v3", "https://arxiv.org/abs/math.AG/0309136", (2003, 9)),
    ("cond-mat/0703001", "https://arxiv.org/abs/cond-mat/0703001", (2007, 3)),
])
def test_arxiv_ids_link_to_their_abstract_page_and_give_their_month(paper_id, url, month):
    assert paper_url(paper_id) == url
    assert arxiv_month(paper_id) == month


@pytest.mark.parametrize("paper_id", ["j1-incentivizing-thinking", "1234", "2513.00001", "0612.1234", "h-abc123",
                                      "hep-th/0704001", "W123456789"])
def test_other_ids_get_no_invented_link_or_date(paper_id):
    assert paper_url(paper_id) is None and arxiv_month(paper_id) is None


def test_a_records_own_link_wins_then_its_doi_and_only_web_links_count():
    assert paper_url("2503.19092", "https://example.org/p") == "https://example.org/p"
    assert paper_url("x", None, "10.1000/xyz123") == "https://doi.org/10.1000/xyz123"
    assert paper_url("x", None, "https://doi.org/10.1000/XYZ") == "https://doi.org/10.1000/XYZ"
    assert paper_url("10.1145/3290605.3300233") == "https://doi.org/10.1145/3290605.3300233"
    assert paper_url("x", "javascript:alert(1)") is None
    assert paper_url("2503.19092", "ftp://host/file") == "https://arxiv.org/abs/2503.19092"


def test_readers_fill_url_and_the_arxiv_year_only_where_the_record_has_none(tmp_path):
    rows = [{"id": "2503.19092", "title": "A", "abstract": "First."},
            {"id": "2503.19093", "title": "B", "abstract": "Second.", "year": 2024},
            {"id": "p3", "title": "C", "abstract": "Third.", "link": "https://example.org/c"},
            {"id": "p4", "title": "D", "abstract": "Fourth.", "doi": "10.1000/d4"},
            {"id": "p5", "title": "E", "abstract": "Fifth."}]
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    papers = {p.id: p for p in read_corpus(path)}
    assert (papers["2503.19092"].year, papers["2503.19092"].date) == (2025, "2025-03")
    assert papers["2503.19093"].year == 2024 and papers["2503.19093"].date is None
    assert [papers[i].url for i in ("2503.19092", "p3", "p4", "p5")] == [
        "https://arxiv.org/abs/2503.19092", "https://example.org/c", "https://doi.org/10.1000/d4", None]


def test_the_same_paper_from_another_file_has_the_same_content():
    one = Paper(id="a", title="T", abstract="A.", source="first.jsonl")
    assert one.content_hash() == Paper(id="a", title="T", abstract="A.", source="second.jsonl").content_hash()
    assert one.content_hash() != Paper(id="a", title="T", abstract="A.", url="https://example.org").content_hash()
