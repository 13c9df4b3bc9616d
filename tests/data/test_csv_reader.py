"""The CSV reader: header mapping, quoted multi-line fields, BOM, and bad rows."""

from __future__ import annotations

import pytest

from abstract_search.data.errors import CorpusError
from abstract_search.data.readers.csv_reader import read_csv

HEADER = "id,Title,abstract,authors,year,categories,has_code,date\n"


def test_rows_with_bom_quotes_and_derivations(write, split):
    content = "\ufeff" + HEADER + (
        'p1,First,"An abstract, with a comma","A B; C D",2020,cs.CL cs.LG,true,\n'
        'p2,Second,"Line one\nline two",A B and C D,,,no,2019-02-03\n'
        ',Third,Third abstract.,,,,,\n'
    )
    papers, rejected = split(read_csv(write("c.csv", content)))
    assert rejected == []
    first, second, third = papers
    assert (first.id, first.title, first.abstract) == ("p1", "First", "An abstract, with a comma")
    assert (first.authors, first.year, first.categories, first.has_code) == (
        ("A B", "C D"), 2020, ("cs.CL", "cs.LG"), True)
    assert (second.abstract, second.authors, second.date, second.year, second.has_code) == (
        "Line one line two", ("A B", "C D"), "2019-02-03", 2019, False)
    assert third.id.startswith("h-") and third.source == "c.csv"


def test_field_map_and_delimiter(write, split):
    path = write("t.tsv", "pid\tsummary_text\nx\tBody.\n")
    (paper,), _ = split(read_csv(path, field_map={"id": "pid", "abstract": "summary_text"}, delimiter="\t"))
    assert (paper.id, paper.abstract) == ("x", "Body.")


def test_bad_rows_are_rejected_with_line_numbers(write, split):
    content = (HEADER + (
        "g1,T,ok,,,,,\n"          # 2
        "n1,T,,,,,,\n"            # 3: no abstract
        "\n"                      # 4: blank
        "s1,T,short\n"            # 5: too few fields
        'q1,T,"multi\nline",,,,,\n'  # 6-7
        "y1,T,ok,,20x0,,,\n"      # 8: bad year
    )).encode() + b"u1,T,caf\xe9,,,,,\n" + b'm1,T,"bad\n\xff line",,,,,\n' + b"g2,T,ok,,,,,\n"
    papers, rejected = split(read_csv(write("bad.csv", content)))
    assert [p.id for p in papers] == ["g1", "q1", "g2"]
    assert [(r.line, r.reason) for r in rejected] == [
        (3, "missing abstract"),
        (5, "row has 3 fields, header has 8"),
        (8, "field 'year' must be a year number, got str"),
        (9, "not UTF-8 text (byte 0xe9 at column 9)"),
        (11, "not UTF-8 text (byte 0xff at column 1)"),
    ]


def test_header_without_abstract_column_is_one_clear_rejection(write, split):
    papers, rejected = split(read_csv(write("h.csv", "id,title\n1,x\n2,y\n")))
    assert papers == [] and [(r.line, r.reason) for r in rejected] == [
        (1, "header has no 'abstract' column (columns: id, title)")]


def test_bad_options_and_missing_file(tmp_path, write):
    with pytest.raises(CorpusError, match="delimiter"):
        read_csv(write("x.csv", HEADER), delimiter=";;")
    with pytest.raises(CorpusError, match="not found"):
        read_csv(tmp_path / "none.csv")
