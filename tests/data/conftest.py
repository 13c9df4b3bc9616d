"""Shared fixtures for the corpus reader tests: the bundled page, shared data, tmp files."""

from __future__ import annotations

from pathlib import Path

import pytest

from abstract_search.data.corpus import bundled_corpus_path
from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.seed_page import read_seed_page

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT / ".." / "shared" / "data"


def _shared_path(relative: str) -> Path:
    """Return a file under ../shared/data, or skip the test when the shared data is absent."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"../shared/data/{relative} not found: shared data absent")
    return path


def _split_records(records) -> tuple[list[Paper], list[Rejected]]:
    """Split a reader's output into kept papers and rejections, checking nothing else comes out."""
    papers, rejected = [], []
    for record in records:
        assert isinstance(record, (Paper, Rejected)), record
        (papers if isinstance(record, Paper) else rejected).append(record)
    return papers, rejected


@pytest.fixture(scope="session")
def shared_path():
    """Return the function that finds a shared data file or skips the test."""
    return _shared_path


@pytest.fixture(scope="session")
def split():
    """Return the function that splits reader output into (papers, rejected)."""
    return _split_records


@pytest.fixture(scope="session")
def seed_records() -> list:
    """Every record the seed reader yields for the bundled page, capture year 2025."""
    return [r for r in read_seed_page(bundled_corpus_path(), capture_year=2025)]


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    """The bundled page's lines, as the reader should see them."""
    return bundled_corpus_path().read_text(encoding="utf-8").split("\n")


@pytest.fixture
def write(tmp_path: Path):
    """Return a function that writes bytes or text to a named file in tmp_path."""

    def _write(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write
