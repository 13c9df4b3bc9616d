"""Shared by the reliability tests and bench/crash.py: synthetic papers, SIGKILL trials, and the checks after a crash.

A trial copies an index, starts a writer (`abstracts add` or `abstracts serve` taking `POST /papers`), kills it
with SIGKILL at a chosen moment, and then checks what a user relies on:

- the index loads (`abstracts stats` exits 0 without a traceback);
- every acknowledged paper is stored, unchanged, and found by searching its own text;
- SQLite and FAISS hold the same set of vector ids, before and after the vectors are saved again;
- every batch (an HTTP request, or one CLI commit chunk) is wholly in or wholly out, and CLI chunks commit in order.

The CLI acknowledges a file when it prints the file's summary line; the server acknowledges a request with a 200.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import httpx
import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.manifest import Manifest
from abstract_search.index.passage_matrix import PASSAGES_FILE, load_passage_matrix
from abstract_search.index.passages import Passages
from abstract_search.index.store import Store
from abstract_search.index.vector_index import VECTORS_FILE, read_vector_index
from abstract_search.index.vectors_sync import mask_stale
from tests.api.conftest import TOKEN, start_server, stop_server
from tests.conftest import cli_env

ABSTRACTS = Path(sys.executable).with_name("abstracts")
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SUBJECTS = ["dense retrieval", "query expansion", "citation graphs", "protein folding", "graph pruning",
            "speech recognition", "tokenizer design", "reward models", "sparse attention", "data curation",
            "peer review", "dataset shift", "code generation", "theorem proving", "image captioning"]
VERBS = ["measure", "improve", "explain", "compress", "evaluate", "simulate", "stabilize"]


def paper_record(tag: str, number: int, author: str | None = None) -> dict:
    """Return one short synthetic paper whose text differs from every other one's."""
    subject = SUBJECTS[number % len(SUBJECTS)]
    verb = VERBS[(number // len(SUBJECTS)) % len(VERBS)]
    record = {
        "id": f"{tag}-{number}",
        "title": f"{subject.title()} study {tag} {number}",
        "abstract": f"We {verb} {subject} in experiment {number} of series {tag}, with a short result.",
    }
    if author:
        record["authors"] = [author]
    return record


def paper_text(record: dict) -> str:
    """Return the text the engine embeds for a record (title and abstract)."""
    return Paper(id=record["id"], title=record["title"], abstract=record["abstract"]).text()


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records as JSON Lines."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def copy_index(source: Path, target: Path) -> Path:
    """Copy an index directory (a cleanly closed one: no WAL left)."""
    shutil.copytree(source, target)
    return target


@dataclass
class Verdict:
    """What the checks after a crash found."""

    problems: list[str] = field(default_factory=list)
    stored: int = 0  # papers in the store
    sent_present: int = 0  # papers of this trial that made it in
    acked: int = 0  # papers acknowledged to the writer
    faiss: int = 0  # vectors in the loaded FAISS index

    def fail(self, message: str) -> None:
        """Record a problem (the first few of each kind are enough to read)."""
        if len(self.problems) < 40:
            self.problems.append(message)


def verify_index(
    index_dir: Path,
    sent: dict[str, dict],
    acked: set[str],
    groups: list[list[str]],
    base_ids: set[str],
    deleted: set[str] = frozenset(),
    uncertain: set[str] = frozenset(),
    ordered: list[list[list[str]]] = (),
    cli_check: bool = True,
) -> Verdict:
    """Check an index after a crash; see the module docstring for what is checked.

    `sent`: every record the writer was given, by id. `acked`: ids whose write was acknowledged.
    `groups`: id lists that must be wholly in or wholly out. `deleted`: ids whose delete was acknowledged.
    `uncertain`: ids a delete was sent for without an answer (either state is fine; excluded from groups).
    `ordered`: per file, its chunks in order; a later chunk may only be in if every earlier one is.
    `cli_check`: first open the index with `abstracts stats`, as a user would (skip when a server did already).
    """
    verdict = Verdict(acked=len(acked - deleted))
    if cli_check:
        stats = subprocess.run([str(ABSTRACTS), "stats", "--index", str(index_dir), "--json"], capture_output=True,
                               text=True, env=cli_env(), timeout=300, check=False)
        if stats.returncode != 0 or "Traceback" in stats.stderr:
            verdict.fail(f"`abstracts stats` after the crash exited {stats.returncode}: {stats.stderr[-800:]}")
            return verdict
    engine = Engine(Settings(index=index_dir))
    try:
        vectors = engine.reader.vectors  # loads the FAISS file and catches it up with the store
        store_nums = set(engine.store.all_nums().tolist())
        faiss_nums = set(vectors.stored_ids().tolist()) - vectors.masked
        verdict.faiss = len(faiss_nums)
        if store_nums != faiss_nums or vectors.count != len(store_nums):
            verdict.fail(f"SQLite and FAISS disagree after loading: {len(store_nums - faiss_nums)} ids only in SQLite, "
                         f"{len(faiss_nums - store_nums)} only in FAISS, FAISS count {vectors.count}")
        stored = {p.id: p for p in engine.store.iter_papers()}
        verdict.stored = len(stored)
        for pid in sorted(set(stored) - base_ids - set(sent)):
            verdict.fail(f"{pid} is stored but was never sent")
        for pid in sorted(base_ids - set(stored) - deleted - uncertain):
            verdict.fail(f"{pid} was in the index before the trial and is gone")
        present = [pid for pid in sent if pid in stored]
        verdict.sent_present = len(present)
        for pid in present:
            paper, record = stored[pid], sent[pid]
            if (paper.title, paper.abstract) != (record["title"], record["abstract"]):
                verdict.fail(f"{pid} is stored with other text than was sent: {paper.title!r}")
        for pid in sorted(acked - deleted - uncertain - set(stored)):
            verdict.fail(f"{pid} was acknowledged and is missing")
        for pid in sorted(deleted & set(stored)):
            verdict.fail(f"{pid} was deleted (acknowledged) and is still stored")
        for group in groups:
            members = [pid for pid in group if pid not in deleted and pid not in uncertain]
            inside = [pid for pid in members if pid in stored]
            if inside and len(inside) != len(members):
                verdict.fail(f"batch {members[0]}..{members[-1]} is half in: {len(inside)} of {len(members)} papers")
        for chunks in ordered:
            pattern = [all(pid in stored for pid in chunk) for chunk in chunks]
            if pattern != sorted(pattern, reverse=True):
                verdict.fail(f"chunks committed out of order: {pattern}")
        wanted = [pid for pid in present if pid in acked or pid in sent]
        for start in range(0, len(wanted), 200):
            part = wanted[start : start + 200]
            answers = engine.search_many([paper_text(sent[pid]) for pid in part], k=1)
            for pid, results in zip(part, answers):
                top = results.hits[0].paper.id if results.hits else None
                if top != pid:
                    verdict.fail(f"{pid} is stored but searching its own text finds {top}")
    finally:
        engine.close()  # saves the caught-up FAISS file and manifest
    store = Store(index_dir, readonly=True)
    try:
        manifest = Manifest.load(index_dir)
        saved = read_vector_index(index_dir / VECTORS_FILE)
        mask_stale(saved, store)  # HNSW keeps a deleted vector, masked, until the next reindex compacts it
        if manifest.generation != store.generation():
            verdict.fail(f"saved manifest generation {manifest.generation} != store generation {store.generation()}")
        if set(saved.stored_ids().tolist()) - saved.masked != set(store.all_nums().tolist()):
            verdict.fail("the FAISS file saved after recovery disagrees with SQLite")
        problem = passage_matrix_problem(index_dir, store)
        if problem:
            verdict.fail(problem)
    finally:
        store.close()
    return verdict


def passage_matrix_problem(index_dir: Path, store: Store) -> str | None:
    """Return how the passage matrix beside the store disagrees with it, if it does (None: it agrees, or
    there is none of this store's to read, which searches then do without)."""
    matrix = load_passage_matrix(index_dir / PASSAGES_FILE, store)
    if matrix is None:
        return None
    blobs = store.passages_of(matrix.nums.tolist())
    dimension = store.dimension() or 0
    for position, num in enumerate(matrix.nums.tolist()):
        if num not in blobs:
            continue  # deleted since: the matrix keeps its rows, and no search asks for them
        stored = Passages.from_bytes(blobs[num], dimension)
        start, end = int(matrix.starts[position]), int(matrix.starts[position + 1])
        if not (np.array_equal(matrix.vectors[start:end].astype(np.float32), stored.vectors)
                and np.array_equal(matrix.spans[start:end], stored.spans)):
            return f"the passage matrix holds other passages for vector id {num} than the store"
    return None


# --- killing `abstracts add` ---------------------------------------------------------------

@dataclass
class Trial:
    """One kill trial: what was sent, acknowledged and found."""

    killed: bool
    delay_s: float
    acked: int
    sent_present: int
    sent: int
    verdict: Verdict
    leftover_tmp: bool = False
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.verdict.problems


@dataclass(frozen=True)
class KillPlan:
    """When to kill `abstracts add`: `fraction` of the way from commit number `after_commits` to the next one
    (0: from the start to the first commit), or, with `during_save`, as soon as a vector-file save is under way."""

    after_commits: int = 0
    fraction: float = 0.0
    during_save: bool = False

    @classmethod
    def random(cls, rng: random.Random, commits: int) -> KillPlan:
        """A moment spread evenly over start-up, each commit interval and the final save."""
        if rng.random() < 0.15:
            return cls(during_save=True)
        return cls(after_commits=rng.randrange(commits + 1), fraction=rng.random())

    def __str__(self) -> str:
        if self.during_save:
            return "during a vector-file save"
        return f"{self.fraction:.2f} past commit {self.after_commits}"


STARTUP_S = 2.0  # about how long `abstracts add` takes to reach its first commit here


def cli_kill_trial(base_index: Path, work: Path, tag: str, plan: KillPlan | None, files: int = 3,
                   per_file: int = 40, commit_every: int = 10) -> Trial:
    """Run `abstracts add` on `files` files and SIGKILL it at the moment `plan` names (None: let it finish)."""
    work.mkdir(parents=True, exist_ok=True)
    index_dir = copy_index(base_index, work / "index")
    base_ids = {p.id for p in _papers_of(index_dir)}
    base_generation = _generation(index_dir)
    sources, sent, ordered, groups = [], {}, [], []
    for f in range(files):
        records = [paper_record(f"{tag}f{f}", i) for i in range(per_file)]
        sources.append(write_jsonl(work / f"part{f}.jsonl", records))
        sent.update({r["id"]: r for r in records})
        ids = [r["id"] for r in records]
        chunks = [ids[i : i + commit_every] for i in range(0, len(ids), commit_every)]
        ordered.append(chunks)
        groups += chunks
    env = {**cli_env(), "ABSTRACTS_COMMIT_EVERY": str(commit_every), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([str(ABSTRACTS), "add", *map(str, sources), "--index", str(index_dir)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    errors: list[str] = []
    readers = [threading.Thread(target=lambda s, out: out.extend(s), args=(proc.stdout, lines), daemon=True),
               threading.Thread(target=lambda s, out: out.extend(s), args=(proc.stderr, errors), daemon=True)]
    for reader in readers:
        reader.start()
    started = time.monotonic()
    killed = _kill_when(proc, plan, index_dir, base_generation, started) if plan else False
    proc.wait(timeout=600)
    elapsed = time.monotonic() - started
    for reader in readers:
        reader.join(timeout=10)
    leftover = any(".tmp" in p.name for p in index_dir.iterdir())
    acked: set[str] = set()
    for line in lines:
        match = re.match(r"^(.*): \d+ added, \d+ updated, \d+ unchanged, \d+ skipped$", line.strip())
        if match and match[1] in map(str, sources):
            acked |= {r["id"] for r in map(json.loads, Path(match[1]).read_text().splitlines())}
    verdict = Verdict()
    if not killed and (proc.returncode != 0 or len(acked) != len(sent)):
        verdict.fail(f"an uninterrupted add exited {proc.returncode}, acknowledged {len(acked)} of {len(sent)}: "
                     f"{''.join(errors)[-800:]}")
    if "Traceback" in "".join(errors):
        verdict.fail(f"the add printed a traceback: {''.join(errors)[-800:]}")
    checked = verify_index(index_dir, sent, acked, groups, base_ids, ordered=ordered)
    verdict.problems += checked.problems
    for name in ("stored", "sent_present", "acked", "faiss"):
        setattr(verdict, name, getattr(checked, name))
    return Trial(killed=killed, delay_s=elapsed, acked=len(acked), sent_present=checked.sent_present,
                 sent=len(sent), verdict=verdict, leftover_tmp=leftover, detail=str(plan) if plan else "")


def _kill_when(proc: subprocess.Popen, plan: KillPlan, index_dir: Path, base_generation: int, started: float) -> bool:
    """Watch the store's commits (and the folder, for saves) and SIGKILL at the planned moment; return if killed."""
    commits = [started]  # when each commit was seen
    seen = base_generation
    kill_at = started + plan.fraction * STARTUP_S if plan.after_commits == 0 and not plan.during_save else None
    while proc.poll() is None:
        now = time.monotonic()
        if plan.during_save:
            if any(name.startswith(".vectors.faiss.tmp") for name in os.listdir(index_dir)):
                kill_at = now
        else:
            generation = _generation(index_dir)
            if generation > seen:
                commits += [now] * (generation - seen)
                seen = generation
                if kill_at is None and seen - base_generation >= plan.after_commits:
                    gaps = [b - a for a, b in pairwise(commits[1:])]
                    interval = sorted(gaps)[len(gaps) // 2] if gaps else STARTUP_S / 2
                    kill_at = now + plan.fraction * interval
        if kill_at is not None and now >= kill_at:
            proc.send_signal(signal.SIGKILL)
            return True
        time.sleep(0.001 if plan.during_save else 0.01)
    return False


def _generation(index_dir: Path) -> int:
    """Read the store generation without taking a write lock (0 while the store is unreadable)."""
    try:
        conn = sqlite3.connect(f"file:{index_dir / 'papers.sqlite'}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            return int(row[0]) if row else 0
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _papers_of(index_dir: Path) -> list[Paper]:
    store = Store(index_dir, readonly=True)
    try:
        return list(store.iter_papers())
    finally:
        store.close()


# --- killing the server during POST /papers -------------------------------------------------

@dataclass
class _Writes:
    """What the HTTP writers sent and what was answered."""

    sent: dict[str, dict] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    groups: list[list[str]] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    uncertain: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(base: str, tag: str, batch: int, writes: _Writes, stop: threading.Event, seed: int) -> None:
    """POST batches of new papers, and now and then DELETE an acknowledged one, until the server dies."""
    rng = random.Random(seed)
    number = 0
    with httpx.Client(base_url=base, timeout=60, headers=AUTH) as http:
        while not stop.is_set():
            number += 1
            with writes.lock:
                victims = sorted(writes.acked - writes.deleted - writes.uncertain)
            if number % 4 == 0 and victims:
                victim = rng.choice(victims)
                with writes.lock:
                    writes.uncertain.add(victim)
                try:
                    answer = http.delete(f"/papers/{victim}")
                except httpx.HTTPError:
                    return
                with writes.lock:
                    if answer.status_code == 200:
                        writes.uncertain.discard(victim)
                        writes.deleted.add(victim)
                    else:
                        writes.unexpected.append(f"DELETE {victim}: {answer.status_code} {answer.text[:200]}")
                continue
            records = [paper_record(f"{tag}b{number}", i) for i in range(batch)]
            with writes.lock:
                writes.sent.update({r["id"]: r for r in records})
                writes.groups.append([r["id"] for r in records])
            try:
                answer = http.post("/papers", json={"papers": records})
            except httpx.HTTPError:
                return  # no answer: the batch may be wholly in or wholly out
            with writes.lock:
                if answer.status_code == 200 and answer.json()["added"] == batch:
                    writes.acked |= {r["id"] for r in records}
                else:
                    writes.unexpected.append(f"POST: {answer.status_code} {answer.text[:200]}")


def http_kill_trial(base_index: Path, work: Path, tag: str, delay: float, writers: int = 2, batch: int = 10,
                    seed: int = 0) -> Trial:
    """Serve a copy of the index, write to it from `writers` clients, SIGKILL the server after `delay` s."""
    work.mkdir(parents=True, exist_ok=True)
    index_dir = copy_index(base_index, work / "index")
    base_ids = {p.id for p in _papers_of(index_dir)}
    proc, base = start_server(index_dir, {"ABSTRACTS_API_TOKEN": TOKEN})
    writes, stop = _Writes(), threading.Event()
    threads = [threading.Thread(target=_writer, args=(base, f"{tag}w{w}", batch, writes, stop, seed + w), daemon=True)
               for w in range(writers)]
    for thread in threads:
        thread.start()
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    leftover = any(".tmp" in p.name for p in index_dir.iterdir())
    verdict = Verdict()
    for line in writes.unexpected:
        verdict.fail(f"the server answered a write with an error: {line}")
    # The server restarts on the crashed index and serves every acknowledged paper.
    proc, base = start_server(index_dir, {"ABSTRACTS_API_TOKEN": TOKEN})
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            for pid in sorted(writes.acked - writes.deleted - writes.uncertain):
                if http.get(f"/papers/{pid}").status_code != 200:
                    verdict.fail(f"after a restart the server does not have acknowledged paper {pid}")
            for pid in sorted(writes.deleted):
                if http.get(f"/papers/{pid}").status_code != 404:
                    verdict.fail(f"after a restart the server still has deleted paper {pid}")
    finally:
        stop_server(proc)
    checked = verify_index(index_dir, writes.sent, writes.acked, writes.groups, base_ids,
                           deleted=writes.deleted, uncertain=writes.uncertain, cli_check=False)
    verdict.problems += checked.problems
    for name in ("stored", "sent_present", "acked", "faiss"):
        setattr(verdict, name, getattr(checked, name))
    return Trial(killed=True, delay_s=delay, acked=checked.acked, sent_present=checked.sent_present,
                 sent=len(writes.sent), verdict=verdict, leftover_tmp=leftover,
                 detail=f"{len(writes.deleted)} deletes acknowledged")
