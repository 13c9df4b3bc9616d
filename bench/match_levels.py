"""Calibrate and check the match levels (search/match.py): how often each level's hits are judged relevant.

Run: .venv/bin/python -m bench.match_levels --scifact-index DIR [--bundled-index DIR]
Collects the top-10 hybrid hits of the 809 SciFact training claims (judged by qrels/train.tsv) and of the
paraphrased questions over the bundled corpus (bench/questions), plus queries with no answer in either index
(gibberish, other fields, Chinese). Prints, with 5-fold cross-validation over the claims, the thresholds a
fold's training part chooses and how they do on its held-out part, beside the constants in search/match.py.
Takes about 2 minutes on a 2-core laptop CPU with the indexes built.
"""

from __future__ import annotations

import argparse
import random
import string
import tempfile
from pathlib import Path


from abstract_search.api.engine import Engine
from abstract_search.api.library import Library
from abstract_search.api.settings import Settings
from abstract_search.data.corpus import bundled_corpus_path
from abstract_search.search import match
from abstract_search.search.evaluation import judged, read_qrels, read_queries

ROOT = Path(__file__).resolve().parents[1]
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
QUESTIONS = ROOT / "bench" / "questions"
OFF_TOPIC = [
    "best sourdough bread recipe with a long cold proof", "who won the football world cup in 1998",
    "how to replace a bicycle inner tube", "cheap flights from london to lisbon in may",
    "lyrics of a famous rock song about a bohemian", "how to knit a wool scarf for beginners",
    "stock price forecast for electric car makers", "wedding speech ideas for the best man",
    "what to plant in a vegetable garden in spring", "renaissance painters of florence and their patrons",
    "how to train a puppy to stop biting", "tips for a job interview at a bank",
    "hiking trails near the grand canyon", "history of the roman empire's fall",
    "fantasy novel recommendations with dragons", "how to change the oil in a car engine",
    "chess openings for aggressive players", "the rules of cricket explained simply",
    "make a paper airplane that flies far", "jazz musicians of the 1950s new york scene",
]
CHINESE = ["大型语言模型作为评审", "蛋白质折叠的机器学习方法", "今天天气怎么样", "如何学习弹钢琴"]


def gibberish(count: int, seed: int = 0) -> list[str]:
    """Return strings of random letters in word-like runs, e.g. "xqzjvk wplm"."""
    rng = random.Random(seed)
    return [" ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 8))) for _ in range(rng.randint(1, 3)))
            for _ in range(count)]


def collect(engine: Engine, queries: dict[str, str], qrels: dict | None) -> list[dict]:
    """Return one row per top-10 hit: query id, rank, evidence, and judged relevance (None: no answer exists)."""
    rows = []
    for query_id, text in queries.items():
        for rank, hit in enumerate(engine.search(text, 10).hits, 1):
            relevant = None if qrels is None else qrels.get(query_id, {}).get(hit.paper.id, 0) > 0
            rows.append({"query": query_id, "rank": rank, "cosine": hit.cosine, "share": hit.share,
                         "terms": hit.terms, "relevant": relevant})
    return rows


def level_of(row: dict, strong: float, partial: float) -> str:
    """Return a row's level under these cosine thresholds (the term rules as in search/match.py)."""
    return match.match_level(row["cosine"], row["share"], row["terms"], strong, partial)


def precision(rows: list[dict], keep) -> float | None:
    """Return the share of the kept rows judged relevant (None: fewer than 10 kept)."""
    kept = [bool(r["relevant"]) for r in rows if keep(r["cosine"])]
    return sum(kept) / len(kept) if len(kept) >= 10 else None


def choose(sets: list[list[dict]]) -> tuple[float, float]:
    """Return (strong, partial) cosine thresholds on a 0.01 grid, the judged sets weighted equally: the lowest
    at and above which at least half the hits are relevant, and the highest below which at most 1 in 20 is."""
    grid = [round(0.2 + 0.01 * i, 2) for i in range(71)]

    def mean(values) -> float | None:
        return None if any(v is None for v in values) else sum(values) / len(values)

    strong = next((t for t in grid if (m := mean([precision(r, lambda c: c >= t) for r in sets])) is not None
                   and m >= 0.5), 0.9)
    partial = max((t for t in grid if t < strong and (m := mean([precision(r, lambda c: c < t) for r in sets]))
                   is not None and m <= 0.05), default=0.2)
    return strong, partial


