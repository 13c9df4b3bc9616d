"""A serving process runs numpy's BLAS on one thread, leaving FAISS's own BLAS alone; a library user's Engine
leaves numpy's threads as they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, cli_env

PROBE = """
import json
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info
from abstract_search.api.app import create_app
from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
threads = lambda: {i["filepath"]: (i["user_api"], i["num_threads"]) for i in threadpool_info()}
before = threads()
Engine(Settings(index=INDEX, read_only=True)).search("papers on LLM judges", 5)
library = threads()
with TestClient(create_app(Settings(index=INDEX, read_only=True)), base_url="http://127.0.0.1") as client:
    assert client.get("/search", params={"q": "papers on LLM judges"}).status_code == 200
    served = threads()
print(json.dumps({"before": before, "library": library, "served": served}))
"""


def test_a_serving_process_searches_on_one_thread_and_a_library_user_keeps_numpys(bundled_index):
    cores = len(os.sched_getaffinity(0))  # what OpenBLAS sizes its pool by
    if cores < 2:
        pytest.skip("one CPU: numpy's BLAS has one thread either way")
    env = {key: value for key, value in cli_env().items() if key not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", PROBE.replace("INDEX", repr(str(bundled_index)))],
                            capture_output=True, text=True, cwd=ROOT, env={**env, "OMP_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    numpy_blas = [path for path, (api, _) in found["served"].items() if api == "blas" and "faiss" not in path]
    assert numpy_blas, found
    assert all(found["library"][path][1] == found["before"][path][1] == 2 for path in numpy_blas), found
    assert all(found["served"][path][1] == 1 for path in numpy_blas), found
    faiss_blas = [path for path, (api, _) in found["served"].items() if api == "blas" and "faiss" in path]
    assert faiss_blas and all(found["served"][p][1] == found["before"][p][1] for p in faiss_blas), found
