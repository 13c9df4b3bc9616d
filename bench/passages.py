"""Passage vectors against whole-abstract vectors, dense only, same model (issue #13's first measurement).

Run: .venv/bin/python -m bench.passages [--work DIR]
Embeds every SciFact abstract twice, whole (title and text, truncated by the model at 256 word pieces) and as
passages (index/passages.py: whole sentences, at most 128 word pieces with the title), and prints for the 809
training claims nDCG@10, R@100 and MRR@10 of: the whole vector, the best passage, the larger of the two, and
their mean; the same on the bundled corpus for bench/questions and bench/questions/second_half (questions whose
answer sits after the middle of an abstract); then related work from a paper (SciFact papers cited by one claim: each one in turn is the
query, the others the targets) with the query paper whole against the mean over its passages of each one's
best match. No constant is fitted, so no cross-validation is needed. Vectors are cached in --work.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import numpy as np

from abstract_search.data.corpus import bundled_corpus_path, collect, read_corpus
from abstract_search.index.embedder import Embedder
from abstract_search.index.passages import split_passages
from abstract_search.search.evaluation import judged, read_qrels, read_queries
from abstract_search.search.metrics import evaluate, mrr_at

ROOT = Path(__file__).resolve().parents[1]
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
QUESTION_SETS = {"paraphrased questions": ROOT / "bench" / "questions",
                 "second-half questions": ROOT / "bench" / "questions" / "second_half"}
POOLS = (100, 300)


def cached(path: Path, make) -> np.ndarray:
    """Return the array saved at `path`, making and saving it first when absent."""
    if not path.exists():
        np.save(path, make())
    return np.load(path)


def ranked(scores: np.ndarray, ids: list[str], depth: int = 100, leave_out: str | None = None) -> list[str]:
    """Return the ids of the best `depth` scores, best first."""
    depth = min(depth, len(ids) - 1)
    top = np.argpartition(-scores, depth)[: depth + 1]
    order = top[np.argsort(-scores[top], kind="stable")]
    return [ids[i] for i in order if ids[i] != leave_out][:depth]


def paper_scores(whole: np.ndarray, passages: np.ndarray, owner: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    """Return each way of scoring every paper for one query vector."""
    whole_scores = whole @ q
    best = np.full(len(whole), -np.inf, dtype=np.float32)
    np.maximum.at(best, owner, passages @ q)
    return {"whole abstract": whole_scores, "best passage": best, "max(whole, best)": np.maximum(whole_scores, best),
            "mean(whole, best)": (whole_scores + best) / 2}


def print_runs(title: str, qrels, runs: dict[str, dict[str, list[str]]]) -> None:
    """Print nDCG@10, R@100 and MRR@10 of each run."""
    print(f"\n{title}")
    print(f"{'paper score':<26}{'nDCG@10':>9}{'R@100':>8}{'MRR@10':>8}")
    for name, run in runs.items():
        figures = evaluate(qrels, run)
        print(f"{name:<26}{figures['ndcg@10']:>9.4f}{figures['recall@100']:>8.4f}{figures['mrr@10']:>8.4f}")


def bundled_questions(embedder: Embedder) -> None:
    """Print the ways of scoring on the bundled corpus, for the question sets over it."""
    papers = collect(read_corpus(bundled_corpus_path(), capture_year=2025)).papers
    ids = [p.id for p in papers]
    split = [split_passages(p.title, p.abstract, embedder.piece_counts) for p in papers]
    owner = np.repeat(np.arange(len(papers)), [len(s) for s in split])
    whole, passages = embedder.encode([p.text() for p in papers]), embedder.encode([t for s in split for t in s])
    for name, folder in QUESTION_SETS.items():
        if not (folder / "queries.jsonl").exists():
            continue
        qrels = read_qrels(folder / "qrels.tsv")
        questions = judged(read_queries(folder / "queries.jsonl"), qrels)
        runs: dict[str, dict[str, list[str]]] = collections.defaultdict(dict)
        for question, q in zip(questions, embedder.encode_queries(list(questions.values()))):
            for way, scores in paper_scores(whole, passages, owner, q).items():
                runs[way][question] = ranked(scores, ids, depth=len(ids) - 1)
        print_runs(f"{name.capitalize()} over the bundled corpus ({len(questions)}), dense only", qrels, runs)


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-passages"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    papers = collect(read_corpus(SCIFACT / "corpus.jsonl")).papers
    ids = [p.id for p in papers]
    embedder = Embedder()
    started = time.perf_counter()
    pieces = embedder.piece_counts([p.text() for p in papers])
    split = [split_passages(p.title, p.abstract, embedder.piece_counts) for p in papers]
    owner = np.repeat(np.arange(len(papers)), [len(s) for s in split])
    texts = [t for s in split for t in s]
    print(f"{len(papers)} abstracts: median {int(np.median(pieces))} word pieces; {np.mean(np.array(pieces) > 256):.0%} "
          f"over 256, {np.mean(np.array(pieces) > 128):.0%} over 128; {len(texts)} passages "
          f"({len(texts) / len(papers):.2f} per paper), split in {time.perf_counter() - started:.0f} s")

    def timed(name: str, make):
        began = time.perf_counter()
        array = cached(args.work / f"{name}.npy", make)
        return array, time.perf_counter() - began

    whole, whole_s = timed("whole", lambda: embedder.encode([p.text() for p in papers]))
    passages, passage_s = timed("passages", lambda: embedder.encode(texts))
    print(f"embedding (0 s when cached): whole {whole_s:.0f} s, passages {passage_s:.0f} s")

    qrels = read_qrels(SCIFACT / "qrels" / "train.tsv")
    claims = judged(read_queries(SCIFACT / "queries.jsonl"), qrels)
    queries = embedder.encode_queries(list(claims.values()))
    runs: dict[str, dict[str, list[str]]] = collections.defaultdict(dict)
    for claim, q in zip(claims, queries):
        ways = paper_scores(whole, passages, owner, q)
        for name, scores in ways.items():
            runs[name][claim] = ranked(scores, ids)
        for depth in POOLS:  # FAISS over whole vectors finds the pool; passages rescore it
            pool = np.argpartition(-ways["whole abstract"], depth)[:depth]
            rescored = np.full(len(papers), -np.inf, dtype=np.float32)
            rescored[pool] = ways["max(whole, best)"][pool]
            runs[f"whole top {depth}, rescored"][claim] = ranked(rescored, ids)
    print_runs(f"SciFact training claims ({len(claims)}), dense only", qrels, runs)

    cited = collections.defaultdict(list)
    for claim, docs in qrels.items():
        if claim in claims:
            cited[claim] = [d for d, g in docs.items() if g > 0]
    where = {pid: i for i, pid in enumerate(ids)}
    pairs = [(a, [b for b in docs if b != a]) for docs in cited.values() if len(docs) >= 2 for a in docs]
    by_paper = collections.defaultdict(list)
    for i, paper in enumerate(owner):
        by_paper[paper].append(i)
    scores_of = {"query whole, papers whole": [], "query passages, papers' best passage (mean)": [],
                 "max of the two": [], "query passages' mean vector, papers max(whole, best)": []}
    for query_id, targets in pairs:
        relevant = {t: 1 for t in targets}
        n = where[query_id]
        scores_of["query whole, papers whole"].append(mrr_at(ranked(whole @ whole[n], ids, 10, query_id), relevant, 10))
        rows = passages[by_paper[n]] @ passages.T  # each query passage against every passage
        best = np.full((len(rows), len(papers)), -np.inf, dtype=np.float32)
        for r, row in enumerate(rows):
            np.maximum.at(best[r], owner, row)
        whole_whole = whole @ whole[n]
        scores_of["query passages, papers' best passage (mean)"].append(
            mrr_at(ranked(best.mean(axis=0), ids, 10, query_id), relevant, 10))
        scores_of["max of the two"].append(
            mrr_at(ranked(np.maximum(whole_whole, best.mean(axis=0)), ids, 10, query_id), relevant, 10))
        centre = passages[by_paper[n]].mean(axis=0)
        centre /= np.linalg.norm(centre)
        best_centre = np.full(len(papers), -np.inf, dtype=np.float32)
        np.maximum.at(best_centre, owner, passages @ centre)
        scores_of["query passages' mean vector, papers max(whole, best)"].append(
            mrr_at(ranked(np.maximum(whole @ centre, best_centre), ids, 10, query_id), relevant, 10))
    bundled_questions(embedder)
    print(f"\nRelated work from a paper: {len(pairs)} SciFact papers cited with others by one claim, MRR@10 of the others")
    for name, values in scores_of.items():
        print(f"{name:<56}{np.mean(values):.4f}")


if __name__ == "__main__":
    main()
