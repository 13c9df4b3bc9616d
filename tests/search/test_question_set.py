"""The paraphrased question set over the bundled corpus (bench/questions/): well formed, and the default
mode does not lose to dense-only retrieval on it."""

from __future__ import annotations

from pathlib import Path

from abstract_search.data.corpus import bundled_corpus_path, read_corpus
from abstract_search.data.paper import Paper
from abstract_search.search.evaluation import read_qrels, read_queries, run_eval
from abstract_search.search.modes import DEFAULT_MODE

QUESTIONS = Path(__file__).resolve().parents[2] / "bench" / "questions"


def test_the_question_set_is_graded_and_points_at_bundled_papers():
    queries, qrels = read_queries(QUESTIONS / "queries.jsonl"), read_qrels(QUESTIONS / "qrels.tsv")
    ids = {p.id for p in read_corpus(bundled_corpus_path()) if isinstance(p, Paper)}
    assert len(queries) >= 20 and set(qrels) == set(queries)
    assert {grade for rels in qrels.values() for grade in rels.values()} == {1, 2}
    assert all(pid in ids for rels in qrels.values() for pid in rels)


def test_the_default_mode_does_not_lose_to_dense_on_the_question_set(engine):
    queries, qrels = read_queries(QUESTIONS / "queries.jsonl"), read_qrels(QUESTIONS / "qrels.tsv")

    def scores(mode: str) -> dict:
        def ranked(text: str) -> list[str]:
            return [hit.paper.id for hit in engine.search(text, 100, mode=mode).hits]

        return run_eval(ranked, queries, qrels, mode)

    dense, default = scores("dense"), scores(DEFAULT_MODE)
    assert default["ndcg@10"] >= dense["ndcg@10"], (default, dense)
    assert default["mrr@10"] >= dense["mrr@10"], (default, dense)
