"""Embedding throughput of the indexing path against bare SentenceTransformer.encode, plus build and query times.

Run: .venv/bin/python -m bench.embed [--limit N] [--batch-size 64]
Reads ../shared/data/scifact/ (corpus and queries).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import argparse
import json
import tempfile
import time

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.corpus import read_corpus
from abstract_search.data.paper import Paper
from abstract_search.index.embedder import load_model
from abstract_search.index.ingest import ingest
from abstract_search.index.model_source import pick_device, resolve_model
from abstract_search.index.vectors_sync import rebuild_vectors

from bench.timing import p50_p99, timed_calls

SCIFACT = ROOT.parent / "shared" / "data" / "scifact"


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="embed only the first N abstracts (0: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    if not (SCIFACT / "corpus.jsonl").exists():
        sys.exit(f"{SCIFACT}/corpus.jsonl not found: the shared SciFact data is needed for this benchmark")

    papers = [r for r in read_corpus(SCIFACT / "corpus.jsonl", "beir") if isinstance(r, Paper)]
    if args.limit:
        papers = papers[: args.limit]
    texts = [p.text() for p in papers]
    source = resolve_model(None)
    device = pick_device(None)
    model = load_model(source.load_from, device)
    model.encode(texts[:64], batch_size=args.batch_size)  # warm up

    start = time.perf_counter()
    model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True, show_progress_bar=False)
    bare = time.perf_counter() - start

    def index_with(backend: str, tmp: str) -> tuple[float, Engine]:
        """Time the whole indexing path (read, hash, embed, SQLite commit, FAISS, save) with one backend."""
        settings = Settings(index=Path(tmp) / backend, batch_size=args.batch_size, backend=backend)
        engine = Engine(settings, create=True)
        engine.embedder.encode(texts[:64])  # warm up, as the bare run was
        start = time.perf_counter()
        ingest(iter(papers), engine.add, chunk_size=settings.commit_every)
        engine.save()
        return time.perf_counter() - start, engine

    with tempfile.TemporaryDirectory() as tmp:
        pipeline, engine = index_with("torch", tmp)
        onnx_fp32, default_engine = index_with("onnx", tmp)
        onnx_int8, _ = index_with("onnx-int8", tmp)

        start = time.perf_counter()
        rebuild_vectors(engine.store, "flat")
        faiss_build = time.perf_counter() - start

        queries = [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").open()][: args.queries]
        latencies = timed_calls(lambda q: default_engine.search(q, k=10), queries)
        engine.close()

    n = len(texts)
    print(f"corpus: SciFact, {n} abstracts, model {source.name}, device {device}, batch size {args.batch_size}")
    print(f"{'':<34}{'seconds':>10}{'texts/s':>10}")
    print(f"{'bare SentenceTransformer.encode':<34}{bare:>10.1f}{n / bare:>10.1f}")
    print(f"{'abstracts indexing path, torch':<34}{pipeline:>10.1f}{n / pipeline:>10.1f}")
    print(f"pipeline cost over bare encoding (same model, backend, batch size): {100 * (pipeline / bare - 1):+.1f}% "
          "(target <= +5%)")
    print(f"{'abstracts indexing path, ONNX fp32':<34}{onnx_fp32:>10.1f}{n / onnx_fp32:>10.1f}   {bare / onnx_fp32:.2f}x bare torch")
    print(f"{'abstracts indexing path, ONNX int8':<34}{onnx_int8:>10.1f}{n / onnx_int8:>10.1f}   {bare / onnx_int8:.2f}x bare torch")
    print(f"FAISS flat build from stored embeddings: {faiss_build * 1000:.0f} ms")
    print(f"in-process query latency over {len(latencies)} SciFact claims (k=10, embedding included): "
          f"p50 / p99 {p50_p99(latencies)} ms with the default CPU backend, {default_engine.embedder.backend}")


if __name__ == "__main__":
    main()
