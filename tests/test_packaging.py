"""The distribution claims one import name, abstract_search, and carries its data files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_wheel_installs_everything_under_one_import_name(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("abstract_search-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {Path(name).parts[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"abstract_search"}, top
    for wanted in ("abstract_search/__init__.py", "abstract_search/api/engine.py", "abstract_search/data/seed_profile.txt",
                   "abstract_search/api/static/index.html", "abstract_search/index/reader.py",
                   "abstract_search/search/retrieval.py", "abstract_search/data/readers/jsonl.py"):
        assert wanted in names, wanted
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "abstracts = abstract_search.api.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