def summary(rows: list[dict], strong: float, partial: float) -> dict[str, tuple[int, float, float]]:
    """Return per level: hits, share judged relevant, share of all judged-relevant hits it holds."""
    named = [level_of(r, strong, partial) for r in rows]
    relevant = sum(bool(r["relevant"]) for r in rows) or 1
    out = {}
    for level in match.LEVELS:
        picked = [r for r, n in zip(rows, named) if n == level]
        hits = sum(bool(r["relevant"]) for r in picked)
        out[level] = (len(picked), hits / len(picked) if picked else 0.0, hits / relevant)
    return out


def print_summary(title: str, rows: list[dict], strong: float, partial: float) -> None:
    """Print one table of levels."""
    print(f"\n{title} (strong >= {strong:.2f}, partial >= {partial:.2f}, and the term rules)")
    print(f"{'level':<9}{'hits':>7}{'judged relevant':>17}{'of all relevant':>17}")
    for level, (count, share, recall) in summary(rows, strong, partial).items():
        print(f"{level:<9}{count:>7}{share:>17.3f}{recall:>17.3f}")


def folds(rows: list[dict], count: int = 5) -> list[set[str]]:
    """Return the query ids split into `count` shuffled folds."""
    ids = sorted({r["query"] for r in rows})
    random.Random(0).shuffle(ids)
    return [set(ids[i::count]) for i in range(count)]


def unanswerable(engine: Engine, name: str, queries: list[str]) -> None:
    """Print how the top hit of queries with no answer in the index is levelled."""
    rows = collect(engine, {str(i): q for i, q in enumerate(queries)}, None)
    top = [r for r in rows if r["rank"] == 1]
    named = [level_of(r, match.STRONG_COSINE, match.PARTIAL_COSINE) for r in top]
    counts = {level: named.count(level) for level in match.LEVELS}
    best = max(r["cosine"] for r in top)
    print(f"{name:<26}{len(queries):>4} queries; top hit strong {counts['strong']}, partial {counts['partial']}, "
          f"weak {counts['weak']}; highest top cosine {best:.3f}")


def main() -> None:
    """Print the calibration tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact-index", type=Path, required=True)
    parser.add_argument("--bundled-index", type=Path, help="an index of the bundled corpus (default: built in a temp dir)")
    args = parser.parse_args()
    scifact = Engine(Settings(index=args.scifact_index, read_only=True))
    qrels = read_qrels(SCIFACT / "qrels" / "train.tsv")
    claims = collect(scifact, judged(read_queries(SCIFACT / "queries.jsonl"), qrels), qrels)
    bundled = args.bundled_index
    if bundled is None:
        bundled = Path(tempfile.mkdtemp()) / "bundled"
        Library.build(bundled, bundled_corpus_path()).close()
    own = Engine(Settings(index=bundled, read_only=True))
    questions = collect(own, read_queries(QUESTIONS / "queries.jsonl"), read_qrels(QUESTIONS / "qrels.tsv"))

    print("5-fold cross-validation: thresholds chosen on 4 folds of both sets, hits judged relevant per level "
          "on the fifth")
    print(f"{'fold':<6}{'strong':>7}{'partial':>8}   SciFact strong/partial/weak   questions strong/partial/weak")
    sets = (claims, questions)
    splits = [folds(rows) for rows in sets]
    for number in range(5):
        train = [[r for r in rows if r["query"] not in split[number]] for rows, split in zip(sets, splits)]
        test = [[r for r in rows if r["query"] in split[number]] for rows, split in zip(sets, splits)]
        strong, partial = choose(train)
        cells = ["/".join(f"{table[level][1]:.2f}" for level in match.LEVELS)
                 for table in (summary(rows, strong, partial) for rows in test)]
        print(f"{number + 1:<6}{strong:>7.2f}{partial:>8.2f}   {cells[0]:<30}{cells[1]}")
    print(f"chosen on all of both sets: strong {choose(list(sets))[0]:.2f}, partial {choose(list(sets))[1]:.2f}; "
          f"search/match.py has {match.STRONG_COSINE:.2f} and {match.PARTIAL_COSINE:.2f}")
    print_summary("SciFact training claims, top 10 hybrid hits", claims, match.STRONG_COSINE, match.PARTIAL_COSINE)
    print_summary("Paraphrased questions over the bundled corpus", questions, match.STRONG_COSINE, match.PARTIAL_COSINE)
    print("\nQueries with no answer in the index (the top hit's level):")
    for engine, corpus in ((scifact, "SciFact"), (own, "bundled")):
        unanswerable(engine, f"gibberish / {corpus}", gibberish(50))
        unanswerable(engine, f"other fields / {corpus}", OFF_TOPIC)
        unanswerable(engine, f"Chinese / {corpus}", CHINESE)


if __name__ == "__main__":
    main()
