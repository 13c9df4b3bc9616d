"""`abstracts shard` and `add` to a cluster, SIGKILLed at each durable-write boundary they reach (the first
time each is reached): a cluster.json is only ever beside whole shards, a stopped shard says how to start
again, and a stopped add to a cluster is finished by running it again."""

from __future__ import annotations

import json
import shutil
import subprocess

from abstract_search.index.cluster import CLUSTER_FILE, ClusterManifest, shard_of
from tests.conftest import ABSTRACTS, cli_env
from tests.reliability.crash_points import usable

ADDED = [{"id": f"cluster-add-{i}", "title": f"Cluster paper {i}",
          "abstract": f"Experiment {i} on routing abstracts to shards of a search cluster."} for i in range(6)]


def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
    """Run the installed command with extra environment settings."""
    return subprocess.run([str(ABSTRACTS), *args], capture_output=True, text=True, timeout=300,
                          env={**cli_env(), "ABSTRACTS_COMMIT_EVERY": "3", **extra})


def first_points(log) -> list[str]:
    """Return each boundary a logged run reached, once, in the order first reached."""
    return list(dict.fromkeys(log.read_text().split()))


def test_a_killed_shard_leaves_no_cluster_or_a_whole_one(bundled_index, tmp_path):
    log = tmp_path / "points.log"
    assert run("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(tmp_path / "logged"),
               ABSTRACTS_CRASH_LOG=str(log)).returncode == 0
    points = first_points(log)
    assert f"renamed:{CLUSTER_FILE}" in points and "committed:papers.sqlite" in points
    for number, point in enumerate(points):
        out = tmp_path / f"killed-{number}"
        killed = run("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(out),
                     ABSTRACTS_CRASH_AT=point)
        assert killed.returncode == -9, (point, killed.stderr[-300:])
        if (out / CLUSTER_FILE).exists():
            manifest = ClusterManifest.load(out)  # whole, never half-written
            counts = [json.loads((d / "manifest.json").read_text())["count"] for d in manifest.shard_dirs(out)]
            assert counts == manifest.counts and sum(counts) == 50, point
        else:
            again = run("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(out))
            assert again.returncode == 1 and "remove the folder and run it again" in again.stderr, point
            shutil.rmtree(out)
            assert run("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(out)).returncode == 0


def test_a_killed_add_to_a_cluster_is_finished_by_running_it_again(bundled_index, tmp_path):
    base = tmp_path / "base"
    assert run("shard", "--index", str(bundled_index), "--shards", "2", "--out", str(base)).returncode == 0
    source = tmp_path / "add.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in ADDED), encoding="utf-8")
    logged = tmp_path / "logged"
    shutil.copytree(base, logged)
    log = tmp_path / "points.log"
    assert run("add", str(source), "--index", str(logged), ABSTRACTS_CRASH_LOG=str(log)).returncode == 0
    for number, point in enumerate(first_points(log)):
        cluster = tmp_path / f"killed-{number}"
        shutil.copytree(base, cluster)
        assert run("add", str(source), "--index", str(cluster), ABSTRACTS_CRASH_AT=point).returncode == -9, point
        again = run("add", str(source), "--index", str(cluster))
        assert again.returncode == 0 and "56 papers" in again.stdout, (point, again.stdout, again.stderr[-300:])
        assert sum(json.loads((cluster / CLUSTER_FILE).read_text())["counts"]) == 56, point
        for paper in ADDED:
            shard = cluster / f"shard-{shard_of(paper['id'], 2):03d}"
            shown = run("show", paper["id"], "--index", str(shard))
            assert shown.returncode == 0, (point, paper["id"])
    assert not usable(cluster / "shard-000") and not usable(cluster / "shard-001")
