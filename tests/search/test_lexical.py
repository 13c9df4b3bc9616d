"""BM25 from the store's FTS5 index: scores by hand, ranks, stemming, filters inside retrieval, and the
full-text index kept in step with adds, updates, deletes and old stores."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pytest

from abstract_search.data.paper import Paper
from abstract_search.index.store import Store
from abstract_search.search.filters import Filters
from abstract_search.search.lexical import Lexical, LexicalIndexMissing
from abstract_search.search.snippet import best_snippet
from abstract_search.search.text_terms import query_words

K1, B = 1.2, 0.75  # FTS5's bm25() constants
DOCS = [
    ("d1", "Cats", "cats purr and cats sleep", 2001),
    ("d2", "Dogs", "dogs bark at cats", 2002),
    ("d3", "Birds", "birds sing in the morning", 2003),
    ("d4", "Fish", "fish swim in water", 2004),
    ("d5", "Trees", "trees grow slowly", 2005),
]


def paper(pid: str, title: str, abstract: str, year: int) -> Paper:
    """Return a small paper record."""
    return Paper(id=pid, title=title, abstract=abstract, year=year)


@pytest.fixture
def store(tmp_path) -> Store:
    """A store of five tiny papers with dummy vectors (BM25 never reads them)."""
    store = Store(tmp_path)
    store.write([(paper(*d), np.zeros(4, np.float32)) for d in DOCS], [], [])
    yield store
    store.close()


def ids(store: Store, pairs) -> list[str]:
    """Return the paper ids of (vector id, score) pairs, in order."""
    papers = store.papers_by_num([n for n, _ in pairs])
    return [papers[n].id for n, _ in pairs]


def bm25_by_hand(term_hits: dict[str, tuple[int, int]], doc_len: int, avg_len: float, df: dict[str, int], n: int,
                 title_weight: float) -> float:
    """BM25 as FTS5 computes it: weighted hits per column, one length over all columns, idf floored at 1e-6."""
    score = 0.0
    for term, (title_hits, abstract_hits) in term_hits.items():
        idf = max(math.log((n - df[term] + 0.5) / (df[term] + 0.5)), 1e-6)
        tf = title_weight * title_hits + abstract_hits
        score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * doc_len / avg_len))
    return score


def test_scores_and_ranks_match_a_hand_computation(store):
    lengths = {pid: len(t.split()) + len(a.split()) for pid, t, a, _ in DOCS}  # FTS5 keeps stopwords
    avg = sum(lengths.values()) / len(DOCS)
    df = {"cat": 2, "dog": 1}
    got = Lexical(store, title_weight=2.0).search("cats and dogs", 10)
    assert ids(store, got) == ["d2", "d1"]
    expected = {
        "d1": bm25_by_hand({"cat": (1, 2)}, lengths["d1"], avg, df, 5, 2.0),
        "d2": bm25_by_hand({"cat": (0, 1), "dog": (1, 1)}, lengths["d2"], avg, df, 5, 2.0),
    }
    for pid, score in zip(ids(store, got), [s for _, s in got]):
        assert score == pytest.approx(expected[pid], rel=1e-6)
    # with the title weighted like the abstract: plain BM25
    plain = Lexical(store, title_weight=1.0).search("cats", 5)
    assert ids(store, plain)[0] == "d1"
    assert plain[0][1] == pytest.approx(bm25_by_hand({"cat": (1, 2)}, lengths["d1"], avg, df, 5, 1.0), rel=1e-6)


def test_words_are_stemmed_and_stopwords_and_syntax_are_harmless(store):
    assert ids(store, Lexical(store).search("barking dog", 5)) == ["d2"]
    assert ids(store, Lexical(store).search("singing", 5)) == ["d3"]
    assert Lexical(store).search("the and of", 5) == []
    assert query_words('NOT "cats" AND (dogs*) OR NEAR cats') == ["not", "cats", "dogs", "near"]
    assert ids(store, Lexical(store).search('NOT "cats" AND (dogs*)', 5)) == ["d2", "d1"]


def test_filters_apply_inside_retrieval(store):
    lexical = Lexical(store)
    unfiltered = ids(store, lexical.search("cats", 1))
    assert unfiltered == ["d1"]  # a post-filter to years >= 2002 would leave nothing
    assert ids(store, lexical.search("cats", 1, Filters(year_min=2002))) == ["d2"]
    assert lexical.search("cats", 5, Filters(year_min=2003)) == []


def test_scores_report_asked_for_papers_and_moments(store):
    lexical = Lexical(store, title_weight=1.0)
    top = dict(lexical.search("cats birds", 10))
    result = lexical.scores("cats birds", 1, also=list(top))
    assert len(result.top) == 1 and result.extra == pytest.approx(top)
    assert result.total == pytest.approx(sum(top.values()))
    assert result.total_sq == pytest.approx(sum(s * s for s in top.values()))
    mean, std = result.moments(5)
    values = list(top.values()) + [0.0] * (5 - len(top))
    assert mean == pytest.approx(np.mean(values)) and std == pytest.approx(np.std(values))


def test_the_full_text_index_follows_deletes_and_updates(store):
    lexical = Lexical(store)
    store.write([], [], ["d2"])
    assert lexical.search("dogs", 5) == []
    store.write([(paper("d3", "Birds", "birds fly south in winter", 2003), np.zeros(4, np.float32))], [], [])
    assert ids(store, lexical.search("winter", 5)) == ["d3"]
    assert lexical.search("morning", 5) == []
    store.write([], [paper("d4", "Fish", "fish swim in water", 1999)], [])  # metadata only
    assert ids(store, lexical.search("fish", 5)) == ["d4"]
    assert ids(store, lexical.search("fish", 5, Filters(year_max=2000))) == ["d4"]


def test_an_old_store_gets_its_full_text_index_on_open(tmp_path):
    store = Store(tmp_path)
    store.write([(paper(*d), np.zeros(4, np.float32)) for d in DOCS], [], [])
    store.close()
    conn = sqlite3.connect(tmp_path / "papers.sqlite")  # make it look like a store from before the FTS table
    for trigger in ("papers_fts_insert", "papers_fts_delete", "papers_fts_update"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE papers_fts")
    conn.commit()
    conn.close()
    with pytest.raises(LexicalIndexMissing, match="abstracts stats"):
        Lexical(Store(tmp_path, readonly=True)).search("cats", 5)
    migrated = Store(tmp_path)
    assert migrated.has_lexical()
    assert ids(migrated, Lexical(migrated).search("dogs", 5)) == ["d2"]
    migrated.write([(paper("d6", "Whales", "whales sing too", 2006), np.zeros(4, np.float32))], [], [])
    assert ids(migrated, Lexical(migrated).search("whales", 5)) == ["d6"]
    migrated.close()


def test_bm25_and_snippets_share_one_tokenizer_for_non_ascii_words(tmp_path):
    store = Store(tmp_path)
    papers = [Paper(id="q", title="Quantum", abstract="We solve the Schrödinger equation on a Möbius strip."),
              Paper(id="c", title="Cats", abstract="Cats sleep a lot.")]
    store.write([(p, np.ones(4, np.float32)) for p in papers], [], [])
    lexical = Lexical(store)
    for query in ("Schrödinger", "schrodinger", "MÖBIUS strips"):
        assert [store.papers_by_num([n])[n].id for n, _ in lexical.search(query, 5)] == ["q"], query
    snippet = best_snippet(papers[0].abstract, "schrodinger mobius")
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["Schrödinger", "Möbius"]
