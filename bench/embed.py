"""Embedding throughput of the indexing path against bare SentenceTransformer.encode, plus build and query times.

Run: .venv/bin/python bench/embed.py [--limit N] [--batch-size 64]
Reads ../shared/data/scifact/ (corpus and queries).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.engine import Engine  # noqa: E402
from api.settings import Settings  # noqa: E402
from data.corpus import read_corpus  # noqa: E402
from data.paper import Paper  # noqa: E402
from index.embedder import load_model  # noqa: E402
from index.ingest import ingest  # noqa: E402
from index.model_source import pick_device, resolve_model  # noqa: E402
from index.vectors_sync import rebuild_vectors  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "data" / "scifact"


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile of a list of numbers."""
    return float(np.percentile(np.array(values), q))


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

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index=Path(tmp) / "index", batch_size=args.batch_size)
        engine = Engine(settings, create=True)
        start = time.perf_counter()
        ingest(iter(papers), engine.add, chunk_size=settings.commit_every, show_progress=False)
        engine.save()
        pipeline = time.perf_counter() - start

        start = time.perf_counter()
        rebuild_vectors(engine.store, "flat")
        faiss_build = time.perf_counter() - start

        queries = [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").open()][: args.queries]
        for query in queries[:10]:
            engine.search(query, k=10)
        latencies = []
        for query in queries:
            start = time.perf_counter()
            engine.search(query, k=10)
            latencies.append((time.perf_counter() - start) * 1000)
        engine.close()

    n = len(texts)
    print(f"corpus: SciFact, {n} abstracts, model {source.name}, device {device}, batch size {args.batch_size}")
    print(f"{'':<34}{'seconds':>10}{'texts/s':>10}")
    print(f"{'bare SentenceTransformer.encode':<34}{bare:>10.1f}{n / bare:>10.1f}")
    print(f"{'abstracts indexing path':<34}{pipeline:>10.1f}{n / pipeline:>10.1f}")
    print(f"pipeline cost over bare encoding: {100 * (pipeline / bare - 1):+.1f}% (target <= +5%)")
    print(f"FAISS flat build from stored embeddings: {faiss_build * 1000:.0f} ms")
    print(f"in-process query latency over {len(latencies)} SciFact claims (k=10, embedding included): "
          f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms")


if __name__ == "__main__":
    main()
