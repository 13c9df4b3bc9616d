"""Retrieval quality of every mode: runs `abstracts eval` on the SciFact training claims, on the
paraphrased question set over the bundled corpus and on its second-half questions (answers after the middle
of an abstract), each with passage vectors and with whole-abstract vectors only (an index as built before
passages, ABSTRACTS_PASSAGES=false), and prints nDCG@10, recall@100, MRR@10 and p50 latency beside the
published SciFact figures.

Run: .venv/bin/python -m bench.quality [--scifact-index DIR] [--scifact-whole-index DIR] [--bundled-index DIR]
                                       [--bundled-whole-index DIR] [--reranker PATH] [--backend B]
Reads ../shared/data/scifact/ (corpus, queries, qrels/train.tsv); the first run builds the SciFact
indexes (about 13 and 7 minutes on a 2-core laptop CPU), later runs reuse them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
QUESTIONS = ROOT / "bench" / "questions"
SECOND_HALF = QUESTIONS / "second_half"
VECTORS = ("whole", "passages")
ABSTRACTS = Path(sys.executable).with_name("abstracts")
MODES = ["dense", "lexical", "hybrid"]
PUBLISHED = [  # BEIR SciFact (test split) nDCG@10, as quoted in the issue
    ("BM25", 0.68),
    ("all-MiniLM-L6-v2 dense", 0.645),
    ("BM25 + MiniLM cross-encoder", 0.688),
    ("bge-small-en-v1.5", 0.713),
    ("bge-base-en-v1.5", 0.744),
]


def run_eval(corpus: Path, queries: Path, qrels: Path, mode: str, index: Path | None, reranker: str | None,
             backend: str | None, passages: bool = True) -> dict:
    """Run `abstracts eval --json` once and return its object (an index it builds keeps passages or not)."""
    command = [str(ABSTRACTS), "eval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels),
               "--mode", mode, "--json"]
    if backend:
        command += ["--backend", backend]
    if index:
        command += ["--index", str(index)]
    if reranker:
        command += ["--reranker", reranker]
    env = {**os.environ, "ABSTRACTS_PASSAGES": "true" if passages else "false"}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"abstracts eval --mode {mode} failed:\n{result.stderr}")
    found = json.loads(result.stdout)
    return {**found, "mode": f"{mode}, {'passages' if passages else 'whole'}"}


def table(title: str, rows: list[dict]) -> None:
    """Print one table of eval results."""
    print(f"\n{title}")
    print(f"{'mode, vectors':<22}{'queries':>8}{'nDCG@10':>10}{'R@100':>9}{'MRR@10':>9}{'p50 ms':>9}")
    for r in rows:
        print(f"{r['mode']:<22}{r['queries']:>8}{r['ndcg@10']:>10.4f}{r['recall@100']:>9.4f}{r['mrr@10']:>9.4f}"
              f"{r['p50_ms']:>9.1f}")


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scifact-index", type=Path, help="index of the SciFact corpus to build or reuse")
    parser.add_argument("--scifact-whole-index", type=Path, help="the same without passage vectors")
    parser.add_argument("--bundled-index", type=Path, help="index of the bundled corpus to build or reuse")
    parser.add_argument("--bundled-whole-index", type=Path, help="the same without passage vectors")
    parser.add_argument("--reranker", help="a cross-encoder name or path: adds the hybrid+rerank mode")
    parser.add_argument("--backend", help="embedding backend (torch, onnx, onnx-int8); default: the CPU default")
    args = parser.parse_args()
    print(f"backend: {args.backend or 'default'}")
    modes = MODES + (["hybrid+rerank"] if args.reranker else [])

    bundled = {"whole": args.bundled_whole_index, "passages": args.bundled_index}
    for title, folder in (("Paraphrased questions over the bundled corpus (bench/questions, graded 2/1)", QUESTIONS),
                          ("Second-half questions over the bundled corpus (bench/questions/second_half)", SECOND_HALF)):
        rows = [run_eval(ROOT / "data" / "seed_profile.txt", folder / "queries.jsonl", folder / "qrels.tsv", mode,
                         bundled[vectors], args.reranker, args.backend, vectors == "passages")
                for mode in modes for vectors in VECTORS]
        table(title, rows)

    if not (SCIFACT / "corpus.jsonl").exists():
        print(f"\nSciFact skipped: {SCIFACT} not found")
        return
    indexes = {"whole": args.scifact_whole_index, "passages": args.scifact_index}
    scifact = [run_eval(SCIFACT / "corpus.jsonl", SCIFACT / "queries.jsonl", SCIFACT / "qrels" / "train.tsv",
                        mode, indexes[vectors], args.reranker, args.backend, vectors == "passages")
               for mode in modes for vectors in VECTORS]
    table("SciFact training claims (qrels/train.tsv)", scifact)
    print("5-fold cross-validated hybrid: .venv/bin/python -m bench.fit_fusion --index DIR (each index)")
    print("\nPublished SciFact nDCG@10 (BEIR test split, for reference):")
    for name, value in PUBLISHED:
        print(f"  {name:<30}{value:.3f}")


if __name__ == "__main__":
    main()
