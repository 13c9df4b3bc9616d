"""Scale figures for every FAISS index type on the real arXiv abstracts, and at 1M vectors.

Run: .venv/bin/python -m bench.scale --index DIR [--million] [--queries 200] [--http] [--types hnsw]
         [--query-backend onnx-int8]
DIR is an index of ../shared/data/arxiv/arxiv_abstracts.jsonl.gz built once with
`abstracts index ../shared/data/arxiv/arxiv_abstracts.jsonl.gz --index DIR`; its stored embeddings are reused,
nothing is embedded again. If DIR holds fewer than 124,630 papers (a build still running), the FAISS-only rows
are padded to 124,630 (and to 1M with --million) with vectors derived from the real ones: a real vector plus
Gaussian noise (sigma 0.35 per coordinate-norm), renormalized, so the padded set keeps the real neighbourhood structure.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import argparse
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import time

import faiss
import httpx
import numpy as np
from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.index.embedder import Embedder
from abstract_search.index.postings import POSTINGS_FILE
from abstract_search.index.store import Store
from abstract_search.index.vector_index import (
    INDEX_TYPES,
    VECTORS_FILE,
    create_vector_index,
)

from bench.http import over_http
from bench.timing import p50_p99, timed_calls
from tests.api.conftest import start_server, stop_server

ARXIV = ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_abstracts.jsonl.gz"
FULL = 124_630
MODES = ("dense", "hybrid")  # the search-only target is for dense; hybrid is the default mode


def load_vectors(index_dir: Path) -> np.ndarray:
    """Return every stored embedding of the index."""
    store = Store(index_dir, readonly=True)
    return np.vstack([v for _, v in store.vectors_since(0)])


def pad(real: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Return `size` unit vectors: the real ones, then real ones plus noise, renormalized."""
    if len(real) >= size:
        return real[:size]
    rng = np.random.default_rng(seed)
    extra = real[rng.integers(0, len(real), size - len(real))]
    extra = extra + rng.normal(scale=0.35 / np.sqrt(real.shape[1]), size=extra.shape).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.vstack([real, extra.astype(np.float32)])


