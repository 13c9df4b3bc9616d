"""Every door carries a paper's link, and arXiv ids give the year filters something to use."""

from __future__ import annotations

import json
import shutil
import sqlite3

from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from abstract_search.index.store import STORE_FILE, Store
from tests.api.conftest import LOCAL
from tests.conftest import cli_json, run_cli

ARXIV = [{"id": "2503.19092v1", "title": "Judges of judges", "abstract": "LLM judges evaluating LLM judges."},
         {"id": "hep-th/9901001", "title": "Strings", "abstract": "A string theory calculation of LLM judges."},
         {"id": "p-doi", "title": "With a DOI", "abstract": "Judges and juries of LLM judges.", "doi": "10.1000/j1"}]


def test_hits_and_papers_carry_their_url_through_the_cli_and_http(index_copy, tmp_path):
    source = tmp_path / "arxiv.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in ARXIV))
    assert run_cli("add", str(source), "--index", str(index_copy)).returncode == 0
    found = cli_json("search", "LLM judges evaluating LLM judges", "--index", str(index_copy), "-k", "50")
    urls = {r["id"]: r["url"] for r in found["results"]}
    assert urls["2503.19092v1"] == "https://arxiv.org/abs/2503.19092"
    assert urls["hep-th/9901001"] == "https://arxiv.org/abs/hep-th/9901001"
    assert urls["p-doi"] == "https://doi.org/10.1000/j1"
    assert all(u is None for i, u in urls.items() if i not in {r["id"] for r in ARXIV})  # seed: no link invented
    recent = cli_json("search", "LLM judges", "--index", str(index_copy), "--year-min", "2025", "--year-max", "2025",
                      "-k", "50")
    assert "2503.19092v1" in {r["id"] for r in recent["results"]}  # the year came from the arXiv id
    old = cli_json("search", "string theory", "--index", str(index_copy), "--year-max", "1999")
    assert [r["id"] for r in old["results"]] == ["hep-th/9901001"]
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as client:
        hit = client.get("/search", params={"q": "Judges of judges", "k": 1}).json()["results"][0]
        assert (hit["id"], hit["url"]) == ("2503.19092v1", "https://arxiv.org/abs/2503.19092")
        paper = client.get("/papers/hep-th%2F9901001").json()
        assert paper["url"] == "https://arxiv.org/abs/hep-th/9901001" and paper["year"] == 1999


def test_a_store_made_before_links_opens_writable_and_read_only(index_copy, tmp_path):
    with sqlite3.connect(index_copy / STORE_FILE) as conn:
        conn.execute("ALTER TABLE papers DROP COLUMN url")  # as every store was before links
    old = tmp_path / "old"
    shutil.copytree(index_copy, old)
    read_only = Store(old, readonly=True)
    assert read_only.count() == 50 and all(p.url is None for p in read_only.iter_papers())
    read_only.close()
    assert run_cli("search", "LLM judges", "--index", str(index_copy)).returncode == 0  # adds the column
    with sqlite3.connect(index_copy / STORE_FILE) as conn:
        assert "url" in {row[1] for row in conn.execute("PRAGMA table_info(papers)")}


def test_cli_json_has_the_fields_of_the_http_answer(index_copy):
    cli = cli_json("search", "LLM judges", "--index", str(index_copy), "-k", "3", "--offset", "2")
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as client:
        http = client.get("/search", params={"q": "LLM judges", "k": 3, "offset": 2}).json()
    assert set(cli) == set(http) and cli["offset"] == 2 and cli["took_ms"] >= 0
    assert set(cli["results"][0]) == set(http["results"][0])
    assert [r["id"] for r in cli["results"]] == [r["id"] for r in http["results"]]
