"""The arXiv reader: authors, version dates, gzip by magic bytes, and the real 124k dump."""

from __future__ import annotations

import gzip
import json

from abstract_search.data.readers.arxiv import read_arxiv

RECORDS = [
    {"id": "0704.0001", "title": "Calculation of\n  prompt diphoton", "abstract": "  A fully\n differential calculation.\n",
     "authors": "C. Bal\\'azs, E. L. Berger and C.-P. Yuan", "categories": "hep-ph",
     "versions": [{"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
                  {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
     "update_date": "2008-11-13",
     "authors_parsed": [["Balázs", "C.", ""], ["Berger", "E. L.", ""], ["Yuan", "C. -P.", "Jr"]]},
    {"id": "hep-th/9901001", "title": "Old style", "abstract": "Abstract.", "authors": ["A B"],
     "categories": "hep-th math.AG", "update_date": "1999-01-05"},
    {"id": "2503.11731", "title": "Only basics", "abstract": "Text.", "categories": "cs.CV cs.RO"},
]


def body(records) -> bytes:
    """Return the records as JSON Lines bytes."""
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode("utf-8")


def check_small(papers):
    """Assert the three RECORDS came out right."""
    first, second, third = papers
    assert (first.id, first.title, first.abstract) == (
        "0704.0001", "Calculation of prompt diphoton", "A fully differential calculation.")
    assert first.authors == ("C. Balázs", "E. L. Berger", "C. -P. Yuan Jr")
    assert (first.date, first.year, first.categories) == ("2007-04-02", 2007, ("hep-ph",))
    assert (second.authors, second.date, second.year, second.categories) == (
        ("A B",), "1999-01-05", 1999, ("hep-th", "math.AG"))
    # no date in the record: the month its arXiv id encodes (data/links.py)
    assert (third.date, third.year, third.authors, third.categories) == ("2025-03", 2025, (), ("cs.CV", "cs.RO"))
    assert [p.url for p in papers] == ["https://arxiv.org/abs/0704.0001", "https://arxiv.org/abs/hep-th/9901001",
                                       "https://arxiv.org/abs/2503.11731"]


def test_plain_file(write, split):
    papers, rejected = split(read_arxiv(write("meta.jsonl", body(RECORDS))))
    assert rejected == []
    check_small(papers)


def test_gzip_detected_by_magic_bytes_not_extension(write, split):
    papers, _ = split(read_arxiv(write("meta.jsonl", gzip.compress(body(RECORDS)))))
    check_small(papers)
    papers, _ = split(read_arxiv(write("plain.jsonl.gz", body(RECORDS))))
    check_small(papers)


def test_bad_records_and_truncated_gzip(write, split):
    bad = [
        RECORDS[2],
        {"id": "x1", "title": "T", "abstract": "A.", "authors_parsed": "nope"},
        {"id": "x2", "title": "T", "abstract": "A.", "versions": [{"version": "v1", "created": "never"}]},
        {"id": 1.5, "title": "T", "abstract": "A."},
        RECORDS[1],
    ]
    papers, rejected = split(read_arxiv(write("bad.jsonl", body(bad))))
    assert [p.id for p in papers] == ["2503.11731", "hep-th/9901001"]
    assert [(r.line, r.reason) for r in rejected] == [
        (2, "field 'authors_parsed' must be a list of [last, first, ...] string lists, got str"),
        (3, "field 'versions': unreadable date: 'never'"),
        (4, "field 'id' must be a string, got float"),
    ]
    compressed = gzip.compress(body(RECORDS * 200))
    papers, rejected = split(read_arxiv(write("cut.jsonl.gz", compressed[: len(compressed) // 2])))
    assert papers and len(papers) < 600
    rejected = [r for r in rejected if not r.reason.startswith("duplicate id")]  # the records repeat 200 times
    assert len(rejected) <= 2 and rejected[-1].reason.startswith("corrupt gzip data")


def test_real_arxiv_dump_streams_every_record(shared_path):
    path = shared_path("arxiv/arxiv_abstracts.jsonl.gz")
    records = read_arxiv(path)
    first = next(records)
    assert first.id == "2503.11731" and first.categories == ("cs.CV", "cs.RO")
    count, rejected = 1, 0
    for record in records:  # counted one by one: the dump is never held in memory
        count += 1
        rejected += not hasattr(record, "abstract")
    assert (count, rejected) == (124_630, 0)
