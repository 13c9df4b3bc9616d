"""A cluster served on a local Ray instance (Ray Serve, `ray.init(num_cpus=2)`) answers over HTTP as one index
does, survives a shard replica's death with right answers or a clear 503, and sees adds and deletes."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import httpx
import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from tests.api.conftest import free_port
from tests.conftest import ROOT, run_cli
from tests.search.test_gather import queries, same_ranking

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'abstract-search[ray]'")
pytest.importorskip("ray.serve", reason="Ray Serve is an optional extra: pip install 'abstract-search[ray]'")

MODES = ("dense", "lexical", "hybrid")


@pytest.fixture(scope="module")
def served(bundled_index, tmp_path_factory):
    """The bundled index split into 2 shards, served on Ray Serve with 2 replicas a shard; yields (url, cluster)."""
    from ray import serve

    from abstract_search.api.ray_serve import serve_cluster

    cluster = tmp_path_factory.mktemp("ray-cluster") / "cluster"
    run_cli("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(cluster), check=True)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}})
    try:
        url = serve_cluster(cluster, Settings(port=free_port()), "local", replicas=2, block=False)
        yield url, cluster
    finally:
        serve.shutdown()
        ray.shutdown()


def ranking(response: httpx.Response) -> list[tuple[float, str]]:
    """Return an answer's (score, id) pairs."""
    return [(hit["score"], hit["id"]) for hit in response.json()["results"]]


def test_http_over_two_shards_ranks_200_queries_as_one_index_in_every_mode(bundled_index, served):
    url, _ = served
    engine = Engine(Settings(index=bundled_index, read_only=True))
    problems = []
    with httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/stats").json()["shards"] == 2 and client.get("/").status_code == 200
        for text in queries(engine):
            for mode in MODES:
                got = client.get("/search", params={"q": text, "k": 10, "mode": mode})
                one = engine.search(text, 10, mode=mode)
                difference = same_ranking([(round(h.score, 6), h.paper.id) for h in one], ranking(got))
                if got.status_code != 200 or got.json()["total"] != one.total or difference:
                    problems.append((mode, text, got.status_code, difference))
    assert not problems, problems[:3]


def test_a_killed_shard_replica_gives_right_answers_or_a_clear_503(bundled_index, served):
    url, _ = served
    engine = Engine(Settings(index=bundled_index, read_only=True))
    asked = queries(engine)[:20]
    expected = {text: [(round(h.score, 6), h.paper.id) for h in engine.search(text, 10)] for text in asked}
    outcomes: list[tuple[str, int, str | None]] = []
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                for text in asked:
                    got = client.get("/search", params={"q": text, "k": 10})
                    wrong = same_ranking(expected[text], ranking(got)) if got.status_code == 200 else None
                    outcomes.append((text, got.status_code, wrong or (None if got.status_code in (200, 503)
                                                                      else got.text)))

    worker = threading.Thread(target=stream)
    worker.start()
    time.sleep(2)
    from ray import serve

    shard = serve.get_deployment_handle("shard-000", app_name="abstracts")
    victim = shard.call.remote("pid").result()
    os.kill(victim, signal.SIGKILL)  # one replica of shard 0 dies mid-stream; Ray starts another
    time.sleep(8)
    stop.set()
    worker.join(timeout=120)
    wrong = [o for o in outcomes if o[2]]
    assert outcomes and not wrong, wrong[:3]
    assert sum(1 for o in outcomes if o[1] == 200) > len(outcomes) // 2
    deadline = time.time() + 90  # Serve replaces the dead replica: shard 0 runs two again, none of them it
    while time.time() < deadline:
        states = serve.status().applications["abstracts"].deployments["shard-000"].replica_states
        if states.get("RUNNING") == 2:
            break
        time.sleep(1)
    assert states.get("RUNNING") == 2, states
    assert victim not in {shard.call.remote("pid").result() for _ in range(8)}


def test_adds_and_deletes_through_the_cluster_reach_the_served_shards(served, tmp_path):
    url, cluster = served
    record = {"id": "ray-glacier", "title": "Glacier flow", "abstract": "Glacier flow rates measured from satellite radar."}
    source = tmp_path / "new.jsonl"
    source.write_text(json.dumps(record) + "\n")
    run_cli("add", str(source), "--index", str(cluster), check=True)
    with httpx.Client(base_url=url, timeout=60) as client:
        hits = client.get("/search", params={"q": "glacier flow from satellite radar", "k": 3}).json()["results"]
        assert hits[0]["id"] == "ray-glacier"
        refused = client.post("/papers", json={"papers": [record]})
        assert refused.status_code == 403 and "abstracts add" in refused.json()["detail"]
        run_cli("delete", "ray-glacier", "--index", str(cluster), check=True)
        hits = client.get("/search", params={"q": "glacier flow from satellite radar", "k": 3}).json()["results"]
        assert "ray-glacier" not in {hit["id"] for hit in hits}
