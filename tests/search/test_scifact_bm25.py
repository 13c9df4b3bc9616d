"""BM25 on SciFact agrees with a reference implementation: the FTS5 index over title and abstract scores
the 809 training claims within 0.01 nDCG@10 of bm25s (Lucene BM25, k1=1.2, b=0.75, same stemmer family).
Skipped when ../shared/data/scifact is absent. No embedding: the store gets dummy vectors."""

from __future__ import annotations

import numpy as np
import pytest

from data.corpus import read_corpus
from data.paper import Paper
from index.store import Store
from search.evaluation import judged, read_qrels, read_queries
from search.lexical import Lexical
from search.metrics import evaluate
from tests.conftest import shared_file


def test_fts5_bm25_matches_bm25s_on_scifact(tmp_path):
    bm25s = pytest.importorskip("bm25s", reason="bm25s is not installed")
    stemmer = pytest.importorskip("Stemmer")
    corpus = shared_file("scifact/corpus.jsonl")
    qrels = read_qrels(shared_file("scifact/qrels/train.tsv"))
    queries = judged(read_queries(shared_file("scifact/queries.jsonl")), qrels)
    papers = [p for p in read_corpus(corpus, "beir") if isinstance(p, Paper)]
    store = Store(tmp_path)
    store.write([(p, np.zeros(1, np.float32)) for p in papers], [], [])
    lexical = Lexical(store, title_weight=1.0)  # plain BM25, as the reference
    id_of = dict(store.conn.execute("SELECT num, id FROM papers").fetchall())
    ours = evaluate(qrels, {q: [id_of[n] for n, _ in lexical.search(text, 100)] for q, text in queries.items()})
    store.close()

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
