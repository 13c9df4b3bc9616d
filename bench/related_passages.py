"""Related work from a paper or a pasted abstract, with passage vectors: which query-side scoring to use.

Run: .venv/bin/python -m bench.related_passages --scifact-index DIR [--arxiv-index DIR]
(indexes with passage vectors: `abstracts index CORPUS --index DIR`)
Two checks, each with FAISS's whole-vector pool of 300 (search/passage_scores.py) rescored four ways:
  - SciFact papers cited by one training claim: each in turn is the query (similar by id), the others the
    targets; MRR@10 and nDCG@10.
  - arXiv known item: the first half of an abstract (its sentences up to half its characters), pasted as
    text, must find its own paper; MRR@10.
The ways: the query's whole vector against the papers' whole vectors (before passages); against their
mean(whole, best passage) (what dense search does); the mean over the query's passages of each one's best
match among the paper's passages; and the mean of the last two.
"""

from __future__ import annotations

import argparse
import collections
import random
from pathlib import Path

import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.text import sentence_spans
from abstract_search.index.passages import Passages, encode_passages
from abstract_search.search.evaluation import read_qrels
from abstract_search.search.metrics import mrr_at, ndcg_at
from abstract_search.search.passage_scores import passage_pool

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"
WAYS = ("whole -> whole", "whole -> mean(whole, best passage)", "passages -> best passages", "mean of the last two")
KNOWN_ITEMS = 500


def ranked_ways(engine: Engine, vector: np.ndarray, query_passages: np.ndarray, leave_out: int | None) -> dict[str, list[int]]:
    """Return the pool of the query's whole vector, ranked each way, as vector ids best first."""
    with engine.reader.reading() as index:
        _, ids = index.search(vector[None, :].astype(np.float32), passage_pool(10) + 1, None)
    pool = [int(n) for n in ids[0] if n >= 0 and n != leave_out]
    whole_vectors = engine.store.vectors_of(pool)
    found = engine.searcher.passages.read(pool)
    whole = np.array([whole_vectors[n] @ vector for n in pool])
    mixed, _ = engine.searcher.passages.rescore(vector, pool, whole, found)
    dimension = engine.store.dimension()
    both = np.array([float(np.mean(np.max(query_passages @ Passages.from_bytes(found[n], dimension).vectors.T, axis=1)))
                     for n in pool])
    scores = {WAYS[0]: whole, WAYS[1]: mixed, WAYS[2]: both, WAYS[3]: (mixed + both) / 2}
    return {way: [pool[i] for i in np.argsort(-s, kind="stable")] for way, s in scores.items()}


def cited_together(engine: Engine) -> None:
    """Print MRR@10 and nDCG@10 of each way for SciFact papers cited by one claim."""
    qrels = read_qrels(SCIFACT / "qrels" / "train.tsv")
    groups = [[d for d, g in docs.items() if g > 0] for docs in qrels.values()]
    pairs = [(a, [b for b in docs if b != a]) for docs in groups if len(docs) >= 2 for a in docs]
    figures: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    dimension = engine.store.dimension()
    for query_id, targets in pairs:
        num, vector, _ = engine.store.stored_paper(query_id)
        own = Passages.from_bytes(engine.store.passages_of([num])[num], dimension).vectors
        relevant = {t: 1 for t in targets}
        for way, nums in ranked_ways(engine, vector, own, num).items():
            papers = engine.store.papers_by_num(nums[:10])
            top = [papers[n].id for n in nums[:10] if n in papers]
            figures[way].append((mrr_at(top, relevant, 10), ndcg_at(top, relevant, 10)))
    print(f"\nSciFact: {len(pairs)} papers cited with others by one training claim, similar by id")
    print(f"{'way':<40}{'MRR@10':>8}{'nDCG@10':>9}")
    for way in WAYS:
        mrr, ndcg = np.mean(figures[way], axis=0)
        print(f"{way:<40}{mrr:>8.4f}{ndcg:>9.4f}")


def first_half(abstract: str) -> str:
    """Return the abstract's sentences up to about half its characters (at least one)."""
    spans = sentence_spans(abstract)
    kept = [s for s in spans if s[1] <= len(abstract) / 2] or spans[:1]
    return abstract[kept[0][0]:kept[-1][1]].strip()


def known_items(engine: Engine) -> None:
    """Print MRR@10 of each way for the first half of an abstract finding its own paper."""
    papers = list(engine.store.iter_papers())
    chosen = random.Random(0).sample(papers, min(KNOWN_ITEMS, len(papers)))
    mrr: dict[str, list[float]] = collections.defaultdict(list)
    for paper in chosen:
        text = first_half(paper.abstract)
        vector = engine.embedder.encode([text])[0]
        passages = encode_passages(engine.embedder, [type(paper)(id="", title="", abstract=text)])[0].vectors
        target = engine.store.num_of(paper.id)
        for way, nums in ranked_ways(engine, vector, passages, None).items():
            mrr[way].append(1.0 / (nums[:10].index(target) + 1) if target in nums[:10] else 0.0)
    print(f"\narXiv known item: the first half of {len(chosen)} abstracts pasted as text, MRR@10 of its own paper")
    for way in WAYS:
        print(f"{way:<40}{np.mean(mrr[way]):>8.4f}")


def main() -> None:
    """Print both checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact-index", type=Path, required=True)
    parser.add_argument("--arxiv-index", type=Path)
    args = parser.parse_args()
    scifact = Engine(Settings(index=args.scifact_index, read_only=True))
    assert scifact.searcher.passages.active, "the SciFact index has no passage vectors: build it with this version"
    cited_together(scifact)
    if args.arxiv_index:
        known_items(Engine(Settings(index=args.arxiv_index, read_only=True)))


if __name__ == "__main__":
    main()
