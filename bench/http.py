"""Latency and throughput of GET /search over loopback, beside the in-process engine call for the same queries.

Run: .venv/bin/python -m bench.http [--index DIR] [--requests 200]
Without --index it builds the bundled corpus into a temporary index first. The clients are minimal socket
clients (a prepared request, the answer read by its Content-Length), so the added time is the server's HTTP
layer and loopback, not a client library's; the 1-client run times each query in-process and over HTTP back
to back, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import faiss
import numpy as np
from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings

from tests.api.conftest import start_server, stop_server

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


def in_process(index_dir: Path) -> Callable[[str], list[dict]]:
    """Return a function that answers a query in this process, hits made ready to send as the route does."""
    # The same threads as `abstracts serve` with one worker gives its encoder and FAISS.
    engine = Engine(Settings(index=index_dir, threads=os.cpu_count() or 1, mmap=True))
    faiss.omp_set_num_threads(1)
    return lambda q: [hit.to_dict() for hit in engine.search(q, k=10).hits]  # snippets included, like the response


class RawClient:
    """A minimal keep-alive HTTP/1.1 client on a socket: it sends a prepared request and reads the answer by its
    Content-Length, so the time measured is the server's and the network's, not a client library's."""

    def __init__(self, base: str):
        host, port = base.removeprefix("http://").split(":")
        self.host = host
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def request_bytes(self, query: str, mode: str | None = None) -> bytes:
        """Return the bytes of GET /search for a query (built before the clock starts)."""
        params = urlencode({"q": query, "k": 10, **({"mode": mode} if mode else {})})
        return f"GET /search?{params} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()

    def send(self, request: bytes) -> int:
        """Send one request and read its whole answer; return the status code."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        while len(self.buffer) < length:
            self.buffer += self.sock.recv(65536)
        self.buffer = self.buffer[length:]
        return int(head.split(b" ", 2)[1])

    def close(self) -> None:
        self.sock.close()


def paired(answer: Callable[[str], list[dict]], base: str, queries: list[str]) -> tuple[list[float], list[float], int]:
    """Time each query in-process and then over HTTP, back to back, so both see the same machine load."""
    client = RawClient(base)
    local, remote, errors = [], [], 0
    for q in queries:
        request = client.request_bytes(q)
        t = time.perf_counter()
        answer(q)
        local.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        status = client.send(request)
        remote.append((time.perf_counter() - t) * 1000)
        errors += status != 200
    client.close()
    return local, remote, errors


def over_http(base: str, queries: list[str], clients: int, mode: str | None = None) -> tuple[list[float], float, int]:
    """Send the queries from `clients` threads, each over one keep-alive connection."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    share = [queries[i::clients] for i in range(clients)]

    def worker(mine: list[str]) -> None:
        nonlocal errors
        client = RawClient(base)
        for q in mine:
            request = client.request_bytes(q, mode)
            t = time.perf_counter()
            status = client.send(request)
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                latencies.append(elapsed)
                errors += status != 200
        client.close()

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
        answer = in_process(index_dir)
        proc, base = start_server(index_dir)
        try:
            paired(answer, base, queries[:20])  # warm up both
            start = time.perf_counter()
            local, one, errors_one = paired(answer, base, queries)
            both_s = time.perf_counter() - start
            eight, eight_s, errors_eight = over_http(base, queries, 8)
        finally:
            stop_server(proc)
        local_s, one_s = both_s * sum(local) / (sum(local) + sum(one)), both_s * sum(one) / (sum(local) + sum(one))
        print(f"GET /search over loopback, {len(queries)} queries, k=10, index {index_dir}; in-process and HTTP "
              "timed back to back per query")
        print(f"  in-process engine.search : {summary(local, local_s)}")
        print(f"  HTTP, 1 client           : {summary(one, one_s)}   errors {errors_one}")
        print(f"  HTTP, 8 clients          : {summary(eight, eight_s)}   errors {errors_eight}")
        added = np.percentile(np.array(one) - np.array(local), 50)
        print(f"  HTTP layer adds {added:.2f} ms at p50 (median of per-query differences, 1 client); ratio "
              f"HTTP/in-process p50 {np.percentile(one, 50) / np.percentile(local, 50):.2f}  (target: under 2 ms added)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
