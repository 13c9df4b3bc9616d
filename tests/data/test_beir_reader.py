"""The BEIR corpus reader, on small files and on the real SciFact corpus."""

from __future__ import annotations

import json

from abstract_search.data.readers.beir import read_beir


def test_small_corpus_with_metadata_and_bad_lines(write, split):
    content = "\n".join([
        json.dumps({"_id": "1", "title": "T", "text": "Body.", "metadata": {"authors": ["A"], "year": 2001}}),
        json.dumps({"title": "no id", "text": "x"}),
        json.dumps({"_id": "3", "title": "", "text": "Untitled body.", "metadata": "x"}),
        json.dumps({"_id": 4, "title": "", "text": "Untitled body."}),
        "{broken",
        json.dumps({"_id": "6", "title": "T", "text": ""}),
    ])
    papers, rejected = split(read_beir(write("corpus.jsonl", content)))
    assert [(p.id, p.title, p.authors, p.year) for p in papers] == [
        ("1", "T", ("A",), 2001), ("4", "", (), None)]
    assert [(r.line, r.reason.split(" (")[0]) for r in rejected] == [
        (2, "missing '_id'"),
        (3, "field 'metadata' must be an object, got str"),
        (5, "invalid JSON: Expecting property name enclosed in double quotes at column 2"),
        (6, "missing abstract"),
    ]


def test_real_scifact_corpus(shared_path, split):
    path = shared_path("scifact/corpus.jsonl")
    papers, rejected = split(read_beir(path))
    assert len(papers) == 5183 and rejected == []
    assert len({p.id for p in papers}) == 5183
    first = papers[0]
    assert first.id == "4983"
    assert first.title.startswith("Microstructural development of human newborn cerebral white matter")
    assert first.abstract.startswith("Alterations of the architecture of cerebral white matter")
    assert first.source == "corpus.jsonl"
