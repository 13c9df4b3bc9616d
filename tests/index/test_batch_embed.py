"""Batch embedding into shards, in-process and on a local Ray instance, and indexing from the shards."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstract_search.data.paper import Paper
from abstract_search.index.batch_embed import embed_corpus
from abstract_search.index.embedder import Embedder
from abstract_search.index.passages import SCHEME, Passages
from abstract_search.index.shards import read_shards
from abstract_search.index.store import Store
from tests.conftest import ROOT, cli_json, run_cli


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Thirty papers of the bundled corpus as a JSONL file."""
    from abstract_search.data.corpus import bundled_corpus_path, read_corpus

    papers = [r for r in read_corpus(bundled_corpus_path()) if isinstance(r, Paper)][:30]
    path = tmp_path_factory.mktemp("corpus") / "papers.jsonl"
    path.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in papers), encoding="utf-8")
    return path


def shard_vectors(folder) -> dict[str, np.ndarray]:
    """Return every paper's vector from a shards folder."""
    return {p.id: v for papers, vectors, _ in read_shards(folder) for p, v in zip(papers, vectors)}


def shard_passages(folder) -> dict[str, Passages]:
    """Return every paper's passage vectors from a shards folder."""
    return {p.id: Passages.from_bytes(blob, 384) for papers, _, blobs in read_shards(folder)
            for p, blob in zip(papers, blobs)}


def stored_passages(index) -> dict[str, Passages]:
    """Return every paper's stored passage vectors in an index."""
    store = Store(index, readonly=True)
    try:
        nums = {p.id: store.num_of(p.id) for p in store.iter_papers()}
        blobs = store.passages_of(list(nums.values()))
        assert store.passage_scheme() == SCHEME and len(blobs) == len(nums)
        return {pid: Passages.from_bytes(blobs[num], 384) for pid, num in nums.items()}
    finally:
        store.close()


def assert_same_passages(a: dict[str, Passages], b: dict[str, Passages]) -> None:
    """Check two sets of passage vectors cover the same papers with the same spans and near-equal vectors."""
    assert set(a) == set(b)
    for pid in a:
        assert np.array_equal(a[pid].spans, b[pid].spans)
        assert float(np.min(np.sum(a[pid].vectors * b[pid].vectors, axis=1))) >= 0.999


def test_embed_is_resumable_and_indexes_without_embedding(corpus, tmp_path):
    out = tmp_path / "shards"
    first = run_cli("embed", str(corpus), "--out", str(out), "--shard-size", "8", check=True)
    assert "30 papers in 4 shards" in first.stdout and "4 embedded now" in first.stdout
    (out / "shard-00002.done").unlink()  # as if the run had died while writing shard 2
    second = run_cli("embed", str(corpus), "--out", str(out), "--shard-size", "8", check=True)
    assert "1 embedded now, 3 already done" in second.stdout

    from_shards = tmp_path / "from-shards"
    built = run_cli("index", "--from-embeddings", str(out), "--index", str(from_shards), check=True)
    assert "30 added" in built.stdout
    direct = tmp_path / "direct"
    run_cli("index", str(corpus), "--index", str(direct), check=True)
    for question in ("papers on LLM judges", "dialogue safety", "preference optimization for reasoning"):
        a = cli_json("search", question, "--index", str(from_shards), "--k", "10")
        b = cli_json("search", question, "--index", str(direct), "--k", "10")
        assert [h["id"] for h in a["results"]] == [h["id"] for h in b["results"]]
    assert_same_passages(stored_passages(from_shards), stored_passages(direct))  # carried, not dropped


def test_ray_data_embedding_matches_the_in_process_path(corpus, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install abstract-search[ray]")
    from abstract_search.data.corpus import read_corpus

    papers = [r for r in read_corpus(corpus) if isinstance(r, Paper)]
    embedder = Embedder()
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    embed_corpus(papers, embedder, local, 8, str(corpus), progress=lambda n: None)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    try:
        written, done = embed_corpus(papers, embedder, on_ray, 8, str(corpus), progress=lambda n: None, use_ray=True)
    finally:
        ray.shutdown()
    assert (written, done) == (4, 0)
    a, b = shard_vectors(local), shard_vectors(on_ray)
    assert set(a) == set(b) == {p.id for p in papers}
    cosines = [float(np.dot(a[pid], b[pid])) for pid in a]
    assert min(cosines) >= 0.9999
    assert_same_passages(shard_passages(local), shard_passages(on_ray))
