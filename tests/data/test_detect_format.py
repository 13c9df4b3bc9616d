"""detect_format on each kind of corpus, real and made up."""

from __future__ import annotations

import gzip
import json

import pytest

from abstract_search.data.corpus import bundled_corpus_path
from abstract_search.data.detect import detect_format
from abstract_search.data.errors import CorpusError


def test_bundled_seed_page():
    assert detect_format(bundled_corpus_path()) == "seed"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("c.jsonl", {"id": "1", "title": "T", "abstract": "A"}, "jsonl"),
        ("c.txt", {"paper_id": "1", "summary": "A"}, "jsonl"),
        ("corpus.jsonl", {"_id": "1", "title": "T", "text": "A", "metadata": {}}, "beir"),
        ("a.jsonl", {"id": "0704.0001", "title": "T", "abstract": "A"}, "arxiv"),
        ("a.json", {"id": "x", "abstract": "A", "update_date": "2020-01-01"}, "arxiv"),
        ("b.dat", {"id": "hep-th/9901001", "abstract": "A"}, "arxiv"),
    ],
)
def test_json_kinds(write, name, content, expected):
    assert detect_format(write(name, "\n" + json.dumps(content) + "\n")) == expected


def test_gzip_is_looked_inside(write):
    record = json.dumps({"id": "2101.00001", "abstract": "A", "categories": "cs.CL"})
    assert detect_format(write("dump.bin", gzip.compress(record.encode()))) == "arxiv"


def test_broken_first_json_line_still_jsonl(write):
    assert detect_format(write("x.data", '{"id": 1,\n{"abstract": "A"}\n')) == "jsonl"
    assert detect_format(write("y.data", "{oops\n")) == "jsonl"


def test_csv_by_extension_or_header(write):
    assert detect_format(write("c.csv", "id;body\n1;x\n")) == "csv"
    assert detect_format(write("c.txt", "\ufeffid,title,Abstract\n1,t,a\n")) == "csv"


def test_seed_page_made_up(write):
    assert detect_format(write("page", "Someone\n\nLGJan 3\nTitle\n\nA B\n\nAbstract.")) == "seed"


def test_unknown_format_names_formats_and_option(write):
    with pytest.raises(CorpusError) as caught:
        detect_format(write("notes.txt", "hello\nworld\n"))
    message = str(caught.value)
    assert "notes.txt" in message and "--format" in message
    assert all(name in message for name in ("seed", "jsonl", "csv", "beir", "arxiv"))


def test_missing_file(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        detect_format(tmp_path / "gone.jsonl")


def test_real_shared_files(shared_path):
    assert detect_format(shared_path("scifact/corpus.jsonl")) == "beir"
    assert detect_format(shared_path("arxiv/arxiv_abstracts.jsonl.gz")) == "arxiv"
