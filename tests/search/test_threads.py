"""A process that answers queries keeps numpy's BLAS to one thread, and leaves FAISS's own threads alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, cli_env

PROBE = """
import json, faiss
from threadpoolctl import threadpool_info
from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
before = {i["filepath"]: i["num_threads"] for i in threadpool_info()}
engine = Engine(Settings(index=INDEX, read_only=True))
engine.search("papers on LLM judges", 5)
after = {i["filepath"]: (i["user_api"], i["num_threads"]) for i in threadpool_info()}
print(json.dumps({"before": before, "after": after}))
"""


def test_a_searching_process_runs_numpy_blas_on_one_thread_and_faiss_on_its_own(bundled_index):
    # a fresh process: the limit is process-wide, so this one's state says nothing
    env = {key: value for key, value in cli_env().items() if key != "OPENBLAS_NUM_THREADS"}
    result = subprocess.run([sys.executable, "-c", PROBE.replace("INDEX", repr(str(bundled_index)))],
                            capture_output=True, text=True, cwd=ROOT, env={**env, "OMP_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    numpy_blas = [path for path, (api, _) in found["after"].items() if api == "blas" and "faiss" not in path]
    assert numpy_blas, found
    if (os.cpu_count() or 1) > 1:  # OpenBLAS takes OMP_NUM_THREADS threads, up to the cores there are
        assert all(found["before"][path] == 2 for path in numpy_blas)
    assert all(found["after"][path][1] == 1 for path in numpy_blas)
    faiss_own = [path for path, (api, _) in found["after"].items() if "faiss" in path]
    assert faiss_own and all(found["after"][p][1] == found["before"][p] for p in faiss_own)
