"""Every FAISS index type: build from stored embeddings, search, delete, filter, memory-map, reindex."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstract_search.index.vector_index import INDEX_TYPES, create_vector_index, default_index_type, read_vector_index
from tests.conftest import cli_json, run_cli

ALL_TYPES = sorted(INDEX_TYPES)


@pytest.fixture(scope="module")
def clustered() -> tuple[np.ndarray, np.ndarray]:
    """3,000 unit vectors in 30 clusters, with ids that are not positions."""
    rng = np.random.default_rng(7)
    centers = rng.normal(size=(30, 64))
    vectors = centers[rng.integers(0, 30, 3000)] + 0.3 * rng.normal(size=(3000, 64))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return np.arange(1000, 4000, dtype=np.int64), vectors


def exact_top(vectors, ids, query, k, allowed=None):
    """Return the exact top-k ids by inner product."""
    keep = np.ones(len(ids), bool) if allowed is None else np.isin(ids, allowed)
    scores = vectors[keep] @ query
    return ids[keep][np.argsort(-scores)[:k]]


@pytest.mark.parametrize("index_type", ALL_TYPES)
def test_search_finds_neighbours_and_honours_deletes_and_filters(index_type, clustered, tmp_path):
    ids, vectors = clustered
    index = create_vector_index(index_type, 64, len(ids))
    index.add(ids, vectors)
    queries = vectors[:20]
    _, found = index.search(queries, 10)
    recall = np.mean([len(set(found[i]) & set(exact_top(vectors, ids, q, 10))) / 10 for i, q in enumerate(queries)])
    assert recall >= 0.8, recall
    assert found[0][0] == ids[0]

    index.remove(ids[:5])
    assert index.count == len(ids) - 5
    _, after = index.search(queries[:5], 10)
    assert not set(after.ravel()) & set(ids[:5].tolist())

    allowed = ids[2000:2007]  # a filter so narrow that approximate search alone would come up short
    _, filtered = index.search(queries[:3], 5, allowed=allowed)
    for row in filtered:
        assert len(row) == 5 and set(row) <= set(allowed.tolist())

    path = tmp_path / "v.faiss"
    index.save(path)
    mapped = read_vector_index(path, mmap=True)
    assert mapped.index_type == index_type and read_vector_index(path).index_type == index_type  # read from the file
    assert list(mapped.search(queries[5:6], 3)[1][0]) == list(index.search(queries[5:6], 3)[1][0])


def test_default_type_follows_corpus_size():
    assert default_index_type(1_000) == "flat"
    assert default_index_type(2_000_000) == "hnsw"


@pytest.mark.parametrize("index_type", ["hnsw", "ivf"])
def test_reindex_changes_type_without_embedding_and_keeps_answers(index_copy, index_type):
    before = cli_json("search", "papers on LLM judges", "--index", str(index_copy), "--k", "5")
    result = run_cli("reindex", "--index", str(index_copy), "--index-type", index_type, check=True)
    assert f"rebuilt {index_type} index of 50 papers" in result.stdout
    manifest = json.loads((index_copy / "manifest.json").read_text())
    assert manifest["index_type"] == index_type and manifest["pinned"] is True
    after = cli_json("search", "papers on LLM judges", "--index", str(index_copy), "--k", "5")
    assert [h["id"] for h in after["results"]] == [h["id"] for h in before["results"]]
    filtered = cli_json("search", "papers on LLM judges", "--index", str(index_copy), "--year-max", "2021", "--k", "3")
    assert len(filtered["results"]) == 3


def test_deletes_on_hnsw_are_masked_then_compacted(index_copy):
    run_cli("reindex", "--index", str(index_copy), "--index-type", "hnsw", check=True)
    top = cli_json("search", "papers on LLM judges", "--index", str(index_copy), "--k", "1")["results"][0]["id"]
    run_cli("delete", top, "--index", str(index_copy), check=True)
    after = cli_json("search", "papers on LLM judges", "--index", str(index_copy), "--k", "49")
    assert top not in [h["id"] for h in after["results"]] and len(after["results"]) == 49
    compacted = run_cli("reindex", "--index", str(index_copy), check=True)
    assert "rebuilt hnsw index of 49 papers" in compacted.stdout


def test_unknown_index_type_is_a_clear_error(index_copy):
    result = run_cli("reindex", "--index", str(index_copy), "--index-type", "annoy")
    assert result.returncode == 1 and "unknown index type 'annoy'" in result.stderr
