"""Serving a read-only copy of an index: --read-only, or files without write bits. Searches work; writes are
refused with 403 (HTTP) or exit 1 (CLI), naming why; no byte of the index changes."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import httpx
import pytest

from abstract_search.index.store import STORE_FILE
from tests.api.conftest import start_server, stop_server
from tests.conftest import run_cli

NEW_PAPER = [{"id": "ro-1", "title": "A read-only test", "abstract": "Nothing should store this abstract."}]


def digest(index_dir: Path) -> dict[str, str]:
    """Hash every index file; SQLite's -shm (reader coordination) is left out, and -wal must hold nothing."""
    files = {p.name: p.read_bytes() for p in sorted(index_dir.iterdir()) if not p.name.endswith("-shm")}
    assert not files.pop(f"{STORE_FILE}-wal", b""), "a read-only server wrote to the store's journal"
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def without_write_bits(index_dir: Path) -> None:
    for path in [*index_dir.iterdir(), index_dir]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def read_only_copy(index_copy):
    run_cli("stats", "--index", str(index_copy), check=True)  # the derived files are saved and caught up
    without_write_bits(index_copy)
    yield index_copy
    for path in [index_copy, *index_copy.iterdir()]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize("how", ["--read-only", "no write bits"])
def test_a_read_only_server_answers_searches_and_refuses_every_write_with_403(index_copy, read_only_copy, how):
    index = read_only_copy if how == "no write bits" else index_copy
    before = digest(index)
    proc, base = start_server(index, args=("--read-only",) if how == "--read-only" else ())
    try:
        assert httpx.get(f"{base}/health").json() == {"status": "ok", "papers": 50, "read_only": True}
        found = httpx.get(f"{base}/search", params={"q": "graph neural networks", "k": 3}).json()
        assert len(found["results"]) == 3
        first = found["results"][0]["id"]
        assert httpx.get(f"{base}/papers/{first}/similar", params={"k": 2}).status_code == 200
        writes = [httpx.post(f"{base}/papers", json=NEW_PAPER), httpx.delete(f"{base}/papers/{first}"),
                  httpx.post(f"{base}/papers", files={"file": ("a.jsonl", b'{"id": "x"}\n')})]
        for answer in writes:
            assert answer.status_code == 403, answer.text
            assert "read-only" in answer.json()["detail"] and "--index" in answer.json()["detail"]
        assert httpx.get(f"{base}/papers/{first}").status_code == 200
    finally:
        stop_server(proc)
    assert digest(index) == before


def test_the_cli_searches_a_read_only_index_and_refuses_to_change_it(read_only_copy, tmp_path):
    before = digest(read_only_copy)
    found = run_cli("search", "graph neural networks", "--index", str(read_only_copy), "--json")
    assert found.returncode == 0, found.stderr
    source = tmp_path / "new.jsonl"
    source.write_text('{"id": "ro-1", "title": "T", "abstract": "An abstract of a paper."}\n')
    for args in (("add", str(source)), ("delete", "anything"), ("reindex",)):
        ran = run_cli(*args, "--index", str(read_only_copy))
        message = " ".join(ran.stderr.split())
        assert ran.returncode == 1 and "Traceback" not in message, message
        assert "read-only" in message and STORE_FILE in message and "--index" in message, message
    assert digest(read_only_copy) == before


def test_without_the_power_to_override_permissions_a_copy_without_write_bits_is_served(index_copy):
    """As a user who is not root: SQLite cannot make its -shm file in a directory without write bits, so the
    store opens immutable, which is safe only while nothing can change it: a store file without write bits.
    With write bits on the file it is refused, naming the fix."""
    import os
    import shutil
    import subprocess

    from tests.conftest import ABSTRACTS, cli_env

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to drop the power to override file permissions")
    run_cli("stats", "--index", str(index_copy), check=True)  # a clean close: no -wal or -shm left
    assert not (index_copy / f"{STORE_FILE}-shm").exists()
    store = index_copy / STORE_FILE
    drop = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]

    def search() -> subprocess.CompletedProcess:
        return subprocess.run([*drop, str(ABSTRACTS), "search", "graph neural networks", "--index", str(index_copy),
                               "--json"], capture_output=True, text=True, env=cli_env(), timeout=300)

    try:
        without_write_bits(index_copy)
        served = search()
        assert served.returncode == 0, served.stderr
        store.chmod(0o644)  # the file could now be changed by its owner under an immutable reader
        refused = search()
        message = " ".join(refused.stderr.split())
        assert refused.returncode == 1 and "Traceback" not in message, message
        assert f"{STORE_FILE}-shm" in message and "chmod a-w" in message, message
    finally:
        index_copy.chmod(0o755)
        store.chmod(0o644)
