"""The memory-mapped passage matrix (index/passage_matrix.py): derived from the store, the same answers with
it as without it, right for the papers it holds when it lags, and ignored when it is not this store's."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.passage_matrix import PASSAGES_FILE, build_passage_matrix, load_passage_matrix
from abstract_search.index.passages import SCHEME, Passages
from tests.conftest import run_cli

QUERIES = ("papers on LLM judges", "dialogue safety", "preference optimization for reasoning", "retrieval")


def answers(index_dir, mode: str) -> list:
    """Return (id, score, cosine, snippet) of the top 10 for each query, from a fresh read-only engine."""
    engine = Engine(Settings(index=index_dir, read_only=True, mmap=True))
    try:
        return [[(h.paper.id, round(h.score, 6), round(h.cosine, 6), h.snippet) for h in engine.search(q, 10, mode=mode)]
                for q in QUERIES]
    finally:
        engine.close(save=False)


def test_an_index_build_writes_the_matrix_with_every_papers_stored_passages(bundled_index):
    engine = Engine(Settings(index=bundled_index, read_only=True))
    matrix = load_passage_matrix(bundled_index / PASSAGES_FILE, engine.store)
    assert matrix is not None and len(matrix) == engine.count() == 50
    blobs = engine.store.passages_of(matrix.nums.tolist())
    dimension = engine.store.dimension()
    for position, num in enumerate(matrix.nums.tolist()):
        stored = Passages.from_bytes(blobs[num], dimension)
        vectors, counts, _ = matrix.rows(np.array([position]))
        assert counts[0] == len(stored.spans)
        assert np.array_equal(vectors, stored.vectors)
        start = matrix.starts[position]
        assert np.array_equal(matrix.spans[start:start + counts[0]], stored.spans)


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_searches_answer_the_same_with_and_without_the_matrix(index_copy, mode):
    with_matrix = answers(index_copy, mode)
    (index_copy / PASSAGES_FILE).unlink()
    assert answers(index_copy, mode) == with_matrix


def test_a_lagging_matrix_is_right_for_what_it_holds_and_the_rest_comes_from_the_store(index_copy):
    engine = Engine(Settings(index=index_copy))
    engine.add([Paper(id="new-1", title="Judging chatbots with strong language models",
                      abstract="We study whether large language models can grade the answers of other models. "
                               "Agreement with human preferences exceeds eighty percent on two benchmarks.")])
    engine.close()  # 1 of 51 papers written: under 5%, so the matrix is not rewritten
    engine = Engine(Settings(index=index_copy, read_only=True))
    matrix = load_passage_matrix(index_copy / PASSAGES_FILE, engine.store)
    assert matrix is not None and matrix.generation < engine.store.generation()
    assert engine.store.num_of("new-1") not in set(matrix.nums.tolist())
    engine.close(save=False)
    lagging = {mode: answers(index_copy, mode) for mode in ("dense", "hybrid")}
    (index_copy / PASSAGES_FILE).unlink()
    assert {mode: answers(index_copy, mode) for mode in ("dense", "hybrid")} == lagging
    engine = Engine(Settings(index=index_copy, read_only=True))
    hit = engine.search("can a language model grade other models' answers", 1, mode="dense").hits[0]
    assert hit.paper.id == "new-1" and hit.passage is not None  # its passages were read from the store


def test_a_damaged_or_foreign_matrix_is_ignored_and_the_next_save_rewrites_it(index_copy, tmp_path):
    expected = answers(index_copy, "dense")
    path = index_copy / PASSAGES_FILE
    whole = path.read_bytes()
    store = Engine(Settings(index=index_copy, read_only=True)).store
    for cut in (1000, len(whole) // 2, len(whole) - 1):  # inside the header, an array, the last byte
        path.write_bytes(whole[:cut])
        assert load_passage_matrix(path, store) is None, cut
    assert answers(index_copy, "dense") == expected
    corpus = tmp_path / "other.jsonl"  # another store: its vector ids name other papers
    corpus.write_text("".join(json.dumps({"id": f"o{i}", "title": f"Other paper {i}",
                                          "abstract": f"A study of tides and moons, number {i}. It has two sentences."})
                              + "\n" for i in range(60)))
    run_cli("index", str(corpus), "--index", str(tmp_path / "other"), check=True)
    shutil.copy(tmp_path / "other" / PASSAGES_FILE, path)
    engine = Engine(Settings(index=index_copy))
    assert load_passage_matrix(path, engine.store) is None
    assert answers(index_copy, "dense") == expected
    engine.add([Paper(id="extra", title="A paper", abstract="Something new about retrieval.")])
    engine.close()  # the save finds no matrix of its own and writes one
    engine = Engine(Settings(index=index_copy, read_only=True))
    rebuilt = load_passage_matrix(path, engine.store)
    assert rebuilt is not None and len(rebuilt) == engine.count()
    assert np.array_equal(rebuilt.vectors, build_passage_matrix(engine.store).vectors)


def test_a_matrix_read_before_a_migration_wrote_every_passage_again_is_not_used(index_copy):
    """Another version's scheme, then this one's again: the same vector ids, passages written anew."""
    path = index_copy / PASSAGES_FILE
    engine = Engine(Settings(index=index_copy))
    assert load_passage_matrix(path, engine.store) is not None
    store = engine.store
    store.start_passages("sentences-64-v0")  # as another version's `reindex --passages` starts
    store.start_passages(SCHEME)  # and this version's takes it back: every paper's passages are dropped
    papers = [paper for _, paper in store.without_passages(0, 1000)]
    engine.add_passages(papers)
    assert store.passage_scheme() == SCHEME
    assert load_passage_matrix(path, store) is None  # same scheme, same store, same ids: still refused
    reader = Engine(Settings(index=index_copy, read_only=True))
    assert reader.searcher.passages.matrix() is None
    engine.close()  # the save writes the matrix again
    assert load_passage_matrix(path, reader.store) is not None


def test_spans_from_the_matrix_and_the_store_travel_as_one_dict(index_copy):
    engine = Engine(Settings(index=index_copy))
    engine.add([Paper(id="late", title="Late paper", abstract="Written after the matrix. It says little.")])
    engine.close()  # under 5%: the matrix stays as it was, without the late paper
    engine = Engine(Settings(index=index_copy, read_only=True))
    nums = [int(n) for n in engine.store.all_nums()]
    vector = engine.embedder.encode_query("papers on LLM judges").reshape(-1)
    whole = np.array([engine.store.vectors_of([n])[n] @ vector for n in nums])
    scores, spans = engine.searcher.passages.rescore(vector, nums, whole)
    assert len(spans) == len(nums) and engine.store.num_of("late") in spans
    sent = pickle.loads(pickle.dumps(spans))
    assert type(sent) is dict and sent == dict(spans)
