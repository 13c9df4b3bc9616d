"""One index served by `abstracts serve` against the same corpus as 2 shards on Ray Serve (local Ray, 2
CPUs): queries per second and p50/p99 over HTTP, same queries, same run; and the merge's own cost per query.

Run: .venv/bin/python -m bench.cluster --index DIR [--cluster DIR] [--queries 200] [--clients 4]
DIR is any index (for the issue's figures, the 124,630 arXiv abstracts: bench/passages_cost.py leaves one in
its work folder); the cluster is made from it with `abstracts shard --shards 2` unless --cluster names one
(a --cluster folder that does not exist yet is made and kept).
Each server gets the same arXiv titles as queries from --clients threads, after one warm pass. The merge's
cost is timed in this process over the same shards (search/gather.py with LocalShards): the router's time
for a query, its embedding left out, less the slowest shard's time to find its candidates.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.index.cluster import ClusterManifest
from abstract_search.search.gather import Gather, LocalShards
from abstract_search.search.retrieval import Query
from abstract_search.search.shard_query import ShardQuery
from abstract_search.search.threads import one_thread_per_search
from bench.scale import query_texts
from tests.api.conftest import free_port, start_server, stop_server

ABSTRACTS = Path(sys.executable).with_name("abstracts")


def load(url: str, texts: list[str], clients: int) -> dict[str, float]:
    """Send every query once from `clients` threads; return queries/s, p50 and p99 in ms, and errors."""
    latencies: list[float] = []
    errors = [0]
    queue = list(texts)
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    text = queue.pop()
                started = time.perf_counter()
                status = http.get("/search", params={"q": text, "k": 10}).status_code
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors[0] += status != 200

    for text in texts[:20]:  # warm: model, postings, page cache
        httpx.get(f"{url}/search", params={"q": text, "k": 10}, timeout=120)
    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {"qps": len(texts) / wall, "p50": float(np.percentile(latencies, 50)),
            "p99": float(np.percentile(latencies, 99)), "errors": errors[0]}


class TimedShards(LocalShards):
    """LocalShards that remember how long the slowest shard took to find its candidates."""

    slowest = 0.0

    def each(self, method: str, *args) -> list:
        def timed(shard):
            started = time.perf_counter()
            answer = getattr(shard, method)(*args)
            return answer, time.perf_counter() - started

        answers = list(self._pool.map(timed, self.shards))
        if method == "candidates":
            self.slowest = max(seconds for _, seconds in answers)
        return [answer for answer, _ in answers]


def merge_cost(cluster: Path, texts: list[str]) -> dict[str, float]:
    """Return the router's p50 per query (embedding aside), the slowest shard's p50 and their difference's."""
    manifest = ClusterManifest.load(cluster)
    shards = TimedShards([ShardQuery(Engine(Settings(index=folder, read_only=True, mmap=True)).searcher)
                          for folder in manifest.shard_dirs(cluster)])
    gather = Gather(shards, Engine(Settings(index=manifest.shard_dirs(cluster)[0], read_only=True)).embedder)
    one_thread_per_search()  # as the served router and replicas run
    vectors = gather.embedder.encode_queries(texts)
    router, slowest = [], []
    for round_ in range(2):  # the first round warms
        for text, vector in zip(texts, vectors):
            started = time.perf_counter()
            gather.answer(Query(text, vector[None, :]), "hybrid")
            if round_:
                router.append((time.perf_counter() - started) * 1000)
                slowest.append(shards.slowest * 1000)
    overhead = np.array(router) - np.array(slowest)
    return {"router": float(np.median(router)), "slowest": float(np.median(slowest)),
            "overhead": float(np.median(overhead)), "overhead_p99": float(np.percentile(overhead, 99))}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--cluster", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    texts = query_texts(args.queries)
    cluster = args.cluster or Path(tempfile.mkdtemp(prefix="bench-cluster-")) / "cluster"
    if not (cluster / "cluster.json").exists():
        subprocess.run([str(ABSTRACTS), "shard", "--index", str(args.index), "--shards", "2", "--out", str(cluster)],
                       check=True)
    proc, base = start_server(args.index, {})
    try:
        one = load(base, texts, args.clients)
    finally:
        stop_server(proc)
    import ray
    from ray import serve

    from abstract_search.api.ray_serve import serve_cluster

    root = Path(__file__).resolve().parents[1]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}})
    try:
        url = serve_cluster(cluster, Settings(port=free_port()), "local", replicas=1, block=False)
        two = load(url, texts, args.clients)
    finally:
        serve.shutdown()
        ray.shutdown()
    merge = merge_cost(cluster, texts)
    count = Engine(Settings(index=args.index, read_only=True)).count()
    print(f"{count:,} papers, {len(texts)} queries (arXiv titles), {args.clients} clients, hybrid, k=10, over HTTP")
    print(f"{'':<40}{'queries/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, row in (("one index, abstracts serve (1 worker)", one), ("2 shards on Ray Serve (local, 2 CPUs)", two)):
        print(f"{name:<40}{row['qps']:>10.1f}{row['p50']:>9.1f}{row['p99']:>9.1f}{row['errors']:>8}")
    print(f"merge, in process over the same shards: router {merge['router']:.1f} ms p50 (query embedding aside), "
          f"slowest shard {merge['slowest']:.1f} ms, router less slowest shard {merge['overhead']:.1f} ms p50 "
          f"({merge['overhead_p99']:.1f} p99)")


if __name__ == "__main__":
    main()
