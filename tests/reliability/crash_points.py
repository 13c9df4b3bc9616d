"""Kill a writing command at each of its durable-write boundaries, deterministically, and check the index after.

A command is first run to completion with ABSTRACTS_CRASH_LOG, which lists every boundary it reaches (each
write, fsync, rename and directory fsync of every atomic save, and each SQLite commit, see index/crashpoints.py).
Then, for each boundary, a fresh copy of the index runs the command again with ABSTRACTS_CRASH_AT set to it,
so the command SIGKILLs itself exactly there. After each kill the index must be usable as a user would use it:
it loads, nothing committed is lost, SQLite and FAISS agree (harness.verify_index), and a delete, a text update
and an add all work and are found by search, also with the vector file memory-mapped as `serve` maps it.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from tests.conftest import cli_env
from tests.reliability.harness import ABSTRACTS, copy_index, paper_record, verify_index, write_jsonl

ADDED = 12  # papers `add` writes, in two commits of 6
REINDEX_TYPES = ("flat", "hnsw", "hnsw-sq8", "ivf", "ivf-sq8")


@dataclass
class PointTrial:
    """One kill at one boundary: whether the command died there, and what the checks found."""

    command: str
    point: str
    killed: bool
    problems: list[str] = field(default_factory=list)

    @property
    def unusable(self) -> bool:
        """Return whether the index failed a check after the kill."""
        return bool(self.problems)


MIGRATED = 12  # papers in the index `reindex --passages` migrates, in two commits of 6


def commands() -> list[str]:
    """Return the writing commands whose boundaries are killed: add, delete, reindex to each type, and the
    passage migration."""
    return ["add", "delete", *(f"reindex:{t}" for t in REINDEX_TYPES), "reindex:passages"]


def _argv(command: str, index_dir: Path, work: Path, victim: str) -> tuple[list[str], dict[str, dict]]:
    """Return the command line and the records it sends (by id)."""
    if command == "add":
        records = [paper_record("cp", i) for i in range(ADDED)]
        source = write_jsonl(work / "add.jsonl", records)
        return ["add", str(source), "--index", str(index_dir)], {r["id"]: r for r in records}
    if command == "delete":
        return ["delete", victim, "--index", str(index_dir)], {}
    _, index_type = command.split(":")
    if index_type == "passages":
        return ["reindex", "--passages", "--index", str(index_dir)], {}
    return ["reindex", "--index-type", index_type, "--index", str(index_dir)], {}


def _run(argv: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**cli_env(), "ABSTRACTS_COMMIT_EVERY": str(ADDED // 2), **extra}
    return subprocess.run([str(ABSTRACTS), *argv], capture_output=True, text=True, env=env, timeout=300, check=False)


def boundaries(base_index: Path, work: Path, command: str) -> list[str]:
    """Return every boundary the command reaches, as `POINT#N` for its N-th time, in order."""
    work.mkdir(parents=True, exist_ok=True)
    index_dir = copy_index(base_index, work / "index")
    log = work / "points.log"
    victim = _victim(index_dir)
    done = _run(_argv(command, index_dir, work, victim)[0], {"ABSTRACTS_CRASH_LOG": str(log)})
    if done.returncode != 0:
        raise AssertionError(f"abstracts {command} failed without a kill: {done.stderr[-800:]}")
    seen: Counter[str] = Counter()
    points = []
    for point in log.read_text().split():
        seen[point] += 1
        points.append(f"{point}#{seen[point]}")
    return points


def _victim(index_dir: Path) -> str:
    """Return the id `delete` removes: the first paper of the index."""
    engine = Engine(Settings(index=index_dir))
    try:
        return next(engine.store.iter_papers()).id
    finally:
        engine.close()


def kill_at(base_index: Path, work: Path, command: str, point: str) -> PointTrial:
    """Run the command on a fresh copy, SIGKILLed at `point`, then check the index."""
    work.mkdir(parents=True, exist_ok=True)
    index_dir = copy_index(base_index, work / "index")
    victim = _victim(index_dir)
    base_ids = {p.id for p in Engine(Settings(index=index_dir)).store.iter_papers()}
    argv, sent = _argv(command, index_dir, work, victim)
    result = _run(argv, {"ABSTRACTS_CRASH_AT": point})
    trial = PointTrial(command, point, killed=result.returncode == -9)
    if not trial.killed:
        trial.problems.append(f"the command was not killed at {point}: exit {result.returncode} {result.stderr[-400:]}")
    groups = [list(sent)[: ADDED // 2], list(sent)[ADDED // 2:]] if sent else []
    uncertain = {victim} if command == "delete" else set()
    verdict = verify_index(index_dir, sent, set(), groups, base_ids, uncertain=uncertain,
                           ordered=[groups] if groups else ())
    trial.problems += verdict.problems
    trial.problems += usable(index_dir)
    if command == "reindex:passages":
        trial.problems += migration_finishes(index_dir)
    return trial


def migration_finishes(index_dir: Path) -> list[str]:
    """Run `reindex --passages` again after a kill: it must finish, leaving every paper the passages of its text."""
    from abstract_search.index.passages import SCHEME, Passages, split

    again = _run(["reindex", "--passages", "--index", str(index_dir)], {})
    if again.returncode != 0:
        return [f"after the kill, reindex --passages again failed: {again.stderr[-400:]}"]
    engine = Engine(Settings(index=index_dir))
    try:
        if engine.store.passage_scheme() != SCHEME or engine.store.count_without_passages():
            return [f"after a rerun, the migration is not complete: {engine.store.count_without_passages()} left"]
        papers = {engine.store.num_of(p.id): p for p in engine.store.iter_papers()}
        problems = []
        for num, blob in engine.store.passages_of(list(papers)).items():
            spans = [tuple(s) for s in Passages.from_bytes(blob, engine.store.dimension()).spans]
            paper = papers[num]
            if spans != split(paper.title, paper.abstract, engine.embedder.piece_counts)[1]:
                problems.append(f"after a rerun, {paper.id} holds the passages of another text")
        return problems
    finally:
        engine.close()


def usable(index_dir: Path) -> list[str]:
    """Delete one paper, change another's text and add a new one, then check search sees each change."""
    problems: list[str] = []
    engine = Engine(Settings(index=index_dir))
    try:
        papers = list(engine.store.iter_papers())
        gone, changed = papers[-1], papers[-2]
        engine.delete([gone.id])
        new_text = "Octopus camouflage measured with hyperspectral cameras in shallow reef water."
        engine.add([Paper(id=changed.id, title="Cephalopod colour", abstract=new_text),
                    Paper(id="after-crash", title="Glacier flow", abstract="Glacier flow rates from satellite radar.")])
        engine.save()
        for query, wanted in ((new_text, changed.id), ("Glacier flow rates from satellite radar.", "after-crash")):
            top = [h.paper.id for h in engine.search(query, 3, mode="dense").hits]
            if not top or top[0] != wanted:
                problems.append(f"after recovery, searching {wanted}'s new text finds {top}")
        if gone.id in {h.paper.id for h in engine.search(gone.text(), 10, mode="dense").hits}:
            problems.append(f"after recovery, deleted {gone.id} is still found")
    except Exception as exc:  # noqa: BLE001 - any failure here is what the trial reports
        problems.append(f"after recovery, a write or search failed: {type(exc).__name__}: {exc}")
    finally:
        engine.close()
    leftovers = [p.name for p in index_dir.iterdir() if ".tmp-" in p.name]
    if leftovers:
        problems.append(f"after recovery and a save, temporary files are left: {leftovers}")
    mapped = Engine(Settings(index=index_dir, mmap=True))  # as each `serve` worker opens it
    try:
        hits = mapped.search("Glacier flow rates from satellite radar.", 1, mode="dense").hits
        if not hits or hits[0].paper.id != "after-crash":
            problems.append("after recovery, a memory-mapped open does not find the added paper")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"after recovery, a memory-mapped open failed: {type(exc).__name__}: {exc}")
    finally:
        mapped.close()
    return problems


