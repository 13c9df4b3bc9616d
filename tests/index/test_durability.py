"""Incremental embedding and crash safety of the index, through the real model, SQLite and FAISS."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.store import Store
from tests.conftest import ROOT, cli_env, cli_json, run_cli, shared_file


def new_papers(n: int, tag: str = "x") -> list[Paper]:
    """Return n distinct small papers."""
    return [
        Paper(id=f"{tag}-{i}", title=f"Synthetic study {tag} {i}", abstract=f"We measure effect number {i} of {tag} on retrieval quality.")
        for i in range(n)
    ]


def test_incremental_add_embeds_only_new_and_changed_papers(index_copy):
    engine = Engine(Settings(index=index_copy))
    before = engine.embedder.texts_encoded
    existing = list(engine.store.iter_papers())
    changed = Paper.from_dict({**existing[0].to_dict(), "abstract": existing[0].abstract + " Revised."})
    retitled_only = Paper.from_dict({**existing[1].to_dict(), "year": 1999})
    moved = Paper.from_dict({**existing[2].to_dict(), "source": "elsewhere.jsonl"})  # the same paper, another file
    report = engine.add(existing[3:] + [changed, retitled_only, moved] + new_papers(2))
    assert engine.embedder.texts_encoded - before == 3  # two new papers and one changed abstract
    assert sorted(report.added) == ["x-0", "x-1"]
    assert sorted(report.updated) == sorted([changed.id, retitled_only.id])
    assert len(report.unchanged) == 48 and moved.id in report.unchanged
    engine.close()
    reopened = Engine(Settings(index=index_copy))
    assert reopened.count() == 52
    assert reopened.get(changed.id).abstract.endswith("Revised.")
    assert reopened.reader.vectors.count == 52


def test_crash_in_the_middle_of_a_save_leaves_the_old_index_loadable(index_copy):
    # A child process adds papers, then dies inside the FAISS write, after half the bytes.
    script = f"""
import os, faiss, index.vector_index as vi
from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
engine = Engine(Settings(index={str(index_copy)!r}))
engine.add([Paper(id="crash-1", title="Crash test", abstract="Written before the crash, committed to SQLite.")])
data = faiss.serialize_index(engine.reader.vectors.index)
def dying_write(index, path):
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2].tobytes())
    os._exit(9)
vi.faiss.write_index = dying_write
engine.save()
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=cli_env(), capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    leftovers = [p.name for p in index_copy.iterdir() if ".tmp" in p.name]
    assert leftovers, "the half-written file should be a temporary file, never the live one"
    hits = cli_json("search", "Written before the crash", "--index", str(index_copy), "--k", "1")
    assert hits["results"][0]["id"] == "crash-1"  # acknowledged by SQLite, so it is caught up on load
    stats = json.loads(run_cli("stats", "--index", str(index_copy), "--json", check=True).stdout)
    assert stats["count"] == 51


def test_truncated_faiss_file_is_rebuilt_from_the_store(index_copy):
    vectors = index_copy / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:1000])
    result = run_cli("search", "papers on LLM judges", "--index", str(index_copy), "--json", check=True)
    assert len(json.loads(result.stdout)["results"]) == 10
    assert "Traceback" not in result.stderr


def test_stored_embeddings_match_a_fresh_encoding(bundled_index):
    engine = Engine(Settings(index=bundled_index))
    paper = next(engine.store.iter_papers())
    stored = engine.store.embedding_of(paper.id)
    fresh = engine.embed([paper.text()])[0]
    assert float(np.dot(stored, fresh)) > 0.999


def test_killed_build_leaves_a_whole_index_and_resumes(tmp_path):
    corpus = shared_file("scifact/corpus.jsonl")
    small = tmp_path / "corpus.jsonl"
    lines = corpus.read_text(encoding="utf-8").splitlines()[:400]
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    abstracts = Path(sys.executable).with_name("abstracts")
    env = {**cli_env(), "ABSTRACTS_COMMIT_EVERY": "100"}
    proc = subprocess.Popen([str(abstracts), "index", str(small), "--index", str(index_dir)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store_file = index_dir / "papers.sqlite"
    deadline = time.time() + 300
    # Kill it once its first chunk is committed, while it is embedding the rest.
    while time.time() < deadline and proc.poll() is None:
        if store_file.exists():
            try:
                if Store(index_dir, readonly=True).count() > 0:
                    break
            except Exception:
                pass
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = Store(index_dir, readonly=True).count()
    assert 0 < committed < 400
    hits = cli_json("search", "cancer", "--index", str(index_dir), "--k", "3")
    assert len(hits["results"]) == 3
    resumed = run_cli("index", str(small), "--index", str(index_dir), check=True)
    assert f"{400 - committed} added, 0 updated, {committed} unchanged" in resumed.stdout


def test_writes_run_in_one_thread_below_normal_priority():
    import os
    import threading

    from abstract_search.index.write_thread import run_in_write_thread

    def niceness() -> tuple[int, int]:
        return threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    here = niceness()
    first, second = run_in_write_thread(5, niceness), run_in_write_thread(5, niceness)
    assert first == second and first[0] != here[0]  # one thread, kept, not the caller's
    assert first[1] == min(19, here[1] + 5)
    assert run_in_write_thread(5, lambda: run_in_write_thread(5, niceness)) == first  # nested: no deadlock
    assert run_in_write_thread(0, niceness) == here  # 0: the caller's own thread, priority untouched
    try:
        run_in_write_thread(5, lambda: 1 / 0)
    except ZeroDivisionError:
        pass
    else:
        raise AssertionError("an error in the write thread must reach the caller")
