"""The JSON Lines reader: field mapping, derived fields, and bad lines with their numbers."""

from __future__ import annotations

import json

import pytest

from abstract_search.data.errors import CorpusError
from abstract_search.data.readers.fields import hash_id
from abstract_search.data.readers.jsonl import read_jsonl


def lines(*records) -> str:
    """Join records (dicts are dumped, strings kept) into JSON Lines text."""
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def test_full_record_and_derived_fields(write, split):
    path = write("c.jsonl", lines(
        {"id": "p1", "title": " A\n  title ", "abstract": "Some\ttext.\n More.", "authors": ["A B", "C D"],
         "affiliations": ["lab"], "date": "2021-03-04", "categories": "cs.CL cs.AI", "has_code": True},
        {"id": 7, "title": "T2", "summary": "From summary.", "authors": "A B, C D and E F", "year": 2019},
        {"title": "T3", "text": "From text.", "categories": ["q-bio"], "date": "2020-05"},
    ))
    papers, rejected = split(read_jsonl(path))
    assert rejected == []
    first, second, third = papers
    assert (first.id, first.title, first.abstract) == ("p1", "A title", "Some text. More.")
    assert (first.authors, first.affiliations) == (("A B", "C D"), ("lab",))
    assert (first.date, first.year, first.categories, first.has_code) == ("2021-03-04", 2021, ("cs.CL", "cs.AI"), True)
    assert (second.id, second.abstract, second.authors, second.year) == ("7", "From summary.", ("A B", "C D", "E F"), 2019)
    assert third.id == hash_id("T3", "From text.") and len(third.id) == 14 and third.id.startswith("h-")
    assert (third.date, third.year, third.categories, third.source) == (None, 2020, ("q-bio",), "c.jsonl")


def test_hash_id_is_stable(write, split):
    record = {"title": "T", "abstract": "A."}
    a = split(read_jsonl(write("a.jsonl", lines(record))))[0][0]
    b = split(read_jsonl(write("b.jsonl", lines({"x": 1}, record))))[0][0]
    assert a.id == b.id


def test_field_map(write, split):
    path = write("m.jsonl", lines({"paper_id": "x", "name": "N", "body": "B.", "abstract": "ignored"}))
    (paper,), _ = split(read_jsonl(path, field_map={"id": "paper_id", "title": "name", "abstract": "body"}))
    assert (paper.id, paper.title, paper.abstract) == ("x", "N", "B.")
    with pytest.raises(CorpusError, match="unknown Paper field 'summary'"):
        read_jsonl(path, field_map={"summary": "body"})


def test_bad_lines_are_rejected_with_line_numbers_and_good_ones_kept(write, split):
    good = {"id": "g", "abstract": "ok"}
    content = (
        "\ufeff" + lines(
            {**good, "id": "g1"},            # 1: starts with a BOM
            "{not json",                      # 2
            "",                               # 3: blank, skipped silently
            {"id": "noabs", "title": "T"},    # 4
            {**good, "id": "g2"},             # 5
            {**good, "title": 12},            # 6
            {**good, "authors": {"a": 1}},    # 7
            {**good, "authors": ["A", 3]},    # 8
            "[1, 2]",                         # 9
            {**good, "abstract": "   "},      # 10
            {**good, "date": "someday"},      # 11
            {**good, "has_code": "maybe"},    # 12
            "",                               # 13
            {**good, "id": "g3"},             # 14
        )
    ).encode("utf-8")
    content += b'{"id": "bad", "abstract": "caf\xe9"}\n' + lines({**good, "id": "g4"}).encode()
    papers, rejected = split(read_jsonl(write("bad.jsonl", content)))
    assert [p.id for p in papers] == ["g1", "g2", "g3", "g4"]
    assert [(r.line, r.reason) for r in rejected] == [
        (2, "invalid JSON: Expecting property name enclosed in double quotes at column 2"),
        (4, "missing abstract"),
        (6, "field 'title' must be a string, got int"),
        (7, "field 'authors' must be a list of strings or a string, got dict"),
        (8, "field 'authors' must be a list of strings, item 2 is int"),
        (9, "JSON line must be an object, got list"),
        (10, "missing abstract"),
        (11, "field 'date': unreadable date: 'someday'"),
        (12, "field 'has_code' must be true or false, got 'maybe'"),
        (15, "not UTF-8 text (byte 0xe9 at column 31)"),
    ]
    assert {r.source for r in rejected} == {"bad.jsonl"}


def test_lone_surrogate_is_rejected(write, split):
    path = write("s.jsonl", '{"abstract": "bad \\ud800 text"}\n{"abstract": "fine"}\n')
    papers, rejected = split(read_jsonl(path))
    assert len(papers) == 1 and "lone surrogate" in rejected[0].reason


def test_missing_file(tmp_path):
    with pytest.raises(CorpusError, match="corpus file not found: .*missing.jsonl"):
        read_jsonl(tmp_path / "missing.jsonl")
