"""A real `abstracts serve` process on a loopback port: round trip, and searches during writes."""

from __future__ import annotations

import threading

import httpx

from tests.api.conftest import TOKEN, start_server, stop_server


def test_real_server_answers_search_and_the_page(live_server):
    response = httpx.get(f"{live_server}/search", params={"q": "papers on LLM judges", "k": 5}, timeout=30)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 5
    page = httpx.get(f"{live_server}/", timeout=30)
    assert page.status_code == 200 and "<form" in page.text


def test_searches_during_adds_and_deletes_never_fail(index_copy):
    proc, base = start_server(index_copy, {"ABSTRACTS_API_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    errors: list[str] = []
    searches = 0
    done = threading.Event()
    acknowledged: list[str] = []

    def search_loop() -> None:
        nonlocal searches
        with httpx.Client(base_url=base, timeout=60) as http:
            while not done.is_set():
                response = http.get("/search", params={"q": "concurrent study of retrieval", "k": 20})
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    continue
                for hit in response.json()["results"]:
                    if hit["id"].startswith("c-") and not hit["title"]:
                        errors.append(f"half-written paper {hit['id']}")
                searches += 1

    def write_loop() -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            for batch in range(8):
                papers = [
                    {"id": f"c-{batch}-{i}", "title": f"Concurrent study {batch}-{i}",
                     "abstract": f"A concurrent study of retrieval number {batch} {i} under load."}
                    for i in range(5)
                ]
                response = http.post("/papers", json={"papers": papers}, headers=auth)
                if response.status_code != 200:
                    errors.append(f"write {response.status_code} {response.text[:200]}")
                    continue
                acknowledged.extend(p["id"] for p in papers)
                if batch % 2:
                    victim = f"c-{batch}-0"
                    if http.delete(f"/papers/{victim}", headers=auth).status_code == 200:
                        acknowledged.remove(victim)
        done.set()

    try:
        readers = [threading.Thread(target=search_loop) for _ in range(4)]
        writer = threading.Thread(target=write_loop)
        for thread in readers + [writer]:
            thread.start()
        writer.join(timeout=600)
        done.set()
        for thread in readers:
            thread.join(timeout=60)
        assert errors == []
        assert searches > 0
        with httpx.Client(base_url=base, timeout=60) as http:
            assert http.get("/stats").json()["count"] == 50 + len(acknowledged)
            for paper_id in acknowledged:
                assert http.get(f"/papers/{paper_id}").status_code == 200
            found = http.get("/search", params={"q": "concurrent study of retrieval under load", "k": 100}).json()
            assert set(acknowledged) <= {hit["id"] for hit in found["results"]}
    finally:
        stop_server(proc)


def test_two_workers_share_the_index_and_see_each_others_writes(index_copy):
    proc, base = start_server(index_copy, {"ABSTRACTS_API_TOKEN": TOKEN}, args=("--workers", "2"))
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            paper = {"id": "w-1", "title": "Worker visibility", "abstract": "A paper about octopus camouflage in coral reefs."}
            response = http.post("/papers", json={"papers": [paper]}, headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 200
            # New connections land on either worker; every one must find the acknowledged paper.
            for _ in range(12):
                with httpx.Client(base_url=base, timeout=60) as fresh:
                    hits = fresh.get("/search", params={"q": "octopus camouflage", "k": 1}).json()["results"]
                    assert hits[0]["id"] == "w-1"
    finally:
        stop_server(proc)
