"""A read-only index directory and a full disk during a write: a clear error, and a whole index after.

The test makes a private mount namespace (`unshare -m`) and mounts a read-only bind or a small tmpfs there,
so nothing leaks to the rest of the machine; where it cannot (no root, no unshare), it skips with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from abstract_search.index.store import STORE_FILE, Store
from tests.api.conftest import TOKEN, free_port
from tests.conftest import cli_env
from tests.reliability.harness import AUTH, paper_record, verify_index, write_jsonl

ABSTRACTS = Path(sys.executable).with_name("abstracts")


@pytest.fixture(scope="module")
def namespace(tmp_path_factory) -> None:
    """Skip unless this process can mount a tmpfs in a private mount namespace."""
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed: cannot make a private mount namespace")
    target = tmp_path_factory.mktemp("probe")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {shlex.quote(str(target))}"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a private mount namespace (needs root): {probe.stderr.strip()}")


def in_namespace(script: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a shell script in a private mount namespace; its mounts vanish when it ends."""
    return subprocess.run(["unshare", "-m", "sh", "-ec", script], capture_output=True, text=True, env=cli_env(),
                          timeout=timeout, check=False)


def digest(index_dir: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(index_dir.iterdir())}


# Run inside the namespace by the read-only test: wait for the server, search, try a write, report as JSON.
PROBE_SERVER = """
import json, sys, time, urllib.error, urllib.request
base, out = sys.argv[1], sys.argv[2]
for _ in range(300):
    try:
        health = json.load(urllib.request.urlopen(base + "/health"))
        break
    except OSError:
        time.sleep(0.3)
found = json.load(urllib.request.urlopen(base + "/search?q=graph+neural+networks&k=3"))
request = urllib.request.Request(base + "/papers", method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps([{"id": "ro-x", "title": "T", "abstract": "An abstract."}]).encode())
try:
    urllib.request.urlopen(request)
    write = {"status": 200, "detail": ""}
except urllib.error.HTTPError as exc:
    write = {"status": exc.code, "detail": json.load(exc)["detail"]}
json.dump({"health": health, "hits": len(found["results"]), "write": write}, open(out, "w"))
"""


@pytest.mark.parametrize("copied", ["closed", "while-open"])
def test_a_read_only_index_directory_is_served_read_only_and_refuses_writes_clearly(namespace, bundled_index,
                                                                                   index_copy, tmp_path, copied):
    """while-open: a copy taken while another process had the store open keeps its -wal and -shm files, and
    SQLite reads those; closed: no -shm file can be made, so the store opens immutable. Either way searches
    work, `add` exits 1 naming the read-only store and the fix, POST /papers is 403, and no byte changes."""
    if copied == "while-open":
        shutil.rmtree(index_copy)
        with closing(sqlite3.connect(bundled_index / STORE_FILE)) as held:
            held.execute("SELECT count(*) FROM papers").fetchone()
            shutil.copytree(bundled_index, index_copy)
        assert (index_copy / f"{STORE_FILE}-shm").exists()
    source = write_jsonl(tmp_path / "new.jsonl", [paper_record("ro", i) for i in range(5)])
    (tmp_path / "probe.py").write_text(PROBE_SERVER)
    before = digest(index_copy)
    index, out, port = shlex.quote(str(index_copy)), shlex.quote(str(tmp_path)), free_port()
    ran = in_namespace(f"""
        mount --bind {index} {index}
        mount -o remount,bind,ro {index}
        touch {index}/probe 2>/dev/null && exit 99
        set +e
        timeout 120 {ABSTRACTS} add {shlex.quote(str(source))} --index {index} >{out}/add.out 2>{out}/add.err
        echo $? >{out}/add.rc
        {ABSTRACTS} serve --index {index} --port {port} >{out}/serve.out 2>{out}/serve.err &
        server=$!
        timeout 150 {sys.executable} {out}/probe.py http://127.0.0.1:{port} {out}/http.json
        kill $server; wait $server; exit 0
    """)
    if ran.returncode == 99:
        pytest.skip("a read-only bind mount still accepts writes here")
    assert ran.returncode == 0, ran.stderr
    rc = int((tmp_path / "add.rc").read_text())
    err = " ".join((tmp_path / "add.err").read_text().split())
    assert rc == 1 and "Traceback" not in err, err
    assert "papers.sqlite" in err and "read-only" in err and "--index" in err, err
    served = json.loads((tmp_path / "http.json").read_text())
    assert served["health"] == {"status": "ok", "papers": 50, "read_only": True}
    assert served["hits"] == 3
    assert served["write"]["status"] == 403 and "read-only" in served["write"]["detail"], served
    assert "read-only" in (tmp_path / "serve.err").read_text()
    assert digest(index_copy) == before
    assert Store(index_copy, readonly=True).count() == 50


