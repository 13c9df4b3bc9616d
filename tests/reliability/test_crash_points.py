"""SIGKILL every writing command at every rename, fsync and commit boundary: the index stays usable (0 unusable).

The commands are `add` (two commits), `delete` and `reindex` to every index type; crash_points.py says how the
kill is injected and what is checked. bench/crash.py --points runs the same matrix and prints its table.
"""

from __future__ import annotations

import pytest

from tests.reliability.crash_points import boundaries, commands, kill_at, run_all


def test_every_save_has_its_boundaries_named(bundled_index, tmp_path):
    points = boundaries(bundled_index, tmp_path, "add")
    for name in ("commit:papers.sqlite#2", "committed:papers.sqlite#2", "renamed:vectors.faiss#1",
                 "renamed:manifest.json#1", "synced:vectors.faiss#1", "dir-synced:manifest.json#1"):
        assert name in points, points
    assert points.index("renamed:vectors.faiss#1") < points.index("renamed:manifest.json#1")


def test_a_kill_between_the_vector_rename_and_the_manifest_rename_leaves_a_usable_index(bundled_index, tmp_path):
    """The attack's case: the manifest still says flat while vectors.faiss is already IVF."""
    trial = kill_at(bundled_index, tmp_path, "reindex:ivf", "renamed:vectors.faiss#1")
    assert trial.killed and not trial.problems, trial.problems


@pytest.mark.parametrize("command", commands())
def test_a_kill_at_any_boundary_leaves_a_usable_index(bundled_index, tmp_path, command):
    trials = run_all(bundled_index, tmp_path, [command])
    assert len(trials) >= 8, [t.point for t in trials]
    problems = {t.point: t.problems for t in trials if t.problems}
    assert not problems, problems
