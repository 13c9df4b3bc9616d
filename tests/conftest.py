"""Shared fixtures: a real index of the bundled corpus, built once through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ABSTRACTS = Path(sys.executable).with_name("abstracts")


def shared_file(relative: str) -> Path:
    """Return a file under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} not found: the shared data set is absent on this machine")
    return path


def cli_env() -> dict[str, str]:
    """Return an environment with no ABSTRACTS_* settings leaking in from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ABSTRACTS_")}
    env["HF_HUB_OFFLINE"] = "1"
    return env


def run_cli(*args: str, check: bool = False, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the installed `abstracts` command as a user would, and capture its output."""
    result = subprocess.run(
        [str(ABSTRACTS), *args], capture_output=True, text=True, env=cli_env(), timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"abstracts {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def cli_json(*args: str) -> dict:
    """Run a CLI command with --json and return its one JSON object."""
    result = run_cli(*args, "--json", check=True)
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory) -> Path:
    """An index of the bundled corpus, built by `abstracts index` (read-only for tests)."""
    index_dir = tmp_path_factory.mktemp("bundled") / "index"
    run_cli("index", "--index", str(index_dir), check=True)
    return index_dir


@pytest.fixture
def index_copy(bundled_index, tmp_path) -> Path:
    """A private copy of the bundled index that a test may change."""
    target = tmp_path / "index"
    shutil.copytree(bundled_index, target)
    return target


def bench_index(given: Path | None, work: Path) -> Path:
    """Return a private copy of the index a benchmark was given, or the bundled corpus built into `work`."""
    index_dir = work / "index"
    if given is not None:
        shutil.copytree(given, index_dir)
    else:
        run_cli("index", "--index", str(index_dir), check=True)
    return index_dir


def as_index_before_passages(index_dir: Path) -> Path:
    """Make an index look as one built before passage vectors did: no passages column, no scheme recorded."""
    import sqlite3

    conn = sqlite3.connect(Path(index_dir) / "papers.sqlite")
    try:
        conn.execute("ALTER TABLE papers DROP COLUMN passages")
        conn.execute("DELETE FROM meta WHERE key IN ('passages', 'passages_pending')")
        conn.commit()
    finally:
        conn.close()
    return Path(index_dir)
