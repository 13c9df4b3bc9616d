"""Export through HTTP and the CLI: each format parses back with the library that reads it, hostile
titles included, and the same results come out of every door."""

from __future__ import annotations

import csv
import io
import json

import bibtexparser
import rispy
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from tests.api.conftest import LOCAL
from tests.conftest import run_cli

HOSTILE = [
    {"id": "evil,key {1}", "title": "=HYPERLINK(\"http://x\") judges } unbalanced {",
     "abstract": "LLM judges of LLM judges: an abstract with @ signs, % marks and a }brace.",
     "authors": ["Ann {Lee}", "Bo and Co"], "categories": ["cs.CL"]},
    {"id": "2503.19092", "title": "An arXiv paper on LLM judges", "abstract": "LLM judges evaluated on arXiv \\"},
]


def test_every_export_format_parses_back_and_matches_the_json_answer(index_copy):
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as client:
        assert client.post("/papers", json={"papers": HOSTILE}).status_code == 200
        params = {"q": "LLM judges of LLM judges", "k": 5}
        answer = client.get("/search", params=params).json()
        ids = [hit["id"] for hit in answer["results"]]
        assert {"evil,key {1}", "2503.19092"} <= set(ids)
        files = {}
        for fmt in ("bibtex", "ris", "csv", "jsonl"):
            response = client.get("/search", params={**params, "format": fmt})
            assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
            files[fmt] = response.text
        similar = client.post("/similar", json={"ids": ids[:2], "k": 3, "format": "ris"})
        assert similar.status_code == 200 and len(rispy.loads(similar.text)) == 3
        assert client.get("/search", params={**params, "format": "xml"}).status_code == 422
    library = bibtexparser.parse_string(files["bibtex"])
    assert not library.failed_blocks and len(library.entries) == len(ids)
    by_title = {e["title"]: e for e in library.entries}
    evil = next(e for e in library.entries if "HYPERLINK" in e["title"])
    assert evil.key == "evil_key__1_" and evil["title"].endswith(r"unbalanced \{")  # a stray brace is escaped
    assert r"\%" in evil["abstract"] and r"\}brace" in evil["abstract"]  # LaTeX's specials typeset literally
    arxiv = next(e for e in library.entries if e.key == "2503.19092")
    assert arxiv.entry_type == "misc" and arxiv["eprint"] == "2503.19092" and arxiv["archiveprefix"] == "arXiv"
    assert len(by_title) == len(ids)
    assert [r["id"] for r in rispy.loads(files["ris"])] == ids
    rows = list(csv.DictReader(io.StringIO(files["csv"])))
    assert [r["id"] for r in rows] == ids
    hostile = next(r for r in rows if r["id"] == "evil,key {1}")
    assert hostile["title"].startswith("'=HYPERLINK")  # a spreadsheet shows it, and runs nothing
    assert all(not r["score"].startswith("'") and float(r["score"]) == float(r["score"]) for r in rows)
    assert [json.loads(line)["id"] for line in files["jsonl"].splitlines()] == ids


def test_the_cli_exports_the_same_papers(bundled_index):
    args = ("search", "papers on LLM judges", "--index", str(bundled_index), "-k", "4")
    ids = [hit["id"] for hit in json.loads(run_cli(*args, "--json", check=True).stdout)["results"]]
    bib = run_cli(*args, "--format", "bibtex", check=True).stdout
    assert [e.key for e in bibtexparser.parse_string(bib).entries] == ids
    assert [r["id"] for r in rispy.loads(run_cli(*args, "--format", "ris", check=True).stdout)] == ids
    bad = run_cli(*args, "--format", "xml")
    assert bad.returncode == 1 and "valid formats: table, json, jsonl, csv, bibtex, ris" in bad.stderr
