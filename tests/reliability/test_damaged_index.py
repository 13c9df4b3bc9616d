"""Damaged index files: a clear message naming the file and the fix, never a traceback.

The derived files (vectors.faiss, manifest.json) are rebuilt from the store, by any command and by the server
at start. A damaged or locked store (papers.sqlite, the source of truth) is a clear error.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from abstract_search.index.manifest import Manifest
from abstract_search.index.store import Store
from abstract_search.index.vector_index import read_vector_index
from tests.api.conftest import LOCAL, TOKEN, start_server, stop_server
from tests.conftest import cli_env, run_cli
from tests.reliability.harness import paper_record, write_jsonl

MANIFEST_DAMAGE = {
    "bytes": lambda path: path.write_bytes(b"\xfd\x00garbage\xff" * 20),
    "json": lambda path: path.write_text('{"model": 3, "index_type": ["flat"]}'),
    "values": lambda path: path.write_text(json.dumps({**json.loads(path.read_text()), "index_type": "nope",
                                                       "generation": "x"})),
    "missing": lambda path: path.unlink(),
}
VECTORS_DAMAGE = {
    "truncated": lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3]),
    "garbage": lambda path: path.write_bytes(b"not a faiss index" * 100),
    "empty": lambda path: path.write_bytes(b""),
    "missing": lambda path: path.unlink(),
}


def assert_whole(index_dir: Path) -> None:
    """The manifest and FAISS file on disk agree with the store."""
    store = Store(index_dir, readonly=True)
    try:
        manifest = Manifest.load(index_dir)
        vectors = read_vector_index(index_dir / "vectors.faiss")
        assert manifest.generation == store.generation() and manifest.index_type == vectors.index_type
        assert set(vectors.stored_ids().tolist()) == set(store.all_nums().tolist())
    finally:
        store.close()


def clean_failure(result: subprocess.CompletedProcess, *names: str) -> str:
    """Assert the command failed with a clear one-line error naming `names`, and return it."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "error:" in result.stderr
    message = " ".join(result.stderr.split())
    for name in names:
        assert name in message, message
    return message


@pytest.mark.parametrize(("vectors_damage", "manifest_damage"),
                         [("truncated", "bytes"), ("garbage", "values"), ("missing", "json")])
def test_damaged_derived_files_are_rebuilt_by_commands(index_copy, vectors_damage, manifest_damage):
    VECTORS_DAMAGE[vectors_damage](index_copy / "vectors.faiss")
    MANIFEST_DAMAGE[manifest_damage](index_copy / "manifest.json")
    found = run_cli("stats", "--index", str(index_copy), "--json")
    assert found.returncode == 0 and "Traceback" not in found.stderr, found.stderr
    assert json.loads(found.stdout)["count"] == 50
    assert "manifest.json" in found.stderr and "abstracts reindex" in found.stderr  # names the file and the fix
    rebuilt = run_cli("reindex", "--index", str(index_copy))
    assert rebuilt.returncode == 0 and "Traceback" not in rebuilt.stderr, rebuilt.stderr
    assert_whole(index_copy)


@pytest.mark.parametrize("damage", ["values"])
def test_adding_to_an_index_with_a_damaged_manifest_works(index_copy, tmp_path, damage):
    MANIFEST_DAMAGE[damage](index_copy / "manifest.json")
    source = write_jsonl(tmp_path / "new.jsonl", [paper_record("dm", i) for i in range(3)])
    added = run_cli("add", str(source), "--index", str(index_copy))
    assert added.returncode == 0 and "Traceback" not in added.stderr, added.stderr
    assert_whole(index_copy)


def test_the_server_rebuilds_damaged_derived_files_and_starts(index_copy):
    VECTORS_DAMAGE["truncated"](index_copy / "vectors.faiss")
    MANIFEST_DAMAGE["bytes"](index_copy / "manifest.json")
    proc, base = start_server(index_copy, {"ABSTRACTS_API_TOKEN": TOKEN})
    try:
        assert_whole(index_copy)  # rewritten at start, not only at exit
        answer = httpx.get(f"{base}/search", params={"q": "papers on LLM judges"}, timeout=60)
        assert answer.status_code == 200 and len(answer.json()["results"]) == 10
        assert httpx.get(f"{base}/stats", timeout=60).json()["count"] == 50
    finally:
        stop_server(proc)


def corrupt_header(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.write(b"this is not an sqlite file at all")


def truncate_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 8])


@pytest.mark.parametrize("damage", [corrupt_header, truncate_half], ids=["header", "truncated"])
def test_a_damaged_store_is_a_clear_error_in_every_command(index_copy, tmp_path, damage):
    damage(index_copy / "papers.sqlite")
    source = write_jsonl(tmp_path / "new.jsonl", [paper_record("ds", 0)])
    commands = [("search", "papers on LLM judges"), ("add", str(source))]
    if damage is corrupt_header:
        commands += [("stats",), ("show", "x"), ("delete", "x"), ("reindex",)]
    for args in commands:
        message = clean_failure(run_cli(*args, "--index", str(index_copy)), "papers.sqlite")
        assert "damaged" in message and "backup" in message and "abstracts index" in message, message
    served = subprocess.run([str(Path(sys.executable).with_name("abstracts")), "serve", "--index", str(index_copy),
                             "--port", "9"], capture_output=True, text=True, env=cli_env(), timeout=120,
                            check=False)
    clean_failure(served, "papers.sqlite")


def test_a_locked_store_is_a_clear_error_and_changes_nothing(index_copy, tmp_path):
    source = write_jsonl(tmp_path / "new.jsonl", [paper_record("lk", i) for i in range(3)])
    holder = sqlite3.connect(index_copy / "papers.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds the store
    try:
        found = run_cli("search", "papers on LLM judges", "--index", str(index_copy), "--json")
        assert found.returncode == 0, found.stderr  # readers are not blocked by a writer (WAL)
        message = clean_failure(run_cli("add", str(source), "--index", str(index_copy)), "papers.sqlite")
        assert "locked by another process" in message and "try again" in message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert Store(index_copy, readonly=True).count() == 50
    assert run_cli("add", str(source), "--index", str(index_copy)).returncode == 0  # and it works once released


def test_a_locked_store_answers_503_to_writes_and_still_serves_searches(index_copy):
    app = create_app(Settings(index=index_copy, api_token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app, base_url=LOCAL) as client:
        holder = sqlite3.connect(index_copy / "papers.sqlite", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            assert client.get("/search", params={"q": "papers on LLM judges"}).status_code == 200
            answer = client.post("/papers", headers=auth, json={"papers": [paper_record("lk", 0)]})
            assert answer.status_code == 503
            assert "papers.sqlite" in answer.json()["detail"] and "locked" in answer.json()["detail"]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert client.post("/papers", headers=auth, json={"papers": [paper_record("lk", 0)]}).status_code == 200
        assert client.get("/stats").json()["count"] == 51
