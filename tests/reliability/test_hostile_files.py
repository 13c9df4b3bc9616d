"""Hostile corpus files at the `abstracts add` door: a 200 MB abstract, a damaged gzip stream."""

from __future__ import annotations

import gzip
import json
import resource
import subprocess

from tests.conftest import ABSTRACTS, cli_env


def add(index_dir, path) -> subprocess.CompletedProcess:
    return subprocess.run([str(ABSTRACTS), "add", str(path), "--index", str(index_dir)], capture_output=True,
                          text=True, env=cli_env(), timeout=600, check=False)


def test_a_200_mb_abstract_is_refused_and_the_good_records_of_its_file_kept(index_copy, tmp_path):
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "good-1", "title": "Tidal energy", "abstract": "Tidal turbines in estuaries."}) + "\n")
        handle.write('{"id": "huge", "abstract": "' + "lorem ipsum " * (200_000_000 // 12) + '"}\n')
        handle.write(json.dumps({"id": "good-2", "title": "Bee navigation", "abstract": "Bees use polarised light."}) + "\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = add(index_copy, path)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert result.returncode == 3, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "big.jsonl:2: line is longer than 4 MiB" in result.stderr
    assert "2 added" in result.stdout
    shown = subprocess.run([str(ABSTRACTS), "show", "good-2", "--index", str(index_copy)], capture_output=True,
                           text=True, env=cli_env(), timeout=120, check=True)
    assert json.loads(shown.stdout)["title"] == "Bee navigation"
    assert peak_mb < 2000 or before / 1024 >= 2000, f"the add peaked at {peak_mb:.0f} MB"


def test_a_damaged_gzip_stream_is_a_clear_error_naming_the_file(index_copy, tmp_path):
    packed = bytearray(gzip.compress(b"".join(
        json.dumps({"id": f"z{i}", "abstract": f"Abstract number {i} about zebra stripes."}).encode() + b"\n"
        for i in range(2000))))
    packed[40:80] = b"\xff" * 40  # the deflate stream breaks: zlib.error, not an OSError
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(bytes(packed))
    result = add(index_copy, path)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode in (1, 3)
    assert "damaged.jsonl.gz" in result.stderr and "corrupt gzip data" in result.stderr


def test_arguments_that_are_not_utf8_are_clear_errors(index_copy):
    """Bytes that are not UTF-8 reach Python as lone surrogates: every command says so, none prints a traceback."""
    bad = b"a\xff".decode("utf-8", "surrogateescape")
    for argv in (["show", bad], ["delete", bad], ["similar", bad], ["search", "judges", "--author", bad],
                 ["search", bad]):
        ran = subprocess.run([str(ABSTRACTS), *argv, "--index", str(index_copy)], capture_output=True, text=True,
                             env=cli_env(), timeout=120, check=False, errors="replace")
        assert ran.returncode in (1, 3) and "Traceback" not in ran.stderr, (argv, ran.stderr[-600:])
