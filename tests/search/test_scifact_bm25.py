"""BM25 on SciFact agrees with two references: for the 809 training claims the numpy postings score
every paper as SQLite FTS5's bm25() does (same top 10, scores to 1e-6), and rank within 0.01 nDCG@10
of bm25s (Lucene BM25, k1=1.2, b=0.75, same stemmer family). Skipped when ../shared/data/scifact is
absent. No embedding: dummy vectors."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.data.corpus import read_corpus
from abstract_search.data.paper import Paper
from abstract_search.index.store import Store
from abstract_search.search.evaluation import judged, read_qrels, read_queries
from abstract_search.search.lexical import Lexical
from abstract_search.search.metrics import evaluate
from tests.conftest import shared_file
from tests.fts5_reference import fts5_bm25


@pytest.fixture(scope="module")
def scifact(tmp_path_factory):
    """A store of the SciFact corpus (dummy vectors), its papers, the judged training claims and qrels."""
    corpus = shared_file("scifact/corpus.jsonl")
    qrels = read_qrels(shared_file("scifact/qrels/train.tsv"))
    queries = judged(read_queries(shared_file("scifact/queries.jsonl")), qrels)
    papers = [p for p in read_corpus(corpus, "beir") if isinstance(p, Paper)]
    store = Store(tmp_path_factory.mktemp("scifact"))
    store.write([(p, np.zeros(1, np.float32)) for p in papers], [], [])
    yield store, papers, queries, qrels
    store.close()


def test_postings_score_every_claim_as_fts5(scifact):
    store, _, queries, _ = scifact
    lexical = Lexical(store)
    for text in queries.values():
        expected = fts5_bm25(store, text, k=20)
        got = lexical.search(text, 20)
        assert [n for n, _ in got[:10]] == [n for n, _ in expected[:10]], text
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-6), text


def test_bm25_matches_bm25s_on_scifact(scifact):
    bm25s = pytest.importorskip("bm25s", reason="bm25s is not installed")
    stemmer = pytest.importorskip("Stemmer")
    store, papers, queries, qrels = scifact
    lexical = Lexical(store, title_weight=1.0)  # plain BM25, as the reference
    id_of = dict(store.conn.execute("SELECT num, id FROM papers").fetchall())
    ours = evaluate(qrels, {q: [id_of[n] for n, _ in lexical.search(text, 100)] for q, text in queries.items()})

    english = stemmer.Stemmer("english")
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    retriever.index(bm25s.tokenize([f"{p.title} {p.abstract}" for p in papers], stopwords="en", stemmer=english,
                                   show_progress=False), show_progress=False)
    found, _ = retriever.retrieve(bm25s.tokenize(list(queries.values()), stopwords="en", stemmer=english,
                                                 show_progress=False), k=100, show_progress=False, n_threads=1)
    theirs = evaluate(qrels, {q: [papers[i].id for i in row] for q, row in zip(queries, found)})

    assert len(queries) == 809
    assert abs(ours["ndcg@10"] - theirs["ndcg@10"]) <= 0.01, (ours, theirs)
    assert abs(ours["recall@100"] - theirs["recall@100"]) <= 0.01, (ours, theirs)
