"""Fuse dense and BM25 scores: corpus z-scores, a query-dependent lexical weight, neighbour smoothing."""

# The constants were tuned on the 809 SciFact training claims only, and then checked, not tuned, on
# the paraphrased question set in bench/questions/ (see bench/quality.py).

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEXICAL_WEIGHT = 0.30  # weight of the BM25 z-score for a query whose best dense match has cosine PIVOT
CONFIDENCE_SLOPE = 1.0  # lexical weight added per unit the best dense cosine falls below PIVOT
PIVOT = 0.60
WEIGHT_RANGE = (0.05, 0.90)
SMOOTH_DEPTH = 20  # the top fused candidates that are smoothed
SMOOTH_NEIGHBOURS = 3  # each one borrows from its 3 most similar fellow candidates
SMOOTH_SHARE = 0.20  # ... this share of its score


def zscores(scores: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Return scores as standard deviations above the query's mean score over the corpus."""
    return (np.asarray(scores, dtype=np.float64) - mean) / max(std, 1e-9)


@dataclass(frozen=True)
class Fusion:
    """The fitted constants of the query-dependent lexical weight (bench/fit_fusion.py fits them)."""

    weight: float = LEXICAL_WEIGHT
    pivot: float = PIVOT
    slope: float = CONFIDENCE_SLOPE

    def lexical_weight(self, best_dense: float) -> float:
        """Return the weight of BM25 for a query: more when the dense model's best match is weak."""
        low, high = WEIGHT_RANGE
        return float(np.clip(self.weight + self.slope * (self.pivot - best_dense), low, high))


def combine(dense_z: np.ndarray, lexical_z: np.ndarray, weight: float) -> np.ndarray:
    """Return (1 - weight) * dense + weight * lexical, elementwise."""
    return (1.0 - weight) * np.asarray(dense_z) + weight * np.asarray(lexical_z)


def smooth(scores: np.ndarray, vectors: np.ndarray, depth: int = SMOOTH_DEPTH,
           neighbours: int = SMOOTH_NEIGHBOURS, share: float = SMOOTH_SHARE) -> np.ndarray:
    """Blend each top candidate's score with the mean score of its nearest fellow top candidates.

    Relevant papers tend to sit near each other (the cluster hypothesis), so a paper whose close
    neighbours scored well moves up. Only the `depth` best candidates change; the rest keep their
    scores and are pushed below them.
    """
    scores = np.asarray(scores, dtype=np.float64).copy()
    top = np.argsort(-scores, kind="stable")[:depth]
    if len(top) <= neighbours:
        return scores
    sims = vectors[top] @ vectors[top].T
    np.fill_diagonal(sims, -np.inf)
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :neighbours]
    blended = (1.0 - share) * scores[top] + share * scores[top][nearest].mean(axis=1)
    rest = np.ones(len(scores), dtype=bool)
    rest[top] = False
    if rest.any():  # keep the untouched candidates, in their order, below every smoothed one
        gap = scores[rest].max() - blended.min()
        if gap >= 0:
            scores[rest] -= gap + 1e-6
    scores[top] = blended
    return scores
