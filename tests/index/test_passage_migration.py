"""An index made before passage vectors keeps working, `abstracts reindex --passages` gives it passages once
and resumably, writes during the migration carry passages, and another scheme is refused with the fix named."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.errors import PassageSchemeError
from abstract_search.index.passages import SCHEME, Passages, split
from tests.conftest import as_index_before_passages, cli_json, run_cli


def stored_passages(engine: Engine) -> dict[str, Passages]:
    """Return every paper's stored passages, by id."""
    nums = {p.id: engine.store.num_of(p.id) for p in engine.store.iter_papers()}
    blobs = engine.store.passages_of(list(nums.values()))
    return {pid: Passages.from_bytes(blobs[num], engine.store.dimension()) for pid, num in nums.items() if num in blobs}


def test_an_old_index_searches_then_reindex_passages_migrates_it_once(index_copy):
    old = as_index_before_passages(index_copy)
    before = cli_json("search", "papers on LLM judges", "--index", str(old), "--mode", "dense")["results"]
    assert before and before[0]["score"] == pytest.approx(before[0]["cosine"], abs=1e-4)  # whole vectors only
    migrated = run_cli("reindex", "--passages", "--index", str(old), check=True)
    assert f"50 papers have passage vectors ({SCHEME})" in migrated.stdout
    assert "embedding passages: 50/50 papers" in migrated.stderr  # the progress line a log shows
    assert json.loads((old / "manifest.json").read_text())["passages"] == SCHEME
    again = run_cli("reindex", "--passages", "--index", str(old), check=True)
    assert "already has passage vectors" in again.stdout
    engine = Engine(Settings(index=old))
    try:
        assert engine.searcher.passages.active and engine.store.count_without_passages() == 0
        for paper in engine.store.iter_papers():  # each paper's passages are of its own text
            spans = stored_passages(engine)[paper.id].spans
            assert [tuple(s) for s in spans] == split(paper.title, paper.abstract, engine.embedder.piece_counts)[1]
    finally:
        engine.close()
    engine = Engine(Settings(index=old, read_only=True))
    try:  # the best passage now counts
        top = engine.search("papers on LLM judges", 1, mode="dense").hits[0]
        query = engine.embedder.encode_query("papers on LLM judges")[0]
        best = float(np.max(stored_passages(engine)[top.paper.id].vectors @ query))
        whole = float(engine.store.embedding_of(top.paper.id) @ query)
        assert top.score == pytest.approx((whole + best) / 2, abs=1e-4) and best != pytest.approx(whole, abs=1e-3)
    finally:
        engine.close(save=False)


def test_writes_during_a_migration_carry_passages_and_searches_wait_for_the_whole(index_copy):
    engine = Engine(Settings(index=as_index_before_passages(index_copy)))
    try:
        assert engine.writer.start_passages()  # a migration begins: nothing has passages yet
        assert engine.store.passage_target() == SCHEME and engine.store.passage_scheme() is None
        engine.add([Paper(id="during", title="Glacier flow", abstract="Glacier flow rates from satellite radar.")])
        assert "during" in stored_passages(engine)
        half = list(engine.store.iter_without_passages())[:25]
        engine.add_passages(half)
        assert not engine.searcher.passages.active  # half the papers: searches still use whole vectors alone
        hit = engine.search("glacier flow from radar", 1, mode="dense").hits[0]
        assert hit.paper.id == "during" and hit.score == pytest.approx(hit.cosine, abs=1e-5)
        engine.add_passages(list(engine.store.iter_without_passages()))
        assert engine.store.passage_scheme() == SCHEME and engine.searcher.passages.active
        assert len(stored_passages(engine)) == 51
    finally:
        engine.close()


def test_passages_of_another_scheme_are_refused_until_reindexed(index_copy):
    conn = sqlite3.connect(index_copy / "papers.sqlite")
    conn.execute("UPDATE meta SET value = 'sentences-64-v0' WHERE key = 'passages'")
    conn.commit()
    conn.close()
    record = index_copy.parent / "one.jsonl"
    record.write_text(json.dumps({"id": "new-1", "title": "Glacier flow", "abstract": "Glacier flow rates."}) + "\n")
    refused = run_cli("add", str(record), "--index", str(index_copy))
    assert refused.returncode == 1
    assert "'sentences-64-v0'" in refused.stderr and "abstracts reindex --passages" in refused.stderr
    engine = Engine(Settings(index=index_copy))
    try:
        with pytest.raises(PassageSchemeError):
            engine.add([Paper(id="new-1", title="Glacier flow", abstract="Glacier flow rates.")])
        assert not engine.searcher.passages.active  # an unknown scheme is not read: whole vectors rank
    finally:
        engine.close()
    run_cli("reindex", "--passages", "--index", str(index_copy), check=True)
    run_cli("add", str(record), "--index", str(index_copy), check=True)
    engine = Engine(Settings(index=index_copy))
    try:
        assert engine.store.passage_scheme() == SCHEME and len(stored_passages(engine)) == 51
    finally:
        engine.close()


def test_passages_are_stored_as_float16_within_a_rounding_of_the_model(index_copy):
    engine = Engine(Settings(index=index_copy))
    try:
        paper = next(engine.store.iter_papers())
        stored = stored_passages(engine)[paper.id]
        texts, _ = split(paper.title, paper.abstract, engine.embedder.piece_counts)
        fresh = engine.embedder.encode(texts)
        assert stored.vectors.shape == fresh.shape and np.min(np.sum(stored.vectors * fresh, axis=1)) > 0.999
    finally:
        engine.close()