def query_texts(count: int) -> list[str]:
    """Return arXiv titles to use as queries (titles, so they are not the indexed title+abstract texts)."""
    titles = []
    with gzip.open(ARXIV, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i % 397 == 5:
                titles.append(json.loads(line)["title"])
                if len(titles) == count:
                    break
    return titles


def faiss_rows(vectors: np.ndarray, queries: np.ndarray, types: list[str], label: str) -> dict[str, float]:
    """Print build time, search-only latency, recall@10 vs exact and bytes/vector per type; return recalls."""
    faiss.omp_set_num_threads(1)  # one query at a time, as a server answers it; no thread fight with the encoder
    ids = np.arange(len(vectors), dtype=np.int64)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    print(f"\n{label}: {len(vectors):,} vectors, {len(queries)} queries, k=10, FAISS search only, 1 thread")
    print(f"{'type':<10}{'build s':>9}{'p50 / p99 ms':>18}{'recall@10':>11}{'bytes/vec':>11}")
    recalls = {}
    for index_type in types:
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        start = time.perf_counter()
        index = create_vector_index(index_type, vectors.shape[1], len(vectors))
        index.train(vectors[:: max(1, len(vectors) // 100_000)])
        index.add(ids, vectors)
        build = time.perf_counter() - start
        faiss.omp_set_num_threads(1)
        latencies, found = [], []
        for q in queries:
            t = time.perf_counter()
            _, row = index.search(q[None, :], 10)
            latencies.append((time.perf_counter() - t) * 1000)
            found.append(row[0])
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
        recalls[index_type] = recall
        size = len(faiss.serialize_index(index.index))
        print(f"{index_type:<10}{build:>9.1f}{p50_p99(latencies):>18}{recall:>11.3f}{size / len(vectors):>11.0f}")
    return recalls


def chosen_query_backend() -> str | None:
    """Return the query backend this run was asked for, if any."""
    return os.environ.get("ABSTRACTS_QUERY_BACKEND")


def server_env() -> dict[str, str]:
    """Return the settings a served index gets from this run (the query backend, when one was chosen)."""
    chosen = chosen_query_backend()
    return {"ABSTRACTS_QUERY_BACKEND": chosen} if chosen else {}


def mapped_kb(pid: int, field: str, file_name: str | None = None) -> int:
    """Return a process's Rss or Pss in kB, over all its memory or over the mappings of one file only."""
    total, inside = 0, file_name is None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and ":" not in head[0]:  # a mapping's header line names its file, if any
            inside = file_name is None or line.endswith("/" + file_name)
        elif inside and line.startswith(field + ":"):
            total += int(head[1])
    return total


def server_tree(proc: subprocess.Popen) -> list[int]:
    """Return the pids serving requests: the workers under uvicorn's supervisor, else the server itself."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [proc.pid, *kids]


def served_memory(index_dir: Path, texts: list[str], workers: int) -> dict[str, float]:
    """Serve the index with N workers, warm each with searches, and return its memory in MB."""
    proc, base = start_server(index_dir, server_env(), args=("--workers", str(workers)))
    try:
        for text in texts[: 20 * workers]:  # requests spread over the workers, so each maps the vectors
            httpx.get(f"{base}/search", params={"q": text, "k": 10}, timeout=60)
        pids = server_tree(proc)
        return {
            "rss": sum(mapped_kb(p, "Rss") for p in pids) / 1024,
            "pss": sum(mapped_kb(p, "Pss") for p in pids) / 1024,
            "vectors_rss": sum(mapped_kb(p, "Rss", VECTORS_FILE) for p in pids) / 1024,
            "vectors_pss": sum(mapped_kb(p, "Pss", VECTORS_FILE) for p in pids) / 1024,
            "postings_pss": sum(mapped_kb(p, "Pss", POSTINGS_FILE) for p in pids) / 1024,
        }
    finally:
        stop_server(proc)


def engine_rows(index_dir: Path, texts: list[str], types: list[str], http: bool) -> None:
    """Print in-process and HTTP latency with query embedding, on-disk bytes and server memory per type."""
    embedder = Embedder(query_backend=chosen_query_backend())  # names the backends; loads no model
    print(f"\nreal index {index_dir}: search with query embedding, k=10, {len(texts)} queries, "
          f"papers {embedder.backend}, queries {embedder.queries.backend}; "
          "in-process with all cores, HTTP through `abstracts serve`")
    print(f"{'type':<10}{'mode':<8}{'in-process p50 / p99':>22}{'+ snippets p50 / p99':>22}{'HTTP p50 / p99':>18}"
          f"{'disk B/abstract':>17}")
    memory = {}
    for index_type in types:
        subprocess.run([str(Path(sys.executable).with_name("abstracts")), "reindex", "--index", str(index_dir),
                        "--index-type", index_type], check=True, capture_output=True)
        engine = Engine(Settings(index=index_dir, mmap=True))
        faiss.omp_set_num_threads(1)
        count = engine.count()
        # ranked hits alone, then hits made ready to send (snippets included), as the HTTP route does
        ranked = {mode: timed_calls(lambda q: engine.search(q, k=10, mode=mode).hits, texts) for mode in MODES}
        local = {mode: timed_calls(lambda q: [h.to_dict() for h in engine.search(q, k=10, mode=mode).hits], texts)
                 for mode in MODES}
        engine.store.close()
        disk = sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file()) / count
        remote = {mode: "-" for mode in MODES}
        if http:
            proc, base = start_server(index_dir, server_env())
            try:
                for mode in MODES:
                    over_http(base, texts[:10], 1, mode)  # warm up
                    remote[mode] = p50_p99(over_http(base, texts, 1, mode)[0])
            finally:
                stop_server(proc)
            memory[index_type] = [served_memory(index_dir, texts, n) for n in (1, 2)]
        for mode in MODES:
            print(f"{index_type:<10}{mode:<8}{p50_p99(ranked[mode]):>22}{p50_p99(local[mode]):>22}{remote[mode]:>18}"
                  f"{disk:>17.0f}")
    if memory:
        print("\nserver memory after warm-up searches, MB (vectors: the memory-mapped vectors.faiss; "
              "Pss counts a shared page once across processes)")
        print(f"{'type':<10}{'workers':>8}{'RSS':>8}{'PSS':>8}{'vectors RSS':>13}{'vectors PSS':>13}"
              f"{'postings PSS':>14}")
        for index_type, rows in memory.items():
            for workers, row in zip((1, 2), rows):
                print(f"{index_type:<10}{workers:>8}{row['rss']:>8.0f}{row['pss']:>8.0f}"
                      f"{row['vectors_rss']:>13.0f}{row['vectors_pss']:>13.0f}{row['postings_pss']:>14.0f}")
            one, two = rows
            print(f"{'':<10}second worker adds {two['pss'] - one['pss']:.0f} MB PSS, of which vectors "
                  f"{two['vectors_pss'] - one['vectors_pss']:.0f} MB (vector file {one['vectors_rss']:.0f} MB)")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True, help="an index of the arXiv corpus")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--million", action="store_true", help="also pad to 1M vectors (HNSW build takes minutes)")
    parser.add_argument("--http", action="store_true", help="also serve each type and measure HTTP and memory")
    parser.add_argument("--types", default=",".join(sorted(INDEX_TYPES)))
    parser.add_argument("--query-backend", help="embed queries with this backend (e.g. onnx-int8), papers as stored")
    args = parser.parse_args()
    if args.query_backend:
        os.environ["ABSTRACTS_QUERY_BACKEND"] = args.query_backend  # read by Settings here and by the servers
    types = args.types.split(",")
    real = load_vectors(args.index)
    print(f"stored embeddings in {args.index}: {len(real):,} real arXiv abstracts"
          + ("" if len(real) >= FULL else f" (padded to {FULL:,} for the FAISS-only rows; see the docstring)"))
    texts = query_texts(args.queries)
    queries = Embedder().encode(texts)
    faiss_rows(pad(real, FULL), queries, types, "arXiv 124k")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(args.index, copy)
        engine_rows(copy, texts, types, args.http)
    if args.million:
        faiss_rows(pad(real, 1_000_000, seed=1), queries, [t for t in types if t != "flat"] + ["flat"], "padded 1M")


if __name__ == "__main__":
    main()
