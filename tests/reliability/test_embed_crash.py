"""`abstracts embed` SIGKILLed at each durable-write boundary it reaches (the manifest, and every shard's vectors,
passage vectors, records and done marker: written, synced, renamed, directory synced): running it again
finishes the job, skips only the shards marked done, and leaves the shards a run never killed writes."""

from __future__ import annotations

import json
import re

import numpy as np

from abstract_search.data.corpus import bundled_corpus_path, read_corpus
from abstract_search.data.paper import Paper
from tests.index.test_batch_embed import assert_same_passages, shard_passages, shard_vectors
from tests.reliability.test_shard_crash import first_points, run

SHARD_SIZE = "3"  # six papers in two shards


def test_a_killed_embed_is_finished_by_running_it_again(tmp_path):
    papers = [r for r in read_corpus(bundled_corpus_path()) if isinstance(r, Paper)][:6]
    source = tmp_path / "six.jsonl"
    source.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in papers), encoding="utf-8")
    clean, log = tmp_path / "clean", tmp_path / "points.log"
    assert run("embed", str(source), "--out", str(clean), "--shard-size", SHARD_SIZE,
               ABSTRACTS_CRASH_LOG=str(log)).returncode == 0
    points = first_points(log)
    for name in ("embeddings.json", "shard-00000.npy", "shard-00001.passages.npz", "shard-00001.done"):
        assert {f"{step}:{name}" for step in ("written", "synced", "renamed", "dir-synced")} <= set(points), name
    vectors, passages = shard_vectors(clean), shard_passages(clean)
    for number, point in enumerate(points):
        out = tmp_path / f"killed-{number}"
        killed = run("embed", str(source), "--out", str(out), "--shard-size", SHARD_SIZE, ABSTRACTS_CRASH_AT=point)
        assert killed.returncode == -9, (point, killed.stderr[-300:])
        done = len(list(out.glob("shard-*.done"))) if out.exists() else 0
        again = run("embed", str(source), "--out", str(out), "--shard-size", SHARD_SIZE)
        assert again.returncode == 0, (point, again.stderr[-300:])
        assert re.search(rf"\({2 - done} embedded now, {done} already done\)", again.stdout), (point, again.stdout)
        assert not [p.name for p in out.iterdir() if ".tmp-" in p.name], point
        found = shard_vectors(out)
        assert set(found) == set(vectors), point
        assert all(np.allclose(found[pid], vectors[pid], atol=1e-5) for pid in vectors), point
        assert_same_passages(shard_passages(out), passages)
