"""Values cached per store generation (paper count, categories, passage use, dense moments) follow commits:
the same value until a write commits, a new one after it, made once however many threads ask."""

from __future__ import annotations

import threading
import time

from abstract_search.data.paper import Paper
from abstract_search.search.per_generation import PerGeneration


def test_cached_values_change_after_a_commit_and_only_then(engine, monkeypatch):
    counts = []
    real_count = engine.store.count
    monkeypatch.setattr(engine.store, "count", lambda: counts.append(1) or real_count())  # counts the real calls
    engine.searcher.paper_count()
    asked = len(counts)
    for _ in range(5):
        engine.searcher.paper_count()
    assert len(counts) == asked  # the search path's count is not asked again without a commit
    made = []
    counted = PerGeneration(engine.store, lambda: made.append(1) or engine.store.count())
    before, categories = counted.get(), engine.categories()
    assert counted.get() == before == engine.searcher.paper_count() and len(made) == 1
    sums = engine.searcher.dense_stats.sums()
    assert engine.searcher.dense_stats.sums() is sums  # not drawn again without a commit
    engine.add([Paper(id="per-generation-1", title="Generation counters for caches",
                      abstract="A cache of a count is kept until the next commit.", categories=["cs.DB"])])
    assert counted.get() == before + 1 == engine.searcher.paper_count() and len(made) == 2
    assert engine.searcher.dense_stats.sums() is not sums
    found = {row["category"]: row["papers"] for row in engine.categories()}
    assert found.get("cs.DB", 0) == {r["category"]: r["papers"] for r in categories}.get("cs.DB", 0) + 1
    assert engine.searcher.passages.active  # still every paper with passages after the write


def test_many_threads_asking_at_once_make_the_value_once(engine):
    started, made = threading.Barrier(8), []

    def make():
        made.append(1)
        time.sleep(0.05)  # long enough that, unguarded, every thread would make it
        return engine.store.count()

    cached = PerGeneration(engine.store, make)
    answers = []

    def ask():
        started.wait()
        answers.append(cached.get())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and answers == [engine.store.count()] * 8


class Commits:
    """A generation counter a test moves by hand: what PerGeneration reads of a store."""

    def __init__(self):
        self.value = 0

    def generation(self) -> int:
        """Return the commits so far."""
        return self.value


def test_a_commit_while_the_value_is_made_makes_it_again_next_time():
    commits, made = Commits(), []

    def make():
        made.append(commits.value)
        if len(made) == 1:
            commits.value += 1  # a commit lands while the first value is being made
        return len(made)

    cached = PerGeneration(commits, make)
    assert cached.get() == 1
    assert cached.get() == 2 and made == [0, 1]  # the first was tagged with the generation before the commit
    assert cached.get() == 2 and len(made) == 2
