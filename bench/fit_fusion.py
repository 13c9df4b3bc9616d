"""Fit the hybrid fusion's two constants (search/fusion.py: the pivot and slope of the lexical weight) on the SciFact
training claims, and report the fit with 5-fold cross-validation as well as in-sample.

Run: .venv/bin/python -m bench.fit_fusion --index DIR   (DIR: an index of ../shared/data/scifact/corpus.jsonl)
Each claim's candidates come from the hybrid retriever itself (search/hybrid.py `Hybrid.candidates`: the
dense and BM25 pools and both z-scores, with passage vectors where the index keeps them); only the fusion's
constants vary over the grid. The weight at the pivot, its range and the smoothing stay as they are: fewer constants fitted, less
fitted to one set. Cross-validated: the claims are cut into 5 folds (seed 0); each fold is ranked with the
constants best on the other four, and the out-of-fold rankings are scored together.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.search.evaluation import judged, read_qrels, read_queries
from abstract_search.search.fusion import Fusion
from abstract_search.search.hybrid import Hybrid
from abstract_search.search.metrics import ndcg_at
from abstract_search.search.retrieval import Query, Scope

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"
# weight + slope * (pivot - best): with the weight held at its value, the pivot and the slope are the two
# constants that move the fusion (a weight and a pivot alone are one constant, their sum).
PIVOTS = np.round(np.arange(0.30, 1.001, 0.05), 2)
SLOPES = np.round(np.arange(0.0, 3.001, 0.25), 2)
FOLDS = 5


def grid_scores(engine: Engine, claims: dict[str, str], qrels) -> tuple[list[Fusion], np.ndarray]:
    """Return the grid of constants and each claim's nDCG@10 under each of them (claims x grid)."""
    grid = [Fusion(pivot=float(p), slope=float(s)) for p, s in itertools.product(PIVOTS, SLOPES)]
    vectors = engine.embedder.encode_queries(list(claims.values()))
    scores = np.zeros((len(claims), len(grid)))
    with engine.reader.reading() as index:
        hybrid = Hybrid(engine.searcher.sources(index))
        scope = Scope(None, engine.store.count())
        for row, ((claim, text), vector) in enumerate(zip(claims.items(), vectors)):
            found = hybrid.candidates(Query(text, vector[None, :], k=10), scope)
            ids = engine.store.papers_by_num(found.pool)
            for column, fusion in enumerate(grid):
                ranked = [ids[n].id for n, _ in found.fuse(fusion)[:10]]
                scores[row, column] = ndcg_at(ranked, qrels[claim], 10)
    return grid, scores


def folds_of(claims: int) -> np.ndarray:
    """Return each claim's fold (seed 0): the one cut every cross-validated figure here uses."""
    return np.random.default_rng(0).permutation(claims) % FOLDS


def out_of_fold(table: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Return each claim's score under the option (column of claims x options) best on the other folds, and the
    option chosen for each fold."""
    folds = folds_of(table.shape[0])
    scores, chosen = np.zeros(table.shape[0]), []
    for fold in range(FOLDS):
        chosen.append(int(np.argmax(table[folds != fold].mean(axis=0))))
        scores[folds == fold] = table[folds == fold, chosen[-1]]
    return scores, chosen


def main() -> None:
    """Print the current constants' figure, the in-sample best and the cross-validated figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()
    engine = Engine(Settings(index=args.index, read_only=True))
    qrels = read_qrels(SCIFACT / "qrels" / "train.tsv")
    claims = judged(read_queries(SCIFACT / "queries.jsonl"), qrels)
    grid, scores = grid_scores(engine, claims, qrels)
    means = scores.mean(axis=0)
    current = Fusion()
    here = next(i for i, f in enumerate(grid) if np.isclose(f.slope, current.slope) and np.isclose(f.pivot, current.pivot))
    best = int(np.argmax(means))
    print(f"index {args.index}: passages {'on' if engine.searcher.passages.active else 'off'}; "
          f"{len(claims)} SciFact training claims, hybrid nDCG@10")
    print(f"  constants now (pivot {current.pivot:.2f}, slope {current.slope:.2f}): {means[here]:.4f} in-sample")
    print(f"  best in-sample (pivot {grid[best].pivot:.2f}, slope {grid[best].slope:.2f}): {means[best]:.4f}")
    folds = folds_of(len(claims))
    held_out, chosen = out_of_fold(scores)
    for fold, column in enumerate(chosen):
        print(f"  fold {fold + 1}: pivot {grid[column].pivot:.2f}, slope {grid[column].slope:.2f} -> "
              f"{held_out[folds == fold].mean():.4f} on its {int((folds == fold).sum())} held-out claims")
    print(f"  {FOLDS}-fold cross-validated: {held_out.mean():.4f}")


if __name__ == "__main__":
    main()
