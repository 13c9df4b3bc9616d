"""Every endpoint of the HTTP API, through FastAPI's TestClient over a real index."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from tests.api.conftest import LOCAL, TOKEN
from tests.conftest import cli_json


def ids(body: dict) -> list[str]:
    """Return the ids of a search response, in rank order."""
    return [hit["id"] for hit in body["results"]]


def test_search_returns_ranked_papers_with_timing(client):
    response = client.get("/search", params={"q": "papers on LLM judges", "k": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "papers on LLM judges" and body["total"] == 50 and body["took_ms"] > 0
    assert "Self-Taught Evaluators" in [h["title"] for h in body["results"]]
    assert set(body["results"][0]) >= {"id", "title", "authors", "year", "categories", "score", "snippet"}


def test_http_and_cli_give_the_same_ranking(client, index_copy):
    http = client.get("/search", params={"q": "dialogue safety against trolls", "k": 10}).json()
    cli = cli_json("search", "dialogue safety against trolls", "--index", str(index_copy), "--k", "10")
    assert ids(http) == ids(cli)
    assert [h["score"] for h in http["results"]] == pytest.approx([h["score"] for h in cli["results"]], abs=1e-5)


def test_paging_by_offset(client):
    full = client.get("/search", params={"q": "preference optimization", "k": 10}).json()
    page = client.get("/search", params={"q": "preference optimization", "k": 3, "offset": 4}).json()
    assert ids(page) == ids(full)[4:7]
    assert page["offset"] == 4


def test_batch_search_matches_single_searches(client):
    queries = ["papers on LLM judges", "byte-level language models", "dialogue safety"]
    batch = client.post("/search", json={"queries": queries, "k": 5}).json()
    assert batch["count"] == 3
    for query, answer in zip(queries, batch["data"]):
        single = client.get("/search", params={"q": query, "k": 5}).json()
        assert answer["query"] == query and ids(answer) == ids(single)


def test_filters_over_http(client):
    body = client.get("/search", params={"q": "LLM judges", "k": 3, "year_max": 2019}).json()
    assert len(body["results"]) == 3 and all(h["year"] <= 2019 for h in body["results"])
    body = client.get("/search", params={"q": "LLM judges", "k": 100, "author": "jason weston"}).json()
    assert len(body["results"]) == 50


def test_paper_record_and_its_similar_papers(client):
    first = client.get("/search", params={"q": "ParlAI dialog research platform", "k": 1}).json()["results"][0]
    paper = client.get(f"/papers/{first['id']}").json()
    assert paper["title"] == first["title"] and paper["abstract"] and "Jason Weston" in paper["authors"]
    related = client.get(f"/papers/{first['id']}/similar", params={"k": 5}).json()
    assert first["id"] not in ids(related) and len(related["results"]) == 5


def test_similar_papers_in_each_mode(client):
    paper_id = client.get("/search", params={"q": "Self-Taught Evaluators", "k": 1}).json()["results"][0]["id"]
    for mode in ("dense", "lexical", "hybrid"):
        related = client.get(f"/papers/{paper_id}/similar", params={"k": 5, "mode": mode}).json()
        titles = [h["title"] for h in related["results"]]
        assert paper_id not in ids(related) and len(titles) == 5, mode
        assert any("Judge" in t or "Reward" in t for t in titles), (mode, titles)
    response = client.get(f"/papers/{paper_id}/similar", params={"mode": "hybrid+rerank"})
    assert response.status_code == 422 and "reranker" in response.json()["detail"]
    assert client.get(f"/papers/{paper_id}/similar", params={"mode": "fuzzy"}).status_code == 422


def test_similar_to_pasted_text(client):
    text = "We train an evaluator model with synthetic preference data and no human labels, iteratively."
    body = client.post("/similar", json={"text": text, "k": 3}).json()
    assert "Self-Taught Evaluators" in [h["title"] for h in body["results"]]


def test_unknown_ids_are_404(client, auth):
    assert client.get("/papers/no-such-id").status_code == 404
    assert client.get("/papers/no-such-id/similar").status_code == 404
    response = client.delete("/papers/no-such-id", headers=auth)
    assert response.status_code == 404 and "no-such-id" in response.json()["detail"]


def test_add_batch_reports_each_item_and_is_durable(client, auth, index_copy):
    existing = client.get("/search", params={"q": "ParlAI", "k": 1}).json()["results"][0]["id"]
    record = client.get(f"/papers/{existing}").json()
    papers = [
        {"id": "h-1", "title": "Judging LLM judges", "abstract": "We measure position bias in LLM-as-a-judge evaluators."},
        {"id": "h-2", "title": "Sparse retrieval", "abstract": "A study of learned sparse retrieval for scientific claims."},
        {"id": "h-3", "title": "No abstract"},
        {"id": "h-4", "title": 12, "abstract": "wrong type of title"},
        "not an object",
        {**record, "title": record["title"] + " (v2)"},
        {**record},
    ]
    response = client.post("/papers", json={"papers": papers[:-1]}, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [item["status"] for item in body["data"]]
    assert statuses == ["added", "added", "rejected", "rejected", "rejected", "updated"]
    assert "abstract" in body["data"][2]["reason"] and "title" in body["data"][3]["reason"]
    assert body["added"] == 2 and body["rejected"] == 3 and body["updated"] == 1
    again = client.post("/papers", json={"papers": [papers[0]]}, headers=auth).json()
    assert again["data"][0]["status"] == "unchanged"
    hits = client.get("/search", params={"q": "position bias of LLM-as-a-judge", "k": 1}).json()
    assert ids(hits) == ["h-1"]
    # A new app over the same directory (a restart) still has every acknowledged paper.
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as restarted:
        assert restarted.get("/papers/h-2").status_code == 200
        assert restarted.get("/papers/" + existing).json()["title"].endswith("(v2)")
        assert restarted.get("/stats").json()["count"] == 52


def test_add_from_uploaded_jsonl_and_csv(client, auth):
    jsonl = "\n".join([
        json.dumps({"id": "u-1", "title": "Uploaded one", "abstract": "Graph neural networks for molecules."}),
        "{not json",
        json.dumps({"id": "u-2", "title": "Uploaded two", "abstract": "Diffusion models for protein design."}),
    ])
    response = client.post("/papers", files={"file": ("new.jsonl", jsonl, "application/json")}, headers=auth)
    body = response.json()
    assert response.status_code == 200 and body["added"] == 2 and body["rejected"] == 1
    rejected = [i for i in body["data"] if i["status"] == "rejected"][0]
    assert rejected["index"] == 2 and "JSON" in rejected["reason"]
    csv_text = "id,title,abstract,year\nc-1,From CSV,Quantum error correction with surface codes.,2024\n"
    body = client.post("/papers", files={"file": ("more.csv", csv_text, "text/csv")}, headers=auth).json()
    assert body["added"] == 1
    assert client.get("/papers/c-1").json()["year"] == 2024


def test_delete_removes_from_search(client, auth):
    top = client.get("/search", params={"q": "papers on LLM judges", "k": 1}).json()["results"][0]["id"]
    assert client.delete(f"/papers/{top}", headers=auth).json() == {"id": top, "deleted": True}
    assert client.get(f"/papers/{top}").status_code == 404
    assert top not in ids(client.get("/search", params={"q": "papers on LLM judges", "k": 50}).json())


def test_embed_returns_the_index_models_unit_vectors(client):
    first = client.get("/search", params={"q": "ParlAI", "k": 1}).json()["results"][0]["id"]
    paper = client.get(f"/papers/{first}").json()
    body = client.post("/embed", json={"texts": [f"{paper['title']}. {paper['abstract']}", "another text"]}).json()
    assert body["count"] == 2 and body["dimension"] == 384
    assert body["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    vectors = np.array(body["data"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    same = client.post("/similar", json={"text": f"{paper['title']}. {paper['abstract']}", "k": 1}).json()
    assert ids(same) == [first]


def test_health_and_stats(client):
    assert client.get("/health").json() == {"status": "ok", "papers": 50, "read_only": False}
    stats = client.get("/stats").json()
    assert stats["count"] == 50 and stats["dimension"] == 384 and stats["index_type"] == "flat"
    assert stats["model"] == "sentence-transformers/all-MiniLM-L6-v2" and stats["built_at"] and stats["updated_at"]


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    assert {"/search", "/similar", "/papers", "/papers/{paper_id}", "/embed", "/health", "/stats"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "q is empty"),
        ({"q": "   "}, "q is empty"),
        ({"q": "x" * 4097}, "longer than 4096"),
        ({"q": "ok", "k": 0}, "k"),
        ({"q": "ok", "k": 101}, "k"),
        ({"q": "ok", "offset": 100000}, "offset"),
        ({"q": "ok", "k": "ten"}, "k"),
        ({}, "q"),
    ],
)
def test_bad_search_input_is_422_naming_the_problem(client, params, message):
    response = client.get("/search", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/search", {"queries": []}, "queries"),
        ("/search", {"queries": ["ok", "  "]}, "queries[1] is empty"),
        ("/search", {"queries": "not a list"}, "queries"),
        ("/similar", {"text": ""}, "text"),
        ("/similar", {"k": 3}, "text"),
        ("/embed", {"texts": [""]}, "texts[0] is empty"),
        ("/embed", {"texts": [3]}, "texts"),
        ("/papers", {"papers": []}, "papers"),
        ("/papers", {"nothing": 1}, "papers"),
    ],
)
def test_malformed_bodies_are_422_naming_the_field(client, auth, path, body, message):
    response = client.post(path, json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_invalid_json_body_is_422(client, auth):
    response = client.post("/papers", content=b"{nope", headers={**auth, "content-type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["detail"]


def test_body_over_the_limit_is_413(index_copy):
    """FastAPI's max_body_size: a body declared too large is refused before it is read (FastAPI answers that
    one in plain text); one streamed without a length is cut off at the limit, and the answer names it."""
    app = create_app(Settings(index=index_copy, max_body_bytes=2000))
    body = json.dumps({"text": "x" * 5000}).encode()
    with TestClient(app, base_url=LOCAL) as small:
        declared = small.post("/similar", content=body, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413 and "Too Large" in declared.text
        streamed = small.post("/similar", content=iter([body[:1500], body[1500:]]),
                              headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert "2000 bytes" in streamed.json()["detail"] and "ABSTRACTS_MAX_BODY_BYTES" in streamed.json()["detail"]
        assert small.post("/similar", json={"text": "a short abstract"}).status_code == 200


def test_writes_need_the_token(client):
    paper = {"papers": [{"id": "t-1", "title": "T", "abstract": "Token test abstract."}]}
    assert client.post("/papers", json=paper).status_code == 401
    assert client.post("/papers", json=paper, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.delete("/papers/t-1").status_code == 401
    assert client.post("/papers", json=paper, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/search", params={"q": "token test"}).status_code == 200  # reads need no token


def test_a_connection_from_another_machine_without_token_is_read_only(index_copy):
    """Decided per connection, from the address it arrived on (TestClient's base URL is that address)."""
    app = create_app(Settings(index=index_copy, host="0.0.0.0"))
    paper = {"papers": [{"id": "r", "title": "R", "abstract": "Read-only test."}]}
    with TestClient(app, base_url="http://192.0.2.10") as public:
        assert public.get("/health").json()["read_only"] is True
        response = public.post("/papers", json=paper)
        assert response.status_code == 403 and "read-only" in response.json()["detail"]
        assert public.get("/search", params={"q": "LLM judges"}).status_code == 200
    with TestClient(app, base_url=LOCAL) as local:
        assert local.get("/health").json()["read_only"] is False
        assert local.post("/papers", json=paper).status_code == 200


def test_no_cors_unless_configured(client, index_copy):
    response = client.get("/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    app = create_app(Settings(index=index_copy, cors_origins=["http://lab.example"]))
    with TestClient(app, base_url=LOCAL) as allowed:
        response = allowed.get("/health", headers={"Origin": "http://lab.example"})
        assert response.headers["access-control-allow-origin"] == "http://lab.example"


def test_the_openapi_document_has_no_dangling_reference(client):
    """Every $ref in /openapi.json names a schema the document defines."""
    import json
    import re

    document = client.get("/openapi.json").json()
    defined = set(document["components"]["schemas"])
    referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert referenced <= defined, f"dangling: {sorted(referenced - defined)}"
    body = document["paths"]["/papers"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "papers" in body["properties"]
