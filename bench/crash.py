"""Crash safety: SIGKILL `abstracts add` and a server taking POST /papers at random moments, then check the index.

Run: .venv/bin/python -m bench.crash [--trials 20] [--seed N] [--mode both|cli|http|points] [--index DIR]

`--mode points` kills deterministically instead: `add`, `delete` and `reindex` to every other type, each
started from an index of every type, at every write, fsync, rename and directory fsync of every atomic save and
at each SQLite commit (tests/reliability/crash_points.py), and prints the unusable indexes (must be 0).
Without --index it builds the bundled corpus into a temporary index first. Each trial copies that index.

After every kill (see tests/reliability/harness.py for the checks): the index loads; every acknowledged paper
is stored unchanged and found by searching its own text; SQLite and FAISS hold the same ids; every batch (a CLI
commit chunk, an HTTP request) is wholly in or wholly out, and CLI chunks commit in order. A killed CLI run is
then run again to completion, which must add exactly the papers that were missing.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import cli_env
from tests.reliability.crash_points import REINDEX_TYPES, run_all
from tests.reliability.harness import (
    ABSTRACTS,
    KillPlan,
    Trial,
    cli_kill_trial,
    http_kill_trial,
)

KINDS = {
    "acknowledged paper lost": "acknowledged and is missing",
    "batch half in": "half in",
    "chunks out of order": "out of order",
    "SQLite/FAISS disagree": "disagree",
    "index failed to load": "after the crash exited",
    "stored paper not found by search": "searching its own text",
    "other": "",
}


def kinds(trial: Trial) -> dict[str, int]:
    """Count a trial's problems by kind."""
    counts = dict.fromkeys(KINDS, 0)
    for problem in trial.verdict.problems:
        kind = next(k for k, needle in KINDS.items() if needle in problem)
        counts[kind] += 1
    return counts


def resume(work: Path, trial: Trial) -> str:
    """Run the killed add again to completion; it must add exactly what was missing. Return '' or a problem."""
    sources = sorted(str(p) for p in work.glob("part*.jsonl"))
    done = subprocess.run([str(ABSTRACTS), "add", *sources, "--index", str(work / "index")], capture_output=True,
                          text=True, env=cli_env(), timeout=600, check=False)
    added = sum(int(n) for n in re.findall(r": (\d+) added", done.stdout))
    unchanged = sum(int(n) for n in re.findall(r"(\d+) unchanged", done.stdout))
    if done.returncode != 0 or added != trial.sent - trial.sent_present or unchanged != trial.sent_present:
        return f"resume exited {done.returncode}, added {added}, unchanged {unchanged}: {done.stderr[-300:]}"
    return ""


def report(mode: str, trials: list[Trial], resumed: list[str]) -> None:
    """Print the figures for one mode."""
    killed = [t for t in trials if t.killed]
    totals = dict.fromkeys(KINDS, 0)
    for trial in trials:
        for kind, n in kinds(trial).items():
            totals[kind] += n
    print(f"\n{mode}: {len(trials)} trials, {len(killed)} killed mid-run, "
          f"{sum(t.acked for t in trials)} papers acknowledged before the kills, "
          f"{sum(t.sent_present - min(t.acked, t.sent_present) for t in trials)} more committed but not yet acknowledged, "
          f"{sum(t.leftover_tmp for t in trials)} kills inside a vector-file save (temporary file left)")
    for kind, n in totals.items():
        print(f"  {kind:34s}: {n}")
    if resumed:
        print(f"  {'resume after kill failed':34s}: {sum(1 for r in resumed if r)} of {len(resumed)}")
    print(f"  trials passing every check        : {sum(t.ok for t in trials)} of {len(trials)}")


