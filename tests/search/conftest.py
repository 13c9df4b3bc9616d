"""Fixtures for the search tests: one in-process engine over a copy of the bundled index."""

from __future__ import annotations

import shutil

import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings


@pytest.fixture(scope="module")
def engine(bundled_index, tmp_path_factory):
    """An engine over a private copy of the bundled index, shared by one test module."""
    target = tmp_path_factory.mktemp("engine") / "index"
    shutil.copytree(bundled_index, target)
    engine = Engine(Settings(index=target))
    yield engine
    engine.close()
