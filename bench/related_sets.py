"""Related work from a set of papers: the set's centroid (what `similar ID ID` does) against a linear SVM over
the embeddings with the set as positives (as arxiv-sanity-lite does), on SciFact papers cited by one claim.

Run: .venv/bin/python -m bench.related_sets --index DIR   (an index of ../shared/data/scifact/corpus.jsonl)
For each training claim citing n >= 2 papers, each cited paper in turn is held out and the other n - 1 are the
set; the held-out paper is the one to find. Prints MRR@10 and R@10 per method, for sets of 1 and of 2 or more.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import numpy as np
from sklearn import svm

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings

QRELS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact" / "qrels" / "train.tsv"


def cases() -> list[tuple[list[str], str]]:
    """Return (set, held-out paper) for every claim citing two papers or more."""
    cited = collections.defaultdict(list)
    for line in QRELS.read_text().splitlines()[1:]:
        claim, doc, _ = line.split("\t")
        cited[claim].append(doc)
    return [([d for d in docs if d != held], held) for docs in cited.values() if len(docs) >= 2 for held in docs]


def svm_ranking(vectors: np.ndarray, ids: list[str], positives: list[str], k: int) -> list[str]:
    """Rank every paper by a linear SVM fit with the set as positives and all others as negatives."""
    where = {pid: i for i, pid in enumerate(ids)}
    labels = np.zeros(len(ids))
    labels[[where[p] for p in positives]] = 1
    model = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.1)  # arxiv-sanity-lite's
    model.fit(vectors, labels)
    order = np.argsort(-model.decision_function(vectors))
    return [ids[i] for i in order if ids[i] not in positives][:k]


def score(rankings: list[tuple[list[str], str]]) -> tuple[float, float]:
    """Return (MRR@10, R@10) of the held-out papers."""
    ranks = [ranked.index(held) + 1 if held in ranked else None for ranked, held in rankings]
    return (float(np.mean([1 / r if r else 0.0 for r in ranks])), float(np.mean([r is not None for r in ranks])))


def main() -> None:
    """Print both methods' figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()
    engine = Engine(Settings(index=args.index, read_only=True))
    papers = list(engine.store.iter_papers())
    ids = [p.id for p in papers]
    vectors = np.stack([engine.store.embedding_of(pid) for pid in ids])
    runs: dict[str, list[tuple[int, list[str], str]]] = collections.defaultdict(list)
    seconds: dict[str, float] = collections.defaultdict(float)
    for positives, held in cases():
        for method in ("centroid dense", "centroid hybrid", "svm"):
            started = time.perf_counter()
            if method == "svm":
                ranked = svm_ranking(vectors, ids, positives, 10)
            else:
                ranked = [h.paper.id for h in engine.similar(positives, 10, mode=method.split()[1]).hits]
            seconds[method] += time.perf_counter() - started
            runs[method].append((len(positives), ranked, held))
    print(f"{len(runs['svm'])} held-out papers; SciFact corpus of {len(ids)} papers")
    for method, rows in runs.items():
        for name, keep in (("sets of 1", lambda n: n == 1), ("sets of 2+", lambda n: n >= 2), ("all", lambda n: True)):
            chosen = [(r, h) for n, r, h in rows if keep(n)]
            mrr, recall = score(chosen)
            print(f"{method:16s} {name:10s} n={len(chosen):3d}  MRR@10 {mrr:.3f}  R@10 {recall:.3f}")
        print(f"{method:16s} {1000 * seconds[method] / len(rows):.1f} ms per query")


if __name__ == "__main__":
    main()
