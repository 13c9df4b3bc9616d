"""The measured figures docs/scale.md scales from: bytes per vector and build time of each FAISS layout
(ours as served, and IVF-PQ, the layout for 100M), the SQLite write rate of pre-embedded papers, and the time to rewrite
the BM25 postings, all at one corpus size on this machine.

Run: .venv/bin/python -m bench.scale_plan --index DIR [--write 20000]
DIR is an index (for the plan's figures, the 124,630-paper index bench/passages_cost.py leaves in its work
folder, with passage vectors). FAISS layouts are built from its stored embeddings with all cores; recall@10
is against exact search for 200 of its own vectors moved by noise as queries (on a corpus padded with noisy
copies this is a layout's relative recall; README gives recall on the real arXiv vectors). The write rate is `--write`
of its papers, with their embeddings and passages, committed into a fresh index in batches of 4,096
(`Engine.add_embedded`: nothing is embedded), FAISS and postings saved at the end as `abstracts index` does.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.index.postings import build_postings
from abstract_search.index.vector_index import IVFIndex, create_vector_index

LAYOUTS = ("hnsw", "hnsw-sq8", "ivf-sq8")  # ours (index/vector_index.py), built and searched as served
PQ_BYTES = 48  # IVF-PQ: 48 bytes of codes per 384-d vector, the layout for 100M (not an index type of ours yet)
REFINE = 10  # IVF-PQ then exact inner products for its top 10 x k, as re-reading stored vectors would give


def layouts(vectors: np.ndarray) -> None:
    """Print build seconds, bytes per vector and recall@10 of each layout."""
    rng = np.random.default_rng(0)
    queries = vectors[rng.integers(0, len(vectors), 200)]
    queries = queries + rng.normal(scale=0.35 / np.sqrt(vectors.shape[1]), size=queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    nums = np.arange(len(vectors), dtype=np.int64)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    print(f"{len(vectors):,} vectors of {vectors.shape[1]} dimensions, {os.cpu_count()} cores")
    print(f"{'layout':<40}{'build s':>9}{'bytes/vector':>14}{'recall@10':>11}")

    def row(name: str, build: float, size: float, found: np.ndarray) -> None:
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
        print(f"{name:<40}{build:>9.1f}{size:>14,.0f}{recall:>11.3f}")

    for name in LAYOUTS:
        index = create_vector_index(name, vectors.shape[1], len(vectors))
        started = time.perf_counter()
        index.add(nums, vectors)
        build = time.perf_counter() - started
        found = np.vstack([index.search(q[None, :], 10)[1] for q in queries])
        row(name, build, len(faiss.serialize_index(index.index)) / len(vectors), found)
    cells = IVFIndex.cells(len(vectors))
    pq = faiss.index_factory(vectors.shape[1], f"IVF{cells},PQ{PQ_BYTES}", faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    pq.train(vectors[:: max(1, len(vectors) // 100_000)])
    pq.add(vectors)
    build = time.perf_counter() - started
    faiss.extract_index_ivf(pq).nprobe = min(cells, max(IVFIndex.MIN_NPROBE, cells // IVFIndex.PROBE_SHARE))
    size = len(faiss.serialize_index(pq)) / len(vectors)
    row(f"ivf-pq{PQ_BYTES} ({cells} cells)", build, size, pq.search(queries, 10)[1])
    _, wide = pq.search(queries, 10 * REFINE)
    rescored = [w[np.argsort(-(vectors[w] @ q))[:10]] for w, q in zip(wide, queries)]
    row(f"ivf-pq{PQ_BYTES}, top {10 * REFINE} re-scored exactly", build, size, np.array(rescored))


def writes(source: Engine, papers: int) -> None:
    """Print the rate at which pre-embedded papers commit into a fresh index, and the postings rewrite time."""
    nums = [int(n) for n in source.store.all_nums()[:papers]]
    target = Path(tempfile.mkdtemp(prefix="scale-plan-")) / "index"
    engine = Engine(Settings(index=target, passages=source.store.passage_scheme() is not None), create=True)
    started = time.perf_counter()
    for at in range(0, len(nums), 4096):
        batch = nums[at:at + 4096]
        found = source.store.papers_by_num(batch)
        vectors, blobs = source.store.vectors_of(batch), source.store.passages_of(batch)
        kept = [n for n in batch if n in found]
        engine.add_embedded([found[n] for n in kept], np.stack([vectors[n] for n in kept]),
                            [blobs.get(n) for n in kept])
    committed = time.perf_counter() - started
    engine.save()
    saved = time.perf_counter() - started - committed
    engine.close()
    postings_started = time.perf_counter()
    build_postings(source.store)
    rewrite = time.perf_counter() - postings_started
    print(f"\nSQLite write rate, pre-embedded papers with passages: {len(nums) / committed:,.0f} papers/s "
          f"({len(nums):,} in {committed:.1f} s; FAISS and postings saved after in {saved:.1f} s)")
    print(f"BM25 postings rewritten from the store's {source.count():,} papers in {rewrite:.1f} s")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--write", type=int, default=20000)
    args = parser.parse_args()
    source = Engine(Settings(index=args.index, read_only=True))
    vectors = np.vstack([v for _, v in source.store.vectors_since(-1)]).astype(np.float32)
    layouts(vectors)
    writes(source, args.write)


if __name__ == "__main__":
    main()
