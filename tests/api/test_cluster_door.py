"""The app in front of a cluster (api/cluster_engine.py, as Ray Serve's router runs it, here over shards in
this process): the same answers and errors as over one index, hostile ids included, and writes refused."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.cluster_engine import ClusterEngine
from abstract_search.api.settings import Settings
from abstract_search.api.engine import Engine
from abstract_search.index.cluster import ClusterManifest
from abstract_search.search.gather import LocalShards
from abstract_search.search.searcher import UnknownPaperError
from abstract_search.search.shard_query import ShardQuery
from tests.api.conftest import LOCAL
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def doors(bundled_index, tmp_path_factory):
    """(cluster client, one-index client): the bundled index split in 2, and the index itself."""
    cluster = tmp_path_factory.mktemp("door") / "cluster"
    run_cli("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(cluster), check=True)
    shards = LocalShards([ShardQuery(Engine(Settings(index=folder, read_only=True)).searcher)
                          for folder in ClusterManifest.load(cluster).shard_dirs(cluster)])
    settings = Settings(index=cluster)
    with TestClient(create_app(settings, engine=ClusterEngine(shards, settings, cluster)), base_url=LOCAL) as many, \
            TestClient(create_app(Settings(index=bundled_index, read_only=True)), base_url=LOCAL) as one:
        yield many, one


def post_json(client, path: str, body: dict):
    """POST a body as JSON text with \\u escapes, as a hostile client sends lone surrogates."""
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def test_hostile_ids_get_the_answers_one_index_gives(doors):
    many, one = doors
    for body in ({"ids": ["\ud800"]}, {"ids": ["x"], "not_ids": ["\udfff"]}, {"ids": ["nope"]}):
        got, expected = post_json(many, "/similar", body), post_json(one, "/similar", body)
        assert got.status_code == expected.status_code and got.status_code in (404, 422), (body, got.text)
        assert got.json()["detail"] == expected.json()["detail"]
    for path in ("/papers/%ED%A0%80", "/papers/%00", "/papers/..%2F..%2Fetc", "/papers/a%2Fsimilar/similar"):
        got, expected = many.get(path), one.get(path)
        assert got.status_code == expected.status_code and got.status_code < 500, (path, got.text)


def test_an_id_no_paper_can_have_is_unknown_to_the_cluster_engine_itself(doors):
    cluster = doors[0].app.state.engine
    assert isinstance(cluster, ClusterEngine)
    with pytest.raises(UnknownPaperError, match="no paper with id"):
        cluster.similar(["\ud800"])  # SQLite cannot even be asked for it: no shard is
    assert cluster.get("\udfff") is None


def test_a_stored_paper_and_its_related_work_read_as_from_one_index(doors):
    many, one = doors
    first = one.get("/search", params={"q": "papers on LLM judges"}).json()["results"][0]["id"]
    assert many.get(f"/papers/{first}").json() == one.get(f"/papers/{first}").json()
    related = [[hit["id"] for hit in client.get(f"/papers/{first}/similar").json()["results"]] for client in doors]
    assert related[0] == related[1] and first not in related[0]


def test_writes_are_refused_naming_the_command(doors):
    many, _ = doors
    answer = many.post("/papers", json={"papers": [{"id": "w", "abstract": "A paper."}]})
    assert answer.status_code == 403 and "abstracts add" in answer.json()["detail"]
