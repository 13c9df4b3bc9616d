"""Search latency while a writer adds papers: p50/p99 with no writes (the baseline), then during writes.

Run: .venv/bin/python -m bench.writes_during_search [--papers 1000] [--batch 100] [--index DIR]
One engine in this process, as one server worker holds it: a search thread asks questions back to back,
first alone for a while (the baseline), then while a writer thread adds `--papers` new papers in batches of
`--batch` through Engine.add. Each figure is printed beside the baseline of the same run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper

from tests.conftest import bench_index
from tests.reliability.harness import paper_record

QUESTIONS = ["papers on LLM judges", "reward models for reasoning", "dialogue safety", "retrieval for long context",
             "self-improving language models", "evaluating chatbots with humans", "sparse attention"]


def search_loop(engine: Engine, stop: threading.Event, times: list[float]) -> None:
    """Ask questions back to back until told to stop; note each search's seconds."""
    n = 0
    while not stop.is_set():
        started = time.perf_counter()
        engine.search(QUESTIONS[n % len(QUESTIONS)] + f" {n}", k=10)
        times.append(time.perf_counter() - started)
        n += 1


def percentiles(times: list[float]) -> str:
    """Return 'p50 / p99 / max' in ms."""
    ms = np.array(times) * 1000
    return f"p50 {np.percentile(ms, 50):7.1f} ms, p99 {np.percentile(ms, 99):7.1f} ms, max {ms.max():7.1f} ms"


def main() -> None:
    """Print search latency alone and during writes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--baseline-s", type=float, default=20.0)
    parser.add_argument("--index", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="writes-search-"))
    try:
        engine = Engine(Settings(index=bench_index(args.index, work)))
        engine.search("warm up", k=10)
        alone: list[float] = []
        stop = threading.Event()
        reader = threading.Thread(target=search_loop, args=(engine, stop, alone))
        reader.start()
        time.sleep(args.baseline_s)
        stop.set()
        reader.join()
        during: list[float] = []
        stop = threading.Event()
        reader = threading.Thread(target=search_loop, args=(engine, stop, during))
        records = [paper_record("wds", i) for i in range(args.papers)]
        papers = [Paper(id=r["id"], title=r["title"], abstract=r["abstract"]) for r in records]
        reader.start()
        started = time.perf_counter()
        for start in range(0, len(papers), args.batch):
            engine.add(papers[start:start + args.batch])
        writing_s = time.perf_counter() - started
        stop.set()
        reader.join()
        engine.close()
        print(f"searches alone (baseline): {len(alone):5d} searches, {percentiles(alone)}")
        print(f"during {args.papers} adds in batches of {args.batch} ({writing_s:.1f} s, "
              f"{args.papers / writing_s:.1f} papers/s): {len(during):5d} searches, {percentiles(during)}")
        print(f"p99 during writes / p99 alone: {np.percentile(during, 99) / np.percentile(alone, 99):.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
