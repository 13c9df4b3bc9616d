"""The embedding backends: ONNX runs the same model as torch, and int8 stays close to it."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.data.corpus import bundled_corpus_path, read_corpus
from abstract_search.data.paper import Paper
from abstract_search.index.embedder import Embedder


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Twelve real abstracts from the bundled corpus."""
    papers = [r for r in read_corpus(bundled_corpus_path()) if isinstance(r, Paper)]
    return [p.text() for p in papers[:12]]


@pytest.fixture(scope="module")
def torch_vectors(texts) -> np.ndarray:
    """Reference vectors from the torch sentence-transformers model."""
    return Embedder(backend="torch").encode(texts)


def test_default_cpu_backend_is_onnx_and_matches_torch(texts, torch_vectors):
    embedder = Embedder()
    assert embedder.backend == "onnx"
    vectors = embedder.encode(texts)
    assert vectors.shape == (12, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float((vectors * torch_vectors).sum(axis=1).min()) > 0.9999


def test_onnx_ranks_like_torch(texts, torch_vectors):
    queries = ["papers on LLM judges", "dialogue safety", "learning from human feedback after deployment"]
    onnx, torch = Embedder(backend="onnx", query_backend="onnx"), Embedder(backend="torch")
    for query in queries:
        by_onnx = np.argsort(-(torch_vectors @ onnx.encode_query(query)[0]))
        by_torch = np.argsort(-(torch_vectors @ torch.encode_query(query)[0]))
        assert list(by_onnx) == list(by_torch)


def test_int8_export_stays_close_to_fp32(texts, torch_vectors):
    vectors = Embedder(backend="onnx-int8").encode(texts)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.mean() > 0.98 and cosine.min() > 0.95


def test_input_order_is_kept_when_batches_are_sorted_by_length(texts):
    embedder = Embedder(backend="onnx")
    forward = embedder.encode(texts, batch_size=4)
    backward = embedder.encode(texts[::-1], batch_size=5)[::-1]
    assert np.allclose(forward, backward, atol=1e-5)


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        Embedder(backend="tpu")


def test_concurrent_first_calls_load_the_model_once():
    # A fresh server takes many requests at once; each loading its own session cost 1.5 GB.
    from concurrent.futures import ThreadPoolExecutor

    from abstract_search.index.embedder import load_onnx

    load_onnx.cache_clear()
    embedder = Embedder(backend="onnx-int8")
    with ThreadPoolExecutor(8) as pool:
        vectors = list(pool.map(embedder.encode_query, [f"query {i}" for i in range(8)]))
    assert load_onnx.cache_info().misses == 1
    assert all(v.shape == (1, 384) for v in vectors)


def test_queries_run_on_int8_while_papers_stay_fp32_by_default_on_cpu(texts):
    fp32, int8 = Embedder(backend="onnx", query_backend="onnx"), Embedder(backend="onnx-int8")
    mixed = Embedder()
    assert mixed.backend == "onnx" and mixed.queries.backend == "onnx-int8"
    assert np.array_equal(mixed.encode(texts), fp32.encode(texts))  # papers: the fp32 model
    query = "papers on LLM judges"
    assert np.array_equal(mixed.encode_query(query), int8.encode_query(query))
    batch = [query, "dialogue safety in open-domain chatbots"]
    # int8 scales activations per batch: each query of a batch is embedded as it would be alone
    assert np.array_equal(mixed.encode_queries(batch), np.vstack([int8.encode_query(q) for q in batch]))
    assert not np.array_equal(mixed.encode_query(query), fp32.encode_query(query))
    assert fp32.queries is fp32  # the same backend: no second model
    torch = Embedder(backend="torch")
    assert torch.queries is torch  # only fp32 ONNX papers get int8 queries unasked
