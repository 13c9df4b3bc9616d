"""What passage vectors cost, against whole-abstract vectors in the same run: vectors per paper, bytes on
disk and memory per paper, indexing throughput, and query p50/p99 (dense and hybrid) at 124,630 papers.

Run: .venv/bin/python -m bench.passages_cost --index DIR [--size 124630] [--work DIR]
DIR is an index of real arXiv abstracts built with passage vectors (`abstracts index FILE --index DIR`; any
size: embedding all 124,630 abstracts with passages takes about 5 hours on a 2-core CPU). Its papers are
copied, with their embeddings and passages, into two indexes of --size papers: one with passage vectors and
one without (as built before them). Past the real papers, each copy is a real paper again under a new id, its
whole and passage vectors moved by Gaussian noise (sigma 0.35 per coordinate-norm, renormalized, as
bench/scale.py pads), so the padded sets keep the real neighbourhood structure. Nothing is embedded for
them. Throughput is measured on 300 real arXiv abstracts not in DIR, embedded into fresh indexes both ways.
Each index is then opened in a fresh process that runs 200 arXiv titles as queries, once to warm and once
timed, and reports its resident memory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.passages import Passages
from abstract_search.search.threads import one_thread_per_search
from bench.scale import ARXIV, query_texts

BATCH = 4096
NOISE = 0.35
THROUGHPUT_PAPERS = 300
KINDS = ("whole", "passages")


def noisy(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return unit vectors moved by Gaussian noise."""
    moved = vectors + rng.normal(scale=NOISE / np.sqrt(vectors.shape[1]), size=vectors.shape).astype(np.float32)
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


def padded(source: Engine, size: int, seed: int = 0):
    """Yield batches of (papers, whole vectors, passages) of `size` papers: the real ones, then noisy copies."""
    store = source.store
    nums, vectors = zip(*store.vectors_since(-1, BATCH))
    nums, vectors = np.concatenate(nums), np.vstack(vectors)
    papers = store.papers_by_num([int(n) for n in nums])
    blobs = store.passages_of([int(n) for n in nums])
    dimension = store.dimension()
    rng = np.random.default_rng(seed)
    for start in range(0, size, BATCH):
        rows = [i % len(nums) for i in range(start, min(start + BATCH, size))]
        batch, whole, passages = [], [], []
        for position, row in zip(range(start, start + len(rows)), rows):
            num = int(nums[row])
            real = position < len(nums)
            paper = papers[num]
            batch.append(paper if real else Paper.from_dict({**paper.to_dict(), "id": f"pad-{position}"}))
            found = Passages.from_bytes(blobs[num], dimension)
            whole.append(vectors[row] if real else noisy(vectors[row][None, :], rng)[0])
            passages.append(blobs[num] if real else Passages(noisy(found.vectors, rng), found.spans).to_bytes())
        yield batch, np.vstack(whole), passages


def build(source: Engine, target: Path, size: int, passages: bool) -> float:
    """Write the padded copy into a new index; return the seconds it took (no embedding)."""
    started = time.perf_counter()
    engine = Engine(Settings(index=target, passages=passages), create=True)
    for papers, whole, blobs in padded(source, size):
        engine.add_embedded(papers, whole, blobs if passages else None)
    engine.close()
    return time.perf_counter() - started


def throughput(index: Path, work: Path) -> dict[str, float]:
    """Return papers per second embedded and committed with and without passages, same papers, same run."""
    held = {p.id for p in Engine(Settings(index=index, read_only=True)).store.iter_papers()}
    fresh = []
    with gzip.open(ARXIV, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] not in held:
                fresh.append(Paper(id=record["id"], title=record["title"], abstract=record["abstract"]))
                if len(fresh) == THROUGHPUT_PAPERS + 16:
                    break
    rates = {}
    for kind in KINDS:
        shutil.rmtree(work / f"throughput-{kind}", ignore_errors=True)  # a rerun embeds them again
        engine = Engine(Settings(index=work / f"throughput-{kind}", passages=kind == "passages"), create=True)
        engine.add(fresh[:16])  # loads the model and warms it
        started = time.perf_counter()
        for at in range(16, len(fresh), 64):
            engine.add(fresh[at:at + 64])
        rates[kind] = THROUGHPUT_PAPERS / (time.perf_counter() - started)
        engine.close()
    return rates


