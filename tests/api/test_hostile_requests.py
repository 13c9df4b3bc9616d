"""Hostile requests at the HTTP door: each is answered with a clear 4xx naming the problem, never a 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from tests.api.conftest import LOCAL


def test_one_request_cannot_ask_for_minutes_of_work(client):
    too_many = client.post("/search", json={"queries": ["judges"] * 101, "k": 10})
    assert too_many.status_code == 413 and "ABSTRACTS_MAX_QUERIES" in too_many.json()["detail"]
    too_long = client.post("/search", json={"queries": ["x" * 4000] * 60, "k": 1})
    assert too_long.status_code == 413 and "ABSTRACTS_MAX_REQUEST_CHARS" in too_long.json()["detail"]
    too_deep = client.post("/search", json={"queries": ["judges"] * 30, "k": 100})
    assert too_deep.status_code == 413 and "ABSTRACTS_MAX_RESULTS" in too_deep.json()["detail"]
    embed = client.post("/embed", json={"texts": ["x" * 90_000] * 3})
    assert embed.status_code == 413 and "ABSTRACTS_MAX_REQUEST_CHARS" in embed.json()["detail"]
    assert client.post("/search", json={"queries": ["judges"] * 20, "k": 100}).status_code == 200


def test_the_work_limits_are_settings(index_copy):
    app = create_app(Settings(index=index_copy, max_queries=2))
    with TestClient(app, base_url=LOCAL) as small:
        assert small.post("/search", json={"queries": ["a", "b", "c"]}).status_code == 413
        assert small.post("/search", json={"queries": ["a", "b"]}).status_code == 200


def post_json(client, path: str, body: dict, headers: dict | None = None):
    """POST a body as JSON text with \\u escapes, as a hostile client sends lone surrogates."""
    return client.post(path, content=json.dumps(body), headers={**(headers or {}), "Content-Type": "application/json"})


@pytest.mark.parametrize("path, body", [
    ("/search", {"queries": ["\ud800"]}),
    ("/search", {"queries": ["judges"], "mode": "lexical", "author": "\udfff"}),
    ("/search", {"queries": ["\ud800 judges"], "mode": "lexical"}),
    ("/similar", {"text": "a judge \ud800"}),
    ("/embed", {"texts": ["\ud83d"]}),
])
def test_lone_surrogates_are_refused_at_the_door(client, path, body):
    answer = post_json(client, path, body)
    assert answer.status_code == 422, answer.text
    assert "surrogate" in answer.json()["detail"] or "unicode" in answer.json()["detail"]


def test_a_lone_surrogate_in_a_paper_rejects_that_paper_only(client, auth):
    answer = post_json(client, "/papers", {"papers": [
        {"id": "s-1", "title": "Bad \ud800", "abstract": "Text."}, {"id": "s-2", "abstract": "Good text."}]}, auth)
    assert answer.status_code == 200
    statuses = [(item["id"], item["status"]) for item in answer.json()["data"]]
    assert statuses == [(None, "rejected"), ("s-2", "added")]


def test_deeply_nested_json_is_a_422(client, auth):
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/papers", "/search"):
        answer = client.post(path, headers={**auth, "Content-Type": "application/json"},
                             content='{"papers": ' + deep + "}")
        assert answer.status_code == 422, (path, answer.text[:200])
        assert "nested" in answer.json()["detail"] or "could not be parsed" in answer.json()["detail"]


def test_ids_differing_in_inner_spaces_are_two_papers(client, auth):
    client.post("/papers", headers=auth, json={"papers": [{"id": "p q", "abstract": "First paper on tides."}]})
    answer = client.post("/papers", headers=auth, json={"papers": [{"id": "p  q", "abstract": "Second on bees."}]})
    assert answer.json()["added"] == 1 and answer.json()["updated"] == 0
    assert client.get("/papers/p q").json()["abstract"] == "First paper on tides."
    assert client.get("/papers/p  q").json()["abstract"] == "Second on bees."


def test_a_duplicate_id_within_one_batch_is_reported(client, auth):
    answer = client.post("/papers", headers=auth, json={"papers": [
        {"id": "d-1", "abstract": "Kept text."}, {"id": "d-1", "abstract": "Dropped text."}]}).json()
    assert [item["status"] for item in answer["data"]] == ["added", "rejected"]
    assert "duplicate id 'd-1'" in answer["data"][1]["reason"] and "papers[0]" in answer["data"][1]["reason"]
    assert client.get("/papers/d-1").json()["abstract"] == "Kept text."


def test_every_id_is_addressable_even_one_ending_in_similar(client, auth):
    for pid in ("a/similar", "hep-th/9901001", "x%y"):
        assert client.post("/papers", headers=auth, json={"papers": [{"id": pid, "abstract": f"Paper {pid}."}]}).status_code == 200
    assert client.get("/papers/a%2Fsimilar").json()["id"] == "a/similar"
    assert client.get("/papers/a%2Fsimilar/similar").status_code == 200
    assert client.get("/papers/hep-th/9901001").json()["id"] == "hep-th/9901001"
    assert client.get("/papers/hep-th%2F9901001").json()["id"] == "hep-th/9901001"
    assert client.get("/papers/x%25y").json()["id"] == "x%y"
    assert client.delete("/papers/a%2Fsimilar", headers=auth).status_code == 200
    assert client.get("/papers/a%2Fsimilar").status_code == 404


def test_a_category_filter_is_text_never_a_pattern(client):
    everything = client.get("/search", params={"q": "language models", "category": "%"}).json()
    assert everything["results"] == []
    underscore = client.get("/search", params={"q": "language models", "category": "_L"}).json()
    assert underscore["results"] == []
    assert client.get("/search", params={"q": "language models", "category": "CL"}).json()["results"]


def test_a_request_relayed_by_a_proxy_is_not_local(index_copy):
    """A reverse proxy on this machine connects over loopback for clients anywhere: without a token, no write."""
    app = create_app(Settings(index=index_copy))
    paper = {"papers": [{"id": "px", "abstract": "Through a proxy."}]}
    with TestClient(app, base_url=LOCAL) as local:
        for header in ("X-Forwarded-For", "Forwarded", "Via", "X-Real-IP"):
            answer = local.post("/papers", json=paper, headers={header: "203.0.113.9"})
            assert answer.status_code == 403 and "proxy" in answer.json()["detail"], header
        assert local.post("/papers", json=paper).status_code == 200


def test_ids_of_an_index_built_before_the_id_rules_can_still_be_read_and_deleted(client, auth):
    """An id stored as typed before the rules (not NFC here) is found as typed, and by its NFC form."""
    client.app.state.engine.add([Paper(id="cafe\u0301", title="Old", abstract="An old paper.")])
    assert client.get("/papers/cafe\u0301").status_code == 200
    assert client.delete("/papers/cafe\u0301", headers=auth).status_code == 200
