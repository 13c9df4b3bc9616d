"""Slow clients against `abstracts serve`: normal search latency alone (the baseline) and during a slow-loris.

Run: .venv/bin/python -m bench.slow_clients [--connections 1500] [--duration 30] [--index DIR]
The attack is tests/reliability/slow_clients.py: connections from 127.0.0.2 that send a request a header line
at a time, while a normal client searches from 127.0.0.1. Server limits are the defaults (header deadline 10 s,
whole request 60 s, 256 connections per client address) unless ABSTRACTS_* variables say otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from tests.api.conftest import start_server, stop_server
from tests.conftest import bench_index
from tests.reliability.slow_clients import run_attack, summary


def main() -> None:
    """Print the normal client's latency without and with the attack, and what happened to the slow clients."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1500)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--index", type=Path, help="an index to serve (a copy is used); default: the bundled corpus")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="slow-clients-"))
    try:
        index_dir = bench_index(args.index, work)
        limits = {k: v for k, v in os.environ.items() if k.startswith("ABSTRACTS_")}
        proc, base = start_server(index_dir, limits)
        try:
            baseline = run_attack(base, connections=0, duration_s=min(10.0, args.duration))
            attacked = run_attack(base, connections=args.connections, duration_s=args.duration)
        finally:
            stop_server(proc)
        print(f"baseline, no slow clients: {summary(baseline)}")
        print(f"{args.connections} slow clients: {summary(attacked)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