@pytest.mark.parametrize("full", ["bytes", "inodes"])
def test_a_full_disk_during_add_is_a_clear_error_and_leaves_a_whole_index(namespace, index_copy, tmp_path, full):
    """bytes: not even the commit fits, so nothing changes. inodes: the commit fits in the files SQLite already
    has, then the vector file cannot be created; the store keeps the whole batch and the vectors catch up."""
    records = [paper_record(f"full{full}", i) for i in range(300)]
    source = write_jsonl(tmp_path / "new.jsonl", records)
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    # tmpfs inodes: the root, the index folder, its 5 files (store, vectors, manifest, postings, passage
    # matrix), then SQLite's -wal and -shm: none left after that.
    options = "size=8m" if full == "bytes" else "size=8m,nr_inodes=9"
    fill = f"dd if=/dev/zero of={mnt}/filler bs=4k 2>/dev/null || true" if full == "bytes" else ":"
    ran = in_namespace(f"""
        mount -t tmpfs -o {options} tmpfs {mnt}
        cp -a {shlex.quote(str(index_copy))} {mnt}/index
        {fill}
        set +e
        {ABSTRACTS} add {source} --index {mnt}/index >{out}/add.out 2>{out}/add.err; echo $? >{out}/add.rc
        cp -a {mnt}/index {out}/index
    """)
    assert ran.returncode == 0, ran.stderr
    rc = int((out / "add.rc").read_text())
    err = " ".join((out / "add.err").read_text().split())
    assert rc == 1 and "Traceback" not in err, err
    if full == "bytes":
        assert "papers.sqlite" in err and "disk is full" in err and "Nothing from this write was kept" in err, err
    else:
        assert "No space left on device" in err and "papers are safe in the store" in err, err
    stored = Store(out / "index", readonly=True).count()
    assert stored == (50 if full == "bytes" else 350)
    sent = {r["id"]: r for r in records}
    verdict = verify_index(out / "index", sent, acked=set(), groups=[list(sent)],
                           base_ids={p.id for p in Store(index_copy, readonly=True).iter_papers()})
    assert verdict.problems == []


def test_a_full_disk_under_the_server_answers_503_and_recovers(namespace, index_copy, tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    port = free_port()
    env = {**cli_env(), "ABSTRACTS_API_TOKEN": TOKEN}
    proc = subprocess.Popen(["unshare", "-m", "sh", "-ec", f"""
        mount -t tmpfs -o size=8m tmpfs {mnt}
        cp -a {shlex.quote(str(index_copy))} {mnt}/index
        exec {ABSTRACTS} serve --index {mnt}/index --port {port}
    """], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None and time.time() < deadline, "server did not start"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        filler = Path(f"/proc/{proc.pid}/root") / str(mnt).lstrip("/") / "filler"  # the server's tmpfs
        with open(filler, "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * (1 << 16))
                    handle.flush()
            except OSError:
                pass
        batch = [paper_record("srvfull", i) for i in range(20)]
        with httpx.Client(base_url=base, timeout=120) as http:
            refused = http.post("/papers", headers=AUTH, json={"papers": batch})
            assert refused.status_code == 503, refused.text
            assert "papers.sqlite" in refused.json()["detail"] and "disk is full" in refused.json()["detail"]
            assert http.get("/search", params={"q": "papers on LLM judges"}).status_code == 200
            assert http.get(f"/papers/{batch[0]['id']}").status_code == 404
            assert http.get("/stats").json()["count"] == 50
            os.unlink(filler)
            accepted = http.post("/papers", headers=AUTH, json={"papers": batch})
            assert accepted.status_code == 200 and accepted.json()["added"] == 20, accepted.text
            assert http.get("/stats").json()["count"] == 70
            found = http.post("/search", json={"queries": [f"{r['title']}. {r['abstract']}" for r in batch], "k": 1})
            assert [page["results"][0]["id"] for page in found.json()["data"]] == [r["id"] for r in batch]
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_request_limits_each_have_their_own_clear_error(client, auth):
    """Body size, batch size and query length: each refused with a message that says which limit."""
    settings = client.app.state.settings
    big = client.post("/papers", headers={**auth, "Content-Type": "application/json"},
                      content=b'{"papers": [' + b" " * settings.max_body_bytes + b"]}")
    assert big.status_code == 413 and "Too Large" in big.text  # FastAPI's max_body_size, before any read
    many = [{"id": f"m{i}", "abstract": "x"} for i in range(settings.max_batch + 1)]
    batch = client.post("/papers", headers=auth, json={"papers": many})
    assert batch.status_code == 413 and f"at most {settings.max_batch}" in batch.json()["detail"]
    texts = client.post("/embed", json={"texts": ["x"] * (settings.max_batch + 1)})
    assert texts.status_code == 413 and f"at most {settings.max_batch}" in texts.json()["detail"]
    queries = client.post("/search", json={"queries": ["x"] * (settings.max_queries + 1)})
    assert queries.status_code == 413 and f"at most {settings.max_queries}" in queries.json()["detail"]
    long = client.get("/search", params={"q": "x" * (settings.max_query_chars + 1)})
    assert long.status_code == 422 and f"longer than {settings.max_query_chars}" in long.json()["detail"]
    pasted = client.post("/similar", json={"text": "x" * (settings.max_query_chars + 1)})
    assert pasted.status_code == 422 and f"longer than {settings.max_query_chars}" in pasted.json()["detail"]
    field = client.post("/papers", headers=auth, json={"papers": [{"id": "f", "abstract": "y" * 100_001}]})
    assert field.status_code == 200 and field.json()["data"][0]["status"] == "rejected"
    assert "at most 100,000 are accepted" in field.json()["data"][0]["reason"]
    assert client.get("/stats").json()["count"] == 50
