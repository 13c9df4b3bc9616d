"""The command line as people use it: help that reads right, progress when output is not a terminal, and
Ctrl-C during a build keeping what was committed."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import ABSTRACTS, cli_env, run_cli

COMMANDS = ("index", "add", "search", "similar", "show", "stats", "delete", "reindex", "shard", "embed", "eval",
            "serve")


def synthetic_papers(count: int) -> list[dict]:
    """Return distinct small papers (their words vary, so no two share an embedding)."""
    topics = ["graph neural networks", "protein folding", "speech recognition", "query expansion", "robot grasping",
              "climate models", "sparse attention", "causal inference", "federated learning", "image captioning"]
    return [{"id": f"syn-{i}", "title": f"Study {i} of {topics[i % 10]}",
             "abstract": f"We report experiment {i} on {topics[i % 10]} with {topics[(i * 7) % 10]} baselines, "
                         f"run {i * 3} times."} for i in range(count)]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_its_own_help_with_flags_read_as_flags(command):
    text = run_cli(command, "--help", check=True).stdout
    assert "<bool>" not in text  # --json, not --json <bool>
    if command in ("index", "add", "search", "stats", "serve"):
        assert "~/.local/share/abstract-search/index" in " ".join(text.split()) or "ABSTRACTS_INDEX" in text
    if command == "serve":
        assert "default 8000" in text and "default 127.0.0.1" in text
    if command == "add":
        assert "existing index" in text


def test_progress_lines_on_stderr_when_output_is_not_a_terminal_and_counts_end_right(tmp_path):
    source = tmp_path / "papers.jsonl"
    lines = [json.dumps(p) for p in synthetic_papers(30)]
    source.write_text("\n".join(lines[:10]) + "\n\n\n" + "\n".join(lines[10:]) + "\n\n", encoding="utf-8")
    result = run_cli("index", str(source), "--index", str(tmp_path / "index"), check=True)
    progress = [line for line in result.stderr.splitlines() if line.startswith("indexing papers.jsonl:")]
    assert progress, result.stderr
    assert progress[-1].startswith("indexing papers.jsonl: 30/30 papers (100%)"), progress  # blank lines: not 30/33
    csv = tmp_path / "papers.csv"
    csv.write_text("id,title,abstract\n" + "".join(f"{p['id']},{p['title']},{p['abstract'].replace(',', ';')}\n"
                                                   for p in synthetic_papers(12)), encoding="utf-8")
    result = run_cli("add", str(csv), "--index", str(tmp_path / "index"), check=True)
    assert "indexing papers.csv: 12/12 papers (100%)" in result.stderr  # the header is no paper: not 12/13


def committed(index_dir) -> int:
    """Return how many papers the store holds now (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{index_dir / 'papers.sqlite'}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_ctrl_c_during_a_build_keeps_what_was_committed_and_a_rerun_resumes(tmp_path):
    source = tmp_path / "papers.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in synthetic_papers(600)), encoding="utf-8")
    index_dir = tmp_path / "index"
    # Batches of at most 100 papers: the first (64) commits within seconds, and the stop lands before the end.
    env = {**cli_env(), "ABSTRACTS_COMMIT_EVERY": "100"}
    build = subprocess.Popen([str(ABSTRACTS), "index", str(source), "--index", str(index_dir)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while committed(index_dir) == 0 and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert build.poll() is None, "the build ended before it could be interrupted"
    build.send_signal(signal.SIGINT)
    stdout, stderr = build.communicate(timeout=300)
    assert build.returncode == 130, stderr
    kept = committed(index_dir)
    assert 0 < kept < 600 and kept in (64, 164, 264, 364, 464, 564), kept  # whole batches only
    assert f"has {kept} papers" in stderr and "run the same command again to resume" in stderr
    resumed = run_cli("index", str(source), "--index", str(index_dir), check=True)
    assert f"{600 - kept} added, 0 updated, {kept} unchanged, 0 skipped" in resumed.stdout
    assert committed(index_dir) == 600


def test_a_build_smaller_than_the_commit_batch_commits_by_time_too(tmp_path):
    """The first batch is small and the next ones last about COMMIT_EVERY_S: a 4,096-paper batch would hold
    a whole small build in one uncommitted transaction."""
    from abstract_search.api.engine import Engine
    from abstract_search.api.settings import Settings
    from abstract_search.data.paper import Paper
    from abstract_search.index.ingest import FIRST_CHUNK, ingest

    engine = Engine(Settings(index=tmp_path / "index"), create=True)
    sizes: list[int] = []

    def add(papers):  # the engine's own add, with each batch's size written down
        sizes.append(len(papers))
        return engine.add(papers)

    papers = [Paper(p["id"], p["title"], p["abstract"]) for p in synthetic_papers(400)]
    try:
        report = ingest(iter(papers[:200]), add)
        assert sizes[0] == FIRST_CHUNK and sum(sizes) == 200 and len(report.write.added) == 200
        sizes.clear()
        resumed = ingest(iter(papers), add)  # a resume: 200 unchanged papers go by fast, unembedded
    finally:
        engine.close()
    assert len(resumed.write.unchanged) == 200 and len(resumed.write.added) == 200 and not resumed.stopped
    assert all(after <= 2 * before for before, after in zip(sizes, sizes[1:])), sizes  # no jump to 4,096


def test_progress_lines_of_an_unknown_total_count_without_claiming_a_percentage(monkeypatch, capsys):
    from abstract_search.api import progress

    monkeypatch.setattr(progress, "LINE_EVERY_S", 0.0)  # a line at every step
    with progress.progress_lines("indexing refs.bib", None, "papers") as advance:
        advance(5)
        advance(7)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("indexing refs.bib: 5 papers, ") and "%" not in lines[0]  # not "5/5 (100%)"
    assert lines[-1].startswith("indexing refs.bib: 12/12 papers (100%)")
    with progress.progress_lines("indexing a.jsonl", 20, "papers") as advance:
        advance(5)
    assert capsys.readouterr().err.splitlines()[0].startswith("indexing a.jsonl: 5/20 papers (25%)")