def probe(index: Path, queries: int) -> None:
    """In a fresh process: open the index, warm it, time dense and hybrid queries, print JSON."""
    texts = query_texts(queries)
    one_thread_per_search()  # as `abstracts serve` answers
    engine = Engine(Settings(index=index, read_only=True, mmap=True))
    figures = {}
    for mode in ("dense", "hybrid"):
        for text in texts:
            engine.search(text, 10, mode=mode)
        times = []
        for text in texts:
            started = time.perf_counter()
            engine.search(text, 10, mode=mode)
            times.append((time.perf_counter() - started) * 1000)
        figures[mode] = (float(np.percentile(times, 50)), float(np.percentile(times, 99)))
    rss = int(next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines()
                   if line.startswith("VmRSS:")))
    print(json.dumps({"figures": figures, "rss_mb": rss / 1024, "count": engine.count()}))


def bytes_of(index: Path) -> dict[str, int]:
    """Return the size of each file of an index."""
    return {path.name: path.stat().st_size for path in index.iterdir() if path.is_file()}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--size", type=int, default=124630)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe, args.queries)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="passages-cost-"))
    source = Engine(Settings(index=args.index, read_only=True))
    assert source.searcher.passages.active, f"{args.index} has no passage vectors"
    real = source.count()
    per_paper = [len(Passages.from_bytes(b, source.store.dimension()).spans)
                 for b in source.store.passages_of([int(n) for n in source.store.all_nums()]).values()]
    rates = throughput(args.index, work)
    rows = {}
    for kind in KINDS:
        target = work / f"padded-{kind}"
        if target.exists():
            shutil.rmtree(target)
        seconds = build(source, target, args.size, kind == "passages")
        result = subprocess.run([sys.executable, "-m", "bench.passages_cost", "--index", str(args.index),
                                 "--probe", str(target), "--queries", str(args.queries)],
                                capture_output=True, text=True, check=True)
        rows[kind] = {**json.loads(result.stdout.strip().splitlines()[-1]), "files": bytes_of(target),
                      "build_s": seconds}
    print(f"{args.size:,} papers ({real:,} real arXiv abstracts, the rest noisy copies); "
          f"passages per paper {np.mean(per_paper):.2f} (median {int(np.median(per_paper))}, max {max(per_paper)})")
    print(f"{'':<34}{'whole':>12}{'passages':>12}{'ratio':>8}")

    def line(label: str, a: float, b: float, unit: str = "") -> None:
        print(f"{label:<34}{a:>12,.1f}{b:>12,.1f}{b / a if a else float('nan'):>7.2f}x {unit}")

    w, p = rows["whole"], rows["passages"]
    line("vectors per paper", 1.0, 1.0 + float(np.mean(per_paper)))
    line("store bytes per paper", w["files"]["papers.sqlite"] / args.size, p["files"]["papers.sqlite"] / args.size)
    line("FAISS file bytes per paper", w["files"]["vectors.faiss"] / args.size, p["files"]["vectors.faiss"] / args.size)
    line("passage matrix bytes per paper", 0.0, p["files"].get("passages.matrix", 0) / args.size)
    line("all index files, MB", sum(w["files"].values()) / 2**20, sum(p["files"].values()) / 2**20)
    line("process RSS after 400 queries, MB", w["rss_mb"], p["rss_mb"])
    line("indexing, papers/s (embedding)", rates["whole"], rates["passages"])
    for mode in ("dense", "hybrid"):
        line(f"{mode} query p50, ms", w["figures"][mode][0], p["figures"][mode][0])
        line(f"{mode} query p99, ms", w["figures"][mode][1], p["figures"][mode][1])
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
