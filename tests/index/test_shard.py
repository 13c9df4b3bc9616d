"""Splitting an index into shards: every paper in exactly the shard its id hashes to, with the very embedding
it had, each shard a normal index, and nothing embedded again."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.index.passages import SCHEME
from abstract_search.index.cluster import CLUSTER_FILE, HASH, ClusterManifest, shard_of
from tests.conftest import cli_json, run_cli


def test_shard_splits_by_the_id_hash_and_copies_the_embeddings(bundled_index, tmp_path):
    out = tmp_path / "cluster"
    result = run_cli("shard", "--index", str(bundled_index), "--shards", "3", "--out", str(out), check=True)
    assert f"cluster {out}: 3 shards" in result.stdout
    manifest = json.loads((out / CLUSTER_FILE).read_text())
    assert manifest["shards"] == ["shard-000", "shard-001", "shard-002"] and manifest["hash"] == HASH
    assert manifest["model"] == "sentence-transformers/all-MiniLM-L6-v2" and sum(manifest["counts"]) == 50
    source = Engine(Settings(index=bundled_index, read_only=True))
    try:
        seen = set()
        for number, folder in enumerate(ClusterManifest.load(out).shard_dirs(out)):
            shard = Engine(Settings(index=folder, read_only=True))
            try:
                papers = list(shard.store.iter_papers())
                assert len(papers) == manifest["counts"][number] > 0
                for paper in papers:
                    assert shard_of(paper.id, 3) == number and paper.id not in seen
                    assert paper == source.get(paper.id)
                    assert np.array_equal(shard.store.embedding_of(paper.id), source.store.embedding_of(paper.id))
                    here, there = shard.store.num_of(paper.id), source.store.num_of(paper.id)
                    assert shard.store.passages_of([here])[here] == source.store.passages_of([there])[there]
                    seen.add(paper.id)
                assert shard.store.passage_scheme() == SCHEME
            finally:
                shard.close(save=False)
        assert len(seen) == 50
    finally:
        source.close(save=False)
    first = json.loads((out / "shard-000" / "manifest.json").read_text())
    assert first["count"] == manifest["counts"][0]
    hits = cli_json("search", "papers on LLM judges", "--index", str(out / "shard-001"), "-k", "3")["results"]
    assert hits and all(shard_of(hit["id"], 3) == 1 for hit in hits)  # a shard is a normal index


def test_shard_refuses_a_folder_in_use_and_too_few_shards(bundled_index, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("keep me")
    taken = run_cli("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(tmp_path / "used"))
    assert taken.returncode == 1 and "is not empty" in taken.stderr
    one = run_cli("shard", "--index", str(bundled_index), "--shards", "1", "--out", str(tmp_path / "new"))
    assert one.returncode == 2 and not (tmp_path / "new").exists()


@pytest.mark.parametrize("paper_id", ["2503.19092", "a/b", "ünïcode id", "x" * 512])
def test_the_hash_is_stable_and_spreads(paper_id):
    assert shard_of(paper_id, 7) == shard_of(paper_id, 7) and 0 <= shard_of(paper_id, 7) < 7
    counts = np.bincount([shard_of(f"paper-{i}", 4) for i in range(4000)], minlength=4)
    assert counts.min() > 900  # about a quarter each


def test_the_routing_of_known_ids_never_changes():
    """A changed hash would send papers of existing clusters to the wrong shard: pin some answers."""
    assert [shard_of(i, 7) for i in ("2503.19092", "a/b", "ünïcode id")] == [0, 5, 3]


def test_add_and_delete_against_a_cluster_route_each_paper_to_its_shard(bundled_index, tmp_path):
    out = tmp_path / "cluster"
    run_cli("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(out), check=True)
    new = [{"id": f"routed-{i}", "title": f"Routed paper {i} on LLM judges",
            "abstract": f"A study {i} of routing papers on LLM judges to their shard."} for i in range(6)]
    source = tmp_path / "new.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in new), encoding="utf-8")
    added = run_cli("add", str(source), "--index", str(out), check=True)
    assert "6 added, 0 updated, 0 unchanged, 0 skipped" in added.stdout and "56 papers" in added.stdout
    again = run_cli("add", str(source), "--index", str(out), check=True)
    assert "0 added, 0 updated, 6 unchanged" in again.stdout  # found again in the shard it was routed to
    for paper in new:
        shown = run_cli("show", paper["id"], "--index", str(out / f"shard-{shard_of(paper['id'], 2):03d}"))
        assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == paper["id"]
    assert sum(json.loads((out / CLUSTER_FILE).read_text())["counts"]) == 56
    gone = run_cli("delete", "routed-0", "routed-1", "no-such-paper", "--index", str(out))
    assert gone.returncode == 3 and "deleted 2 papers, 1 not found" in gone.stdout
    shard = out / f"shard-{shard_of('routed-0', 2):03d}"
    assert run_cli("show", "routed-0", "--index", str(shard)).returncode == 1
    assert sum(json.loads((out / CLUSTER_FILE).read_text())["counts"]) == 54
    refused = run_cli("search", "LLM judges", "--index", str(out))
    assert refused.returncode == 1 and "is a cluster of shard indexes" in refused.stderr
