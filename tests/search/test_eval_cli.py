"""`abstracts eval` on BEIR files: one JSON object on stdout, unjudged queries left out and counted,
an index built once and reused, clear errors."""

from __future__ import annotations

import json

import pytest

from abstract_search.data.corpus import bundled_corpus_path, read_corpus
from abstract_search.data.paper import Paper
from tests.conftest import run_cli

KEYS = {"mode", "queries", "ndcg@10", "recall@100", "mrr@10", "p50_ms"}


@pytest.fixture(scope="module")
def beir(tmp_path_factory):
    """A 12-paper BEIR corpus from the bundled abstracts, 4 queries (one unjudged) and graded qrels."""
    root = tmp_path_factory.mktemp("beir")
    papers = [p for p in read_corpus(bundled_corpus_path()) if isinstance(p, Paper)][:12]
    with open(root / "corpus.jsonl", "w") as handle:
        for p in papers:
            handle.write(json.dumps({"_id": p.id, "title": p.title, "text": p.abstract}) + "\n")
    queries = {
        "1": ("a chatbot that checks facts with internet search", {papers[2].id: 2}),
        "2": ("asking verification questions to reduce hallucination", {papers[3].id: 2, papers[16 % 12].id: 1}),
        "3": ("a loss that learns from negative examples of what not to say", {papers[7].id: 1}),
        "4": ("a query nobody judged", {}),
    }
    with open(root / "queries.jsonl", "w") as handle:
        for qid, (text, _) in queries.items():
            handle.write(json.dumps({"_id": qid, "text": text, "metadata": {}}) + "\n")
    with open(root / "qrels.tsv", "w") as handle:
        handle.write("query-id\tcorpus-id\tscore\n")
        for qid, (_, rels) in queries.items():
            for pid, grade in rels.items():
                handle.write(f"{qid}\t{pid}\t{grade}\n")
    return root


def eval_args(beir, *extra: str) -> list[str]:
    """Return the eval command's arguments for the tiny BEIR set."""
    return ["eval", "--corpus", str(beir / "corpus.jsonl"), "--queries", str(beir / "queries.jsonl"),
            "--qrels", str(beir / "qrels.tsv"), "--index", str(beir / "index"), *extra]


def test_json_is_one_object_with_the_scores_and_nothing_else(beir):
    result = run_cli(*eval_args(beir, "--json", "--mode", "hybrid"), check=True)
    data = json.loads(result.stdout)  # fails if anything else is on stdout
    assert set(data) == KEYS and data["mode"] == "hybrid"
    assert data["queries"] == 3
    assert "1 without relevance judgments left out" in result.stderr
    assert 0.0 < data["ndcg@10"] <= 1.0 and data["recall@100"] == 1.0 and data["p50_ms"] > 0


def test_the_index_is_reused_and_every_mode_runs(beir):
    for mode in ("dense", "lexical"):
        result = run_cli(*eval_args(beir, "--json", "--mode", mode), check=True)
        assert json.loads(result.stdout)["mode"] == mode
    table = run_cli(*eval_args(beir), check=True)
    assert "ndcg@10" in table.stdout and "mode hybrid" in table.stdout


def test_bad_inputs_are_clear_errors(beir, tmp_path):
    bad = tmp_path / "qrels.tsv"
    bad.write_text("query-id\tcorpus-id\tscore\n1\tsome-paper\tvery\n")
    result = run_cli("eval", "--corpus", str(beir / "corpus.jsonl"), "--queries", str(beir / "queries.jsonl"),
                     "--qrels", str(bad), "--index", str(beir / "index"))
    assert result.returncode == 1 and "expected query-id, corpus-id, score" in result.stderr
    result = run_cli(*eval_args(beir, "--mode", "hybrid+rerank"))
    assert result.returncode == 1 and "reranker" in result.stderr
