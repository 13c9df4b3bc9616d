"""The BM25 postings file: written by `abstracts index`, memory-mapped on load, rebuilt when damaged or far
behind, and, with the writes made since it was saved, scoring as FTS5's bm25() does (to float32 precision)."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.data.paper import Paper
from abstract_search.index.postings import (
    POSTINGS_FILE,
    REBUILD_SHARE,
    build_postings,
    load_postings,
    refresh_postings,
    save_postings,
)
from abstract_search.index.store import Store
from abstract_search.search.filters import Filters
from abstract_search.search.lexical import Lexical
from tests.fts5_reference import fts5_bm25

WORDS = "graph neural network protein folding language model judge retrieval sparse dense attention".split()


def synthetic_paper(i: int) -> Paper:
    """Return a paper whose words vary with i, so terms have different document frequencies."""
    title = " ".join(WORDS[j % len(WORDS)] for j in range(i % 5, i % 5 + 3))
    abstract = " ".join(WORDS[(i * j) % len(WORDS)] for j in range(1, 8 + i % 13))
    return Paper(id=f"p{i}", title=title.title(), abstract=f"We study {abstract}.", year=2000 + i % 20)


@pytest.fixture
def store(tmp_path) -> Store:
    """A store of 200 synthetic papers with dummy vectors, and its postings file saved."""
    store = Store(tmp_path)
    store.write([(synthetic_paper(i), np.zeros(2, np.float32)) for i in range(200)], [], [])
    save_postings(tmp_path / POSTINGS_FILE, build_postings(store))
    yield store
    store.close()


def assert_same_as_fts5(lexical: Lexical, store: Store, query: str) -> None:
    expected = dict(fts5_bm25(store, query))
    got = dict(lexical.search(query, len(expected) + 5))
    assert got.keys() == expected.keys()
    for num, score in expected.items():
        assert got[num] == pytest.approx(score, rel=1e-6)


def test_the_saved_file_loads_memory_mapped_and_equal(store, tmp_path):
    fresh = build_postings(store)
    loaded = load_postings(tmp_path / POSTINGS_FILE)
    assert isinstance(loaded.rows.base, np.memmap) and loaded.generation == store.generation()
    for name in ("terms", "starts", "rows", "title_tf", "abstract_tf", "nums", "lengths"):
        assert np.array_equal(getattr(loaded, name), getattr(fresh, name)), name
    assert loaded.span("graph") != (0, 0) and loaded.span("absent") == (0, 0)


def test_a_damaged_file_is_ignored_and_search_still_answers(store, tmp_path):
    path = tmp_path / POSTINGS_FILE
    path.write_bytes(path.read_bytes()[:-100])
    assert load_postings(path) is None
    assert_same_as_fts5(Lexical(store), store, "graph judge")


def test_writes_after_the_file_are_scored_like_fts5(store):
    lexical = Lexical(store)
    assert_same_as_fts5(lexical, store, "protein folding judge")
    store.write([(synthetic_paper(i), np.zeros(2, np.float32)) for i in range(200, 230)], [], [])
    assert_same_as_fts5(lexical, store, "graph")
    store.write([(Paper(id="p3", title="Judge models", abstract="A new text about judges."),
                  np.zeros(2, np.float32))], [], ["p4", "p210"])
    store.write([], [Paper(id="p5", title=synthetic_paper(5).title, abstract=synthetic_paper(5).abstract,
                           year=1990)], [])
    for query in ("protein folding judge", "judges", "sparse attention", "language model retrieval"):
        assert_same_as_fts5(lexical, store, query)
    assert len(lexical.segments()) == 3  # the file, then one segment per catch-up that found new papers
    fresh = Lexical(store)
    fresh_scores = dict(fresh.search("judge", 300))
    assert dict(lexical.search("judge", 300)) == pytest.approx(fresh_scores, rel=1e-6)
    assert store.num_of("p4") is None and all(n != 4 for n, _ in lexical.search("graph", 300))
    year_1990 = lexical.search("graph neural", 10, Filters(year_max=1990))
    assert [n for n, _ in year_1990] == [store.num_of("p5")]


def test_refresh_rewrites_only_a_missing_or_far_behind_file(store, tmp_path):
    path = tmp_path / POSTINGS_FILE
    assert refresh_postings(tmp_path, store) is False  # in step
    store.write([(synthetic_paper(300), np.zeros(2, np.float32))], [], [])
    assert refresh_postings(tmp_path, store) is False  # one paper behind: the searcher's segments cover it
    assert load_postings(path).generation < store.generation()
    behind = int(REBUILD_SHARE * 200) + 1
    store.write([(synthetic_paper(i), np.zeros(2, np.float32)) for i in range(400, 400 + behind)], [], [])
    assert refresh_postings(tmp_path, store) is True
    assert load_postings(path).generation == store.generation()
    path.unlink()
    assert refresh_postings(tmp_path, store) is True and path.exists()
    assert refresh_postings(tmp_path, store, force=True) is True


def test_abstracts_index_writes_the_postings_file(bundled_index):
    store = Store(bundled_index, readonly=True)
    saved = load_postings(bundled_index / POSTINGS_FILE)
    assert saved is not None and saved.generation == store.generation() and len(saved) == store.count() == 50
    assert np.array_equal(saved.rows, build_postings(store).rows)
    store.close()


def test_many_catch_ups_fold_into_one_segment_without_reading_everything_again(store, monkeypatch):
    from abstract_search.search import lexical

    monkeypatch.setattr(lexical, "MAX_SEGMENTS", 3)
    lexical = Lexical(store)
    base = lexical.segments()[0].postings
    for batch in range(5):
        first = 500 + 10 * batch
        store.write([(synthetic_paper(i), np.zeros(2, np.float32)) for i in range(first, first + 10)], [],
                    [f"p{batch}"])
        assert_same_as_fts5(lexical, store, "graph judge retrieval")
        assert len(lexical.segments()) <= 3
    assert lexical.segments()[0].postings is base  # the file's postings were kept, not rebuilt
