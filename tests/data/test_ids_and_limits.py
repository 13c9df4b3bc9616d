"""The id rules, duplicate ids within one file, the one length limit of every reader, and JSON arrays."""

from __future__ import annotations

import json

import pytest

from abstract_search.data.corpus import read_corpus
from abstract_search.data.detect import detect_format
from abstract_search.data.ids import MAX_ID_CHARS, IdError, clean_id
from abstract_search.data.readers.fields import MAX_TEXT_CHARS


def test_ids_keep_inner_whitespace_and_refuse_what_cannot_be_an_id():
    assert clean_id("  p q ") == "p q"
    assert clean_id("p  q") == "p  q"  # another paper than "p q"
    assert clean_id("e\u0301t\u00e9") == "\u00e9t\u00e9"  # NFC: one visible id is one id
    assert clean_id("hep-th/9901001") == "hep-th/9901001"
    for bad, reason in (("", "empty"), ("a\tb", "control"), ("a\nb", "control"), ("x" * (MAX_ID_CHARS + 1), "longer"),
                        ("a\ud800", "surrogate")):
        with pytest.raises(IdError, match=reason):
            clean_id(bad)


def test_a_numeric_id_keeps_the_same_rules(split, write):
    papers, rejected = split(read_corpus(write("n.jsonl", json.dumps({"id": 10 ** 600, "abstract": "Long id."}) + "\n"
                                               + json.dumps({"id": 42, "abstract": "Short id."}) + "\n")))
    assert [p.id for p in papers] == ["42"] and "longer than 512" in rejected[0].reason


def test_a_repeated_id_in_one_file_is_reported_and_the_first_record_kept(split, write):
    lines = [{"id": "a", "abstract": "First text."}, {"id": "b", "abstract": "Other."},
             {"id": "a", "abstract": "Second text."}, {"id": "p q", "abstract": "One."}, {"id": "p  q", "abstract": "Two."}]
    papers, rejected = split(read_corpus(write("dup.jsonl", "".join(json.dumps(r) + "\n" for r in lines))))
    assert [(p.id, p.abstract) for p in papers] == [("a", "First text."), ("b", "Other."), ("p q", "One."),
                                                    ("p  q", "Two.")]
    assert [(r.line, r.reason) for r in rejected] == [
        (3, "duplicate id 'a': the record at line 1 has it too and is the one kept")]
    csv_papers, csv_rejected = split(read_corpus(write("dup.csv", "id,abstract\na,One.\na,Two.\n")))
    assert [p.abstract for p in csv_papers] == ["One."] and "duplicate id 'a'" in csv_rejected[0].reason


@pytest.mark.parametrize("name, body", [
    ("long.jsonl", lambda text: json.dumps({"id": "long", "abstract": text}) + "\n" + json.dumps({"id": "ok", "abstract": "Fine."}) + "\n"),
    ("long.csv", lambda text: f"id,abstract\nlong,{text}\nok,Fine.\n"),
])
def test_an_over_long_abstract_is_refused_by_every_reader_and_the_rest_kept(split, write, name, body):
    papers, rejected = split(read_corpus(write(name, body("word " * (MAX_TEXT_CHARS // 5 + 10)))))
    assert [p.id for p in papers] == ["ok"]
    assert "at most 100,000 are accepted" in rejected[0].reason and rejected[0].line == 2 - name.endswith(".jsonl")


def test_a_one_line_json_array_is_read_as_json(split, write):
    path = write("papers.json", json.dumps([{"id": "x", "title": "T", "abstract": "An abstract."}, 3,
                                            {"id": "y", "abstract": ""}]))
    assert detect_format(path) == "json"
    papers, rejected = split(read_corpus(path))
    assert [p.id for p in papers] == ["x"]
    assert [(r.line, r.reason) for r in rejected] == [(2, "array item must be an object, got int"),
                                                      (3, "missing abstract")]
    _, broken = split(read_corpus(write("broken.json", "[{\"id\": 1,")))
    assert "not a readable JSON array" in broken[0].reason and "JSON Lines" in broken[0].reason