def kill_points(base: Path, tmp: Path) -> bool:
    """Kill each command at each boundary, from each index type; print the table; return whether any failed."""
    started = time.monotonic()
    rows = []
    for base_type in REINDEX_TYPES:
        for command in ["add", "delete", *(f"reindex:{t}" for t in REINDEX_TYPES if t != base_type)]:
            work = tmp / f"points-{base_type}-{command.replace(':', '-')}"
            trials = run_all(base, work, [command], base_type=base_type)
            unusable = [t for t in trials if t.unusable]
            points = sorted({t.point.split("#")[0].split(":")[0] for t in trials})
            rows.append((base_type, command, len(trials), sum(t.killed for t in trials), len(unusable)))
            print(f"  from {base_type:8s} {command:17s}: {len(trials):2d} boundaries ({', '.join(points)}), "
                  f"{rows[-1][3]} killed there, {len(unusable)} unusable"
                  + (f": {[(t.point, t.problems[:2]) for t in unusable[:3]]}" if unusable else ""), flush=True)
            shutil.rmtree(work, ignore_errors=True)
    kills = sum(r[3] for r in rows)
    print(f"\ndeterministic kills ({time.monotonic() - started:.0f} s): {len(rows)} commands x index types, "
          f"{sum(r[2] for r in rows)} boundaries, {kills} kills, {sum(r[4] for r in rows)} unusable indexes")
    return any(r[4] or r[3] != r[2] for r in rows)


def main() -> None:
    """Run the trials and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20, help="kills per mode (at least 20 for the figures)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--mode", choices=("both", "cli", "http", "points"), default="both")
    parser.add_argument("--index", type=Path)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="crash-"))
    print(f"bench/crash.py --trials {args.trials} --seed {seed} --mode {args.mode}")
    try:
        base = args.index
        if base is None:
            base = tmp / "base"
            subprocess.run([str(ABSTRACTS), "index", "--index", str(base)], check=True, capture_output=True, env=cli_env())
        failed = False
        if args.mode == "points":
            failed |= kill_points(base, tmp)
        if args.mode in ("both", "cli"):
            started = time.monotonic()
            full = cli_kill_trial(base, tmp / "cli-full", "full", plan=None)
            print(f"abstracts add, uninterrupted: {full.sent} papers in 3 files, a commit every 10 papers (12 commits), "
                  f"{full.delay_s:.1f} s, checks {'pass' if full.ok else full.verdict.problems}")
            failed |= not full.ok
            trials, resumed = [], []
            for n in range(args.trials):
                # Every commit interval in turn (0: start-up, 12: the last save), at a random point; every 5th
                # trial waits for a vector-file save to be under way.
                plan = KillPlan(during_save=True) if n % 5 == 4 else KillPlan(n % 13, rng.random())
                work = tmp / f"cli-{n}"
                trial = cli_kill_trial(base, work, f"c{n}", plan=plan)
                resumed.append(resume(work, trial) if trial.killed else "")
                print(f"  cli  #{n:2d} kill {plan!s:26s}: {'killed' if trial.killed else 'finished'} at "
                      f"{trial.delay_s:5.2f} s, acknowledged {trial.acked:3d}, stored {trial.sent_present:3d} of "
                      f"{trial.sent}, {'tmp file left, ' if trial.leftover_tmp else ''}"
                      f"{'ok' if trial.ok and not resumed[-1] else trial.verdict.problems[:3] + [resumed[-1]]}")
                shutil.rmtree(work, ignore_errors=True)
                trials.append(trial)
            report(f"abstracts add ({time.monotonic() - started:.0f} s)", trials, resumed)
            failed |= not all(t.ok for t in trials) or any(resumed)
        if args.mode in ("both", "http"):
            started = time.monotonic()
            trials = []
            for n in range(args.trials):
                delay = 0.3 + 5.7 * (n + rng.random()) / args.trials
                work = tmp / f"http-{n}"
                trial = http_kill_trial(base, work, f"h{n}", delay=delay, seed=seed + n)
                print(f"  http #{n:2d} kill at {delay:5.2f} s: acknowledged {trial.acked:3d}, "
                      f"stored {trial.sent_present:3d} of {trial.sent} sent, {trial.detail}, "
                      f"{'ok' if trial.ok else trial.verdict.problems[:3]}")
                shutil.rmtree(work, ignore_errors=True)
                trials.append(trial)
            report(f"POST /papers to a server, 2 writers, batches of 10 ({time.monotonic() - started:.0f} s)",
                   trials, [])
            failed |= not all(t.ok for t in trials)
        sys.exit(1 if failed else 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
