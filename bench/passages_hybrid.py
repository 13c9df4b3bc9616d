"""Hybrid with passage-aware dense scores, before any refit (issue #13): does today's fusion gain from them?

Run: .venv/bin/python -m bench.passages_hybrid --index DIR   (DIR: an index of ../shared/data/scifact/corpus.jsonl;
run `python -m bench.passages` first: it caches the whole and passage vectors this reads from /tmp/bench-passages)
Ranks the 809 SciFact training claims with the hybrid retriever's own steps (search/hybrid.py: dense and BM25
pools, corpus z-scores, the query-dependent lexical weight, smoothing), once with whole-abstract cosines and
once with mean(whole, best passage) in their place, its corpus moments computed exactly. In-sample: no constant
is fitted here, the fusion's are the ones fitted on whole vectors.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.corpus import collect, read_corpus
from abstract_search.index.passages import split_passages
from abstract_search.search.evaluation import judged, read_qrels, read_queries
from abstract_search.search.fusion import combine, lexical_weight, smooth, zscores
from abstract_search.search.hybrid import POOL
from abstract_search.search.metrics import evaluate

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


def main() -> None:
    """Print nDCG@10, R@100 and MRR@10 of both hybrids."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-passages"))
    args = parser.parse_args()
    engine = Engine(Settings(index=args.index, read_only=True))
    papers = collect(read_corpus(SCIFACT / "corpus.jsonl")).papers
    whole, passages = np.load(args.work / "whole.npy"), np.load(args.work / "passages.npy")
    split = [split_passages(p.title, p.abstract, engine.embedder.piece_counts) for p in papers]
    owner = np.repeat(np.arange(len(papers)), [len(s) for s in split])
    assert len(owner) == len(passages), "the cached passages come from another split: run bench.passages again"
    row_of = {p.id: i for i, p in enumerate(papers)}
    num_to_row = {}
    for num, paper in engine.store.papers_by_num([int(n) for n in engine.store.all_nums()]).items():
        num_to_row[num] = row_of[paper.id]
    ids = [p.id for p in papers]
    qrels = read_qrels(SCIFACT / "qrels" / "train.tsv")
    claims = judged(read_queries(SCIFACT / "queries.jsonl"), qrels)
    runs: dict[str, dict[str, list[str]]] = collections.defaultdict(dict)
    with engine.reader.reading() as vectors:
        for (claim, text), q in zip(claims.items(), engine.embedder.encode_queries(list(claims.values()))):
            q = np.asarray(q, dtype=np.float32)
            whole_all = whole @ q
            best = np.full(len(papers), -np.inf, dtype=np.float32)
            np.maximum.at(best, owner, passages @ q)
            mixed_all = (whole_all + best) / 2
            _, found = vectors.search(q[None, :], POOL, None)
            lexical = engine.searcher.lexical.scores(text, POOL, None, also=[n for n in found[0] if n >= 0])
            by_num = dict(lexical.top)
            pool_nums = list(dict.fromkeys([int(n) for n in found[0] if n >= 0] + [n for n, _ in lexical.top]))
            rows = np.array([num_to_row[n] for n in pool_nums])
            bm25 = np.array([by_num.get(n, lexical.extra.get(n, 0.0)) for n in pool_nums])
            lexical_z = zscores(bm25, *lexical.moments(len(papers)))
            matrix = whole[rows]
            for name, dense_all in (("hybrid, whole-abstract dense", whole_all),
                                    ("hybrid, mean(whole, best passage)", mixed_all)):
                dense = dense_all[rows]
                dense_z = zscores(dense, float(dense_all.mean()), float(dense_all.std()))
                fused = smooth(combine(dense_z, lexical_z, lexical_weight(float(dense.max()))), matrix)
                order = np.argsort(-fused, kind="stable")
                runs[name][claim] = [ids[rows[i]] for i in order][:100]
    print(f"SciFact training claims ({len(claims)}), in-sample, fusion constants as fitted on whole vectors")
    print(f"{'':<36}{'nDCG@10':>9}{'R@100':>8}{'MRR@10':>8}")
    for name, run in runs.items():
        figures = evaluate(qrels, run)
        print(f"{name:<36}{figures['ndcg@10']:>9.4f}{figures['recall@100']:>8.4f}{figures['mrr@10']:>8.4f}")


if __name__ == "__main__":
    main()
