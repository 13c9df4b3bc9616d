"""Property tests: messy JSON Lines and CSV files, huge fields, mixed encodings and BOMs.

Each generated file mixes good records and bad lines whose fate is known in advance, so the properties are
exact: every good record is kept (same id, title and abstract), every bad line is reported with its line
number, and nothing else comes out. Through the command (`abstracts add`, run in-process) the same files give
exit 0 or 3 with a summary that counts them, and never a traceback.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from abstract_search.api.cli import app
from abstract_search.data.corpus import FORMATS, read_corpus
from abstract_search.data.paper import Paper, Rejected
from abstract_search.index.store import Store

BOM = b"\xef\xbb\xbf"
WORDS = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P", "S")), min_size=1, max_size=30)
TEXT = WORDS.filter(lambda t: t.strip())
# Long abstracts up to the readers' 100,000-character limit (data/readers/fields.py MAX_TEXT_CHARS)
HUGE = st.integers(60_000, 99_990).map(lambda n: "enormous abstract text " * (n // 23))
ABSTRACT = st.one_of(TEXT, TEXT, TEXT, HUGE)
NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüß ", min_size=1, max_size=15).filter(lambda t: t.strip())
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def clean(text: str) -> str:
    """Return text as the readers store it: whitespace collapsed."""
    return " ".join(text.split())


@st.composite
def good_record(draw, number: int) -> dict:
    record = {"id": f"g{number}-{draw(st.from_regex(r'[a-z0-9]{1,8}', fullmatch=True))}",
              "title": draw(TEXT), "abstract": draw(ABSTRACT)}
    if draw(st.booleans()):
        record["authors"] = draw(st.lists(NAME, max_size=3))
    if draw(st.booleans()):
        record["year"] = draw(st.integers(1000, 9999))
    return record


# --- JSON Lines -------------------------------------------------------------------------------

BAD_JSON = ["broken", "not-object", "wrong-type", "no-abstract", "latin-1", "utf-16"]


@st.composite
def jsonl_file(draw) -> tuple[bytes, list[dict], list[int]]:
    """Return (file bytes, good records in order, line numbers of bad lines)."""
    lines, good, bad = [], [], []
    for number in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["good", "good", "blank", *BAD_JSON]))
        if kind == "blank":
            lines.append(draw(st.sampled_from([b"", b"   ", b"\t"])))
            continue
        record = draw(good_record(number))
        if kind == "good":
            line = json.dumps(record, ensure_ascii=draw(st.booleans())).encode("utf-8")
            if lines and draw(st.integers(0, 5)) == 0:
                line = BOM + line  # a BOM at the start of a concatenated file
            good.append(record)
        elif kind == "broken":
            text = json.dumps(record)
            line = text[: draw(st.integers(1, len(text) - 1))].encode("utf-8")
        elif kind == "not-object":
            line = draw(st.sampled_from([b"[1, 2]", b'"an abstract"', b"42", b"null", b"true"]))
        elif kind == "wrong-type":
            key, value = draw(st.sampled_from([("abstract", 3), ("title", ["x"]), ("authors", {"a": 1}),
                                               ("year", "soon"), ("id", 1.5)]))
            line = json.dumps({**record, key: value}).encode("utf-8")
        elif kind == "no-abstract":
            line = json.dumps({k: v for k, v in record.items() if k != "abstract"}).encode("utf-8")
        elif kind == "latin-1":
            line = json.dumps({**record, "title": "Résumé of results"}, ensure_ascii=False).encode("latin-1", "replace")
        else:  # utf-16: NUL bytes between the characters
            line = json.dumps({"id": record["id"], "abstract": "plain text"}).encode("utf-16-le")
        if kind != "good":
            bad.append(len(lines) + 1)
        lines.append(line)
    content = b"\n".join(lines) + draw(st.sampled_from([b"", b"\n", b"\r\n"]))
    if draw(st.booleans()):
        content = BOM + content
    return content, good, bad


def check_records(records, good: list[dict], bad: list[int], source: str) -> None:
    """Every good record kept as written, every bad line reported, nothing else."""
    kept = [r for r in records if isinstance(r, Paper)]
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(kept) + len(rejected) == len(records)
    assert [(p.id, p.title, p.abstract) for p in kept] == [
        (r["id"], clean(r["title"]), clean(r["abstract"])) for r in good]
    assert sorted(r.line for r in rejected) == bad, [str(r) for r in rejected]
    assert all(r.source == source and r.reason for r in rejected)


@FUZZ
@given(case=jsonl_file(), compress=st.booleans())
def test_jsonl_keeps_every_good_record_and_reports_every_bad_line(tmp_path_factory, case, compress):
    content, good, bad = case
    path = tmp_path_factory.mktemp("jsonl") / "papers.jsonl"
    path.write_bytes(gzip.compress(content) if compress else content)
    check_records(list(read_corpus(path, "jsonl")), good, bad, "papers.jsonl")


# --- CSV ------------------------------------------------------------------------------------

BAD_CSV = ["field-count", "no-abstract", "latin-1", "bad-year"]
HEADER = ["id", "title", "abstract", "authors", "year"]


def csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue().encode("utf-8")


@st.composite
def csv_file(draw) -> tuple[bytes, list[dict], list[int]]:
    """Return (file bytes, good records in order, line numbers of bad rows); one row is one line."""
    lines, good, bad = [csv_line(HEADER)], [], []
    for number in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["good", "good", *BAD_CSV]))
        record = draw(good_record(number))
        cells = [record["id"], record["title"], record["abstract"], "; ".join(record.get("authors", [])),
                 str(record.get("year", ""))]
        if kind == "good":
            good.append(record)
            line = csv_line(cells)
        elif kind == "field-count":
            line = csv_line(cells[:3] if draw(st.booleans()) else cells + ["extra"])
        elif kind == "no-abstract":
            line = csv_line(cells[:2] + [""] + cells[3:])
        elif kind == "latin-1":
            line = csv_line(cells[:1] + ["Résumé"] + cells[2:]).decode("utf-8").encode("latin-1", "replace")
        else:
            line = csv_line(cells[:4] + ["soon"])
        if kind != "good":
            bad.append(len(lines) + 1)
        lines.append(line)
    content = b"\r\n".join(lines) + b"\r\n"
    return (BOM + content if draw(st.booleans()) else content), good, bad


@FUZZ
@given(case=csv_file())
def test_csv_keeps_every_good_row_and_reports_every_bad_row(tmp_path_factory, case):
    content, good, bad = case
    path = tmp_path_factory.mktemp("csv") / "papers.csv"
    path.write_bytes(content)
    check_records(list(read_corpus(path, "csv")), good, bad, "papers.csv")


def test_an_unclosed_quote_in_the_last_row_is_reported_not_raised(tmp_path):
    path = tmp_path / "papers.csv"
    path.write_bytes(b'id,title,abstract\n1,A title,An abstract\n2,"Broken,An abstract that never ends\n')
    records = list(read_corpus(path, "csv"))
    assert [r.id for r in records if isinstance(r, Paper)] == ["1"]
    assert [r.line for r in records if isinstance(r, Rejected)] == [3]


# --- through the command --------------------------------------------------------------------

SUMMARY = re.compile(r"(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) skipped")


@pytest.fixture(scope="module")
def fuzz_index(bundled_index, tmp_path_factory):
    """A private copy of the bundled index that the command adds to."""
    import shutil

    target = tmp_path_factory.mktemp("reader-fuzz") / "index"
    shutil.copytree(bundled_index, target)
    return target


def run_add(path, index_dir, *options: str):
    """Run `abstracts add` in this process and return the result (exit code, output, exception)."""
    result = CliRunner().invoke(app, ["add", str(path), "--index", str(index_dir), *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=st.one_of(jsonl_file().map(lambda c: ("jsonl", c)), csv_file().map(lambda c: ("csv", c))))
def test_add_reports_bad_records_and_keeps_good_ones(tmp_path_factory, fuzz_index, case):
    fmt, (content, good, bad) = case
    path = tmp_path_factory.mktemp("add") / f"papers.{fmt}"
    path.write_bytes(content)
    result = run_add(path, fuzz_index)
    assert result.exit_code == (3 if bad else 0), result.output
    counts = [int(n) for n in SUMMARY.search(result.output).groups()]
    assert sum(counts[:3]) == len(good) and counts[3] == len(bad), result.output
    store = Store(fuzz_index, readonly=True)
    try:
        for record in good:
            assert store.get(record["id"]).abstract == clean(record["abstract"])
    finally:
        store.close()


GARBAGE = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=200).map(lambda b: BOM + b),
    st.binary(max_size=200).map(gzip.compress),
    st.binary(max_size=200).map(lambda b: gzip.compress(b)[:-4]),
    st.text(max_size=200).map(lambda t: t.encode("utf-16")),
    st.lists(st.sampled_from([b'{"id": "z", "abstract": "ok"}', b"{", b"id,abstract", b'1,"x', b"\x00\xff", b"CLJan 5"]),
             max_size=8).map(b"\n".join),
)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(content=GARBAGE)
def test_add_never_raises_on_garbage(tmp_path_factory, fuzz_index, content):
    path = tmp_path_factory.mktemp("garbage") / "input.jsonl"
    path.write_bytes(content)
    for fmt in FORMATS:
        result = run_add(path, fuzz_index, "--format", fmt)
        assert result.exit_code in (0, 3), result.output
        assert SUMMARY.search(result.output), result.output
    detected = run_add(path, fuzz_index)  # format detection may refuse the file: a clear error, exit 1
    assert detected.exit_code in (0, 1, 3) and (detected.exit_code != 1 or "error:" in detected.output)
