"""SIGKILL at random moments during `abstracts add` and during `POST /papers`: nothing acknowledged is lost.

Each test runs 3 trials at random moments (for `abstracts add`: at start-up, at a random point between two of
its commits, or inside a vector-file save); bench/crash.py runs 20 or more and prints the figures. The checks
after each kill are in harness.verify_index. A failure prints the seed; ABSTRACTS_CRASH_SEED replays it.
"""

from __future__ import annotations

import os
import random

from tests.reliability.harness import KillPlan, cli_kill_trial, http_kill_trial

SEED = int(os.environ.get("ABSTRACTS_CRASH_SEED") or random.randrange(1 << 30))
TRIALS = 3


def test_killed_add_loses_no_acknowledged_paper(bundled_index, tmp_path):
    rng = random.Random(SEED)
    for number in range(TRIALS):
        plan = KillPlan.random(rng, commits=12)  # 3 files of 40 papers, a commit every 10
        trial = cli_kill_trial(bundled_index, tmp_path / f"t{number}", f"k{number}", plan=plan)
        assert trial.ok, f"seed {SEED}, kill {plan}: {trial.verdict.problems}"


def test_killed_server_loses_no_acknowledged_write(bundled_index, tmp_path):
    rng = random.Random(SEED + 1)
    acked = 0
    for number in range(TRIALS):
        delay = 0.5 + 3.5 * (number + rng.random()) / TRIALS  # one kill in each third of the first 4 s
        trial = http_kill_trial(bundled_index, tmp_path / f"t{number}", f"h{number}", delay=delay, seed=SEED + number)
        assert trial.ok, f"seed {SEED}, kill after {delay:.2f} s: {trial.verdict.problems}"
        acked += trial.acked
    assert acked > 0, "no write was acknowledged before any kill: the trials tested nothing"


def test_the_checks_catch_a_lost_paper_a_half_batch_and_a_disagreement(index_copy):
    """The checks can fail: a paper swapped for another behind the engine's back is reported three ways.

    (A paper only removed is caught by the loader itself, which rebuilds FAISS when its count disagrees with
    the store; a swap keeps the count, so only the ids disagree.)"""
    import sqlite3

    from abstract_search.api.engine import Engine
    from abstract_search.api.settings import Settings
    from abstract_search.data.paper import Paper
    from tests.reliability.harness import paper_record, verify_index

    records = [paper_record("chk", i) for i in range(4)]
    engine = Engine(Settings(index=index_copy))
    base_ids = {p.id for p in engine.store.iter_papers()}
    engine.add([Paper(id=r["id"], title=r["title"], abstract=r["abstract"]) for r in records])
    engine.close()
    with sqlite3.connect(index_copy / "papers.sqlite") as conn:
        columns = "title, abstract, authors, affiliations, date, year, categories, has_code, source, content_hash, " \
                  "text_hash, embedding, vec_gen"
        conn.execute(f"INSERT INTO papers (id, {columns}) SELECT 'chk-ghost', {columns} FROM papers WHERE id = ?",
                     (records[1]["id"],))
        conn.execute("DELETE FROM papers WHERE id = ?", (records[1]["id"],))
    verdict = verify_index(index_copy, {r["id"]: r for r in records}, {r["id"] for r in records},
                           [[r["id"] for r in records]], base_ids, cli_check=False)
    problems = " | ".join(verdict.problems)
    for kind in ("acknowledged and is missing", "half in", "disagree"):
        assert kind in problems, problems
