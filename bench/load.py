"""Load: many concurrent clients on GET /search over loopback, and the server's memory before and after.

Run: .venv/bin/python -m bench.load [--clients 50] [--duration 60] [--max-requests 100000] [--index DIR]
Without --index it builds the bundled corpus into a temporary index first. The run is bounded in time and in
count, and stops by itself. It prints requests/s, p50/p99 latency, the error count (zero expected) and the
server's resident memory (VmRSS) after a warm-up and after the run, plus its peak (VmHWM).
The clients run in this process on one asyncio loop, on the same machine as the server: they share its CPUs.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import argparse
import asyncio
import json
import shutil
import subprocess
import tempfile
import time

import httpx
import numpy as np

from tests.api.conftest import start_server, stop_server
from tests.conftest import cli_env

QUERIES = ROOT / "bench" / "questions" / "queries.jsonl"


def memory_kib(pid: int) -> dict[str, int]:
    """Return VmRSS and VmHWM of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def questions() -> list[str]:
    """The benchmark's questions, or a few built-in ones."""
    texts = []
    if QUERIES.exists():
        for line in QUERIES.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                texts.append(record.get("text") or record.get("query") or "")
    return [t for t in texts if t.strip()] or ["papers on LLM judges", "dialogue safety", "reasoning in latent space"]


async def drive(base: str, clients: int, duration: float, max_requests: int, texts: list[str]):
    """Run `clients` loops of GET /search until the time or the request budget is spent."""
    latencies: list[float] = []
    errors: list[str] = []
    issued = 0
    deadline = time.perf_counter() + duration
    # Idle connections are dropped after 2 s, before the server's 5 s keep-alive timeout can close one under a
    # request the client is sending (that race is the client's to avoid, and would count as an error here).
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        async def client(number: int) -> None:
            nonlocal issued
            while time.perf_counter() < deadline and issued < max_requests:
                issued += 1
                query = texts[(number * 7919 + issued) % len(texts)]
                started = time.perf_counter()
                try:
                    answer = await http.get("/search", params={"q": query, "k": 10})
                    if answer.status_code != 200:
                        errors.append(f"{answer.status_code} {answer.text[:100]}")
                except httpx.HTTPError as exc:
                    errors.append(f"{exc!r} after {time.perf_counter() - started:.2f} s ({type(exc).__name__})")
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return latencies, errors, time.perf_counter() - started


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    parser.add_argument("--index", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="load-"))
    try:
        index_dir = args.index
        if index_dir is None:
            index_dir = tmp / "index"
            subprocess.run([str(Path(sys.executable).with_name("abstracts")), "index", "--index", str(index_dir)],
                           check=True, capture_output=True, env=cli_env())
        texts = questions()
        proc, base = start_server(index_dir)
        try:
            idle = memory_kib(proc.pid)
            asyncio.run(drive(base, args.clients, 3.0, 500, texts))  # warm up: model, threads, connections
            before = memory_kib(proc.pid)
            latencies, errors, seconds = asyncio.run(drive(base, args.clients, args.duration, args.max_requests, texts))
            after = memory_kib(proc.pid)
            alive = proc.poll() is None
        finally:
            stop_server(proc)
        server_log = proc.stderr.read().strip().splitlines()
        a = np.array(latencies)
        print(f"GET /search over loopback: {args.clients} concurrent clients for {seconds:.1f} s "
              f"(limit {args.duration:.0f} s or {args.max_requests} requests), k=10, {len(texts)} distinct queries, "
              f"index {index_dir}")
        print(f"  requests      : {len(a)}   ({len(a) / seconds:.1f} req/s)")
        print(f"  latency       : p50 {np.percentile(a, 50):.1f} ms   p99 {np.percentile(a, 99):.1f} ms   "
              f"max {a.max():.1f} ms")
        print(f"  errors        : {len(errors)}{'  e.g. ' + errors[0] if errors else ''}")
        print(f"  server VmRSS  : {idle['VmRSS'] / 1024:.1f} MiB idle at start, {before['VmRSS'] / 1024:.1f} MiB after "
              f"warm-up, {after['VmRSS'] / 1024:.1f} MiB after the run ({(after['VmRSS'] - before['VmRSS']) / 1024:+.1f} MiB); "
              f"peak VmHWM {after['VmHWM'] / 1024:.1f} MiB")
        print(f"  server alive  : {alive}")
        for line in errors[1:5]:
            print(f"  error         : {line}")
        for line in server_log[-8:]:
            print(f"  server log    : {line}")
        sys.exit(1 if errors or not alive else 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
