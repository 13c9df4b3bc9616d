"""read_corpus: dispatch by name or detection, options, and the bundled corpus."""

from __future__ import annotations

import json

import pytest

from abstract_search.data.corpus import FORMATS, bundled_corpus_path, collect, read_corpus
from abstract_search.data.errors import CorpusError


def test_formats_table():
    assert set(FORMATS) == {"seed", "jsonl", "json", "csv", "beir", "arxiv", "openalex", "s2", "bibtex", "ris"}


def test_bundled_corpus_detected_and_read():
    assert bundled_corpus_path().name == "seed_profile.txt" and bundled_corpus_path().is_file()
    report = collect(read_corpus(bundled_corpus_path(), capture_year=2025))
    assert len(report.papers) == 50 and report.rejected == []


def test_forced_format_and_options(write):
    path = write("x.txt", json.dumps({"key": "k", "body": "B."}) + "\n")
    report = collect(read_corpus(path, "jsonl", field_map={"id": "key", "abstract": "body"}))
    assert [p.id for p in report.papers] == ["k"]
    # An option for another format is ignored, so one option set can serve mixed files.
    report = collect(read_corpus(path, field_map={"id": "key", "abstract": "body"}, capture_year=2020))
    assert [p.id for p in report.papers] == ["k"]


def test_unknown_format_and_option(write):
    path = write("x.jsonl", "{}\n")
    with pytest.raises(CorpusError, match="unknown format 'xml'; valid formats: seed, jsonl, json, csv, beir, arxiv, openalex, s2, bibtex, ris"):
        read_corpus(path, "xml")
    with pytest.raises(CorpusError, match="unknown reader option 'fieldmap'"):
        read_corpus(path, "jsonl", fieldmap={})


def test_missing_file_raises_at_call(tmp_path):
    for fmt in (None, *FORMATS):
        with pytest.raises(CorpusError, match="nowhere.jsonl"):
            read_corpus(tmp_path / "nowhere.jsonl", fmt)
