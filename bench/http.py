"""Latency and throughput of GET /search over loopback, beside the in-process engine call for the same queries.

Run: .venv/bin/python bench/http.py [--index DIR] [--requests 200]
Without --index it builds the bundled corpus into a temporary index first.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ is first on sys.path and bench/http.py would shadow the standard library's http.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import faiss  # noqa: E402
import httpx  # noqa: E402
import numpy as np  # noqa: E402

from api.engine import Engine  # noqa: E402
from api.settings import Settings  # noqa: E402
from tests.api.conftest import start_server, stop_server  # noqa: E402

QUESTIONS = [
    "papers on LLM judges", "reducing hallucination with verification", "dialogue safety against adversarial users",
    "reasoning in a continuous latent space", "learning from human feedback after deployment",
    "mixture of experts from separately trained models", "byte-level language models without a tokenizer",
    "preference optimization for reasoning", "synthetic data for instruction tuning", "memory beyond the context window",
]


def summary(latencies_ms: list[float], seconds: float) -> str:
    """Return 'p50 / p99 / req/s' for a run."""
    a = np.array(latencies_ms)
    return f"p50 {np.percentile(a, 50):7.2f} ms   p99 {np.percentile(a, 99):7.2f} ms   {len(a) / seconds:8.1f} req/s"


def in_process(index_dir: Path, queries: list[str]) -> tuple[list[float], float]:
    """Time engine.search for each query in this process, with the hits made ready to send as the route does."""
    # The same threads as `abstracts serve` with one worker gives its encoder and FAISS.
    engine = Engine(Settings(index=index_dir, threads=os.cpu_count() or 1, mmap=True))
    faiss.omp_set_num_threads(1)

    def answer(q: str) -> list[dict]:
        return [hit.to_dict() for hit in engine.search(q, k=10).hits]  # snippets included, like the response

    for q in queries[:10]:
        answer(q)
    latencies, start = [], time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        answer(q)
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies, time.perf_counter() - start


def over_http(base: str, queries: list[str], clients: int) -> tuple[list[float], float, int]:
    """Send the queries from `clients` threads, each over one keep-alive connection."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    share = [queries[i::clients] for i in range(clients)]

    def worker(mine: list[str]) -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=60) as http:
            for q in mine:
                t = time.perf_counter()
                response = http.get("/search", params={"q": q, "k": 10})
                elapsed = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += response.status_code != 200

    threads = [threading.Thread(target=worker, args=(part,)) for part in share]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - start, errors


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        index_dir = args.index
        if index_dir is None:
            index_dir = tmp / "index"
            subprocess.run([str(Path(sys.executable).with_name("abstracts")), "index", "--index", str(index_dir)],
                           check=True, capture_output=True)
        queries = [QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else f" {i}") for i in range(args.requests)]
        local, local_s = in_process(index_dir, queries)
        proc, base = start_server(index_dir)
        try:
            over_http(base, queries[:20], 1)  # warm up
            one, one_s, errors_one = over_http(base, queries, 1)
            eight, eight_s, errors_eight = over_http(base, queries, 8)
        finally:
            stop_server(proc)
        print(f"GET /search over loopback, {len(queries)} queries, k=10, index {index_dir}")
        print(f"  in-process engine.search : {summary(local, local_s)}")
        print(f"  HTTP, 1 client           : {summary(one, one_s)}   errors {errors_one}")
        print(f"  HTTP, 8 clients          : {summary(eight, eight_s)}   errors {errors_eight}")
        added = np.percentile(one, 50) - np.percentile(local, 50)
        print(f"  HTTP layer adds {added:.2f} ms at p50 (1 client); ratio HTTP/in-process p50 "
              f"{np.percentile(one, 50) / np.percentile(local, 50):.2f}  (target: under 2 ms added)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