def before_passages(bundled_index: Path, work: Path) -> Path:
    """Return a copy of the bundled index cut to MIGRATED papers, as an index built before passage vectors."""
    from tests.conftest import as_index_before_passages

    base = copy_index(bundled_index, work / "base-before-passages")
    engine = Engine(Settings(index=base))
    try:
        engine.delete([p.id for p in list(engine.store.iter_papers())[MIGRATED:]])
        engine.reindex()
    finally:
        engine.close()
    return as_index_before_passages(base)


def base_of_type(bundled_index: Path, work: Path, index_type: str) -> Path:
    """Return a copy of the bundled index rebuilt as `index_type` (the bundled index itself for flat)."""
    if index_type == "flat":
        return bundled_index
    base = copy_index(bundled_index, work / f"base-{index_type}")
    _run(["reindex", "--index-type", index_type, "--index", str(base)], {})
    return base


def run_all(bundled_index: Path, work: Path, selected: list[str] | None = None,
            base_type: str | None = None) -> list[PointTrial]:
    """Kill every selected command at every boundary it reaches; return each trial.

    The commands start from a `base_type` index (default: flat, and HNSW for a reindex to flat).
    """
    trials = []
    for command in selected or commands():
        slug = command.replace(":", "-")
        start = base_type or ("hnsw" if command == "reindex:flat" else "flat")
        if command == "reindex:passages":
            base = before_passages(bundled_index, work / slug)
        else:
            base = base_of_type(bundled_index, work / slug, start)
        for number, point in enumerate(boundaries(base, work / slug / "dry", command)):
            trials.append(kill_at(base, work / slug / f"k{number}", command, point))
    return trials


if os.environ.get("ABSTRACTS_CRASH_AT"):  # never let a test process itself inherit a kill point
    raise RuntimeError("ABSTRACTS_CRASH_AT is set in the test process")
