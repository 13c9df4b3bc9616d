"""The seed profile-page reader, on the real bundled page and on small made-up pages."""

from __future__ import annotations

import datetime

import pytest

from abstract_search.data.corpus import bundled_corpus_path
from abstract_search.data.errors import CorpusError
from abstract_search.data.readers.seed_page import read_seed_page, slugify

OWNER = "Jason Weston"


def test_bundled_page_has_50_papers_and_no_rejections(seed_records, split):
    papers, rejected = split(seed_records)
    assert len(papers) == 50
    assert rejected == []


def test_first_paper_field_by_field(seed_records):
    paper = seed_records[0]
    assert paper.id == "blenderbot-3-a-deployed-conversational-agent-that-continually"
    assert paper.title == (
        "BlenderBot 3: a deployed conversational agent that continually learns to responsibly engage"
    )
    assert paper.authors == ("Kurt Shuster", "Jing Xu", "Mojtaba Komeili", OWNER)
    assert paper.affiliations == ("meta-ai", "mila")
    assert paper.categories == ("cs.CL",)
    assert paper.date == "2022-08-05"
    assert paper.year == 2022
    assert paper.has_code is False
    assert paper.source == "seed_profile.txt"
    assert paper.abstract.startswith("We present BlenderBot 3, a 175B parameter dialogue model")
    assert paper.abstract.endswith("responsible agents that learn through interaction.")


def test_last_paper_field_by_field(seed_records, seed_lines):
    paper = seed_records[-1]
    assert seed_lines[-3] == "Tianjian Li, Yiming Zhang, Ping Yu et al. · meta-ai"
    assert paper.id == "jointly-reinforcing-diversity-and-quality-in-language-model"
    assert paper.title == "Jointly Reinforcing Diversity and Quality in Language Model Generations"
    assert paper.authors == ("Tianjian Li", "Yiming Zhang", "Ping Yu", OWNER)
    assert paper.affiliations == ("meta-ai",)
    assert paper.categories == ("cs.CL",)
    assert (paper.date, paper.year, paper.has_code) == ("2025-09-02", 2025, False)
    # The file has no final newline: the last abstract must still be whole.
    assert paper.abstract == seed_lines[-1]
    assert paper.abstract.startswith("Post-training of Large Language Models (LMs) often prioritizes")
    assert paper.abstract.endswith("which manifests itself as higher-quality responses.")


def test_yearless_date_takes_capture_year(seed_records):
    paper = next(p for p in seed_records if p.title.startswith("Reasoning over mathematical objects"))
    assert paper.categories == ("cs.AI",)
    assert (paper.date, paper.year) == ("2025-03-19", 2025)


def test_yearless_date_defaults_to_this_year(split):
    this_year = datetime.date.today().year
    papers, _ = split(read_seed_page(bundled_corpus_path()))
    paper = next(p for p in papers if p.title.startswith("Reasoning over mathematical objects"))
    assert (paper.date, paper.year) == (f"{this_year}-03-19", this_year)


def test_code_marker_sets_has_code(seed_records, seed_lines):
    normformer = next(p for p in seed_records if p.title.startswith("NormFormer"))
    assert normformer.has_code is True
    assert (normformer.date, normformer.year) == ("2021-10-18", 2021)
    code_lines = sum(1 for line in seed_lines if line.endswith("Code"))
    assert code_lines == 5
    assert sum(p.has_code for p in seed_records) == code_lines


def test_paper_without_affiliations(seed_records):
    paper = next(p for p in seed_records if p.title == "NormFormer: Improved Transformer Pretraining with Extra Normalization")
    assert paper.affiliations == ()
    # The owner is already on this author line: he is not added twice.
    assert paper.authors == ("Sam Shleifer", OWNER, "Myle Ott")


def test_owner_is_author_of_every_paper_and_ids_are_unique(seed_records):
    assert all(OWNER in p.authors for p in seed_records)
    assert all(p.authors.count(OWNER) == 1 for p in seed_records)
    assert all("et al" not in " ".join(p.authors) for p in seed_records)
    assert len({p.id for p in seed_records}) == 50


def test_lg_category_maps_to_arxiv_form(seed_records):
    assert {c for p in seed_records for c in p.categories} == {"cs.CL", "cs.AI", "cs.LG"}


PAGE = (
    "Ada Owner\n\nCL\nh-index5\n\n"
    "CVJan 2, 2020\nSame Title Here\n\nA B, C D et al. · lab\n\nFirst abstract.\n\n"
    "CLFeb 30, 2021\nImpossible Date\n\nA B\n\nAbstract.\n\n"
    "ROMar 3, 2022Code\nSame Title Here\n\nAda Owner, E F\n\nSecond abstract\ncontinues here.\n\n"
    "CLApr 4, 2023\nNo Abstract Paper\n\nG H · lab\n\n"
    "NEMay 5\nLast One\nI J\nThird abstract."
)


def test_made_up_page_keeps_good_blocks_and_rejects_bad_ones(write, split):
    path = write("page.txt", PAGE)
    papers, rejected = split(read_seed_page(path, capture_year=2024))
    assert [p.id for p in papers] == ["same-title-here", "same-title-here-2", "last-one"]
    assert papers[0].categories == ("cs.CV",)
    assert papers[0].authors == ("A B", "C D", "Ada Owner")
    assert papers[1].has_code and papers[1].authors == ("Ada Owner", "E F")
    assert papers[1].abstract == "Second abstract continues here."
    assert (papers[2].date, papers[2].categories) == ("2024-05-05", ("cs.NE",))
    assert [(r.line, r.reason) for r in rejected] == [
        (13, "not a real date: 'CLFeb 30, 2021'"),
        (28, "paper has no abstract"),
    ]
    assert all(r.source == "page.txt" for r in rejected)


def test_bad_bytes_reject_only_their_block(write, split):
    content = PAGE.encode("utf-8").replace(b"First abstract.", b"First \xff abstract.")
    papers, rejected = split(read_seed_page(write("page.txt", content), capture_year=2024))
    assert [p.title for p in papers] == ["Same Title Here", "Last One"]
    assert (rejected[0].line, rejected[0].reason) == (11, "not UTF-8 text (byte 0xff at column 7)")


def test_page_with_no_papers_says_so(write, split):
    _, rejected = split(read_seed_page(write("x.txt", "just\nsome text\n")))
    assert len(rejected) == 1 and "no paper found" in rejected[0].reason


def test_slugify_is_ascii_and_short():
    assert slugify("Ça marche: über-große Modelle!") == "ca-marche-uber-groe-modelle"
    assert slugify("一二三") == "paper"
    assert slugify("a b c d e f g h i j") == "a-b-c-d-e-f-g-h"


def test_missing_file_and_bad_capture_year(tmp_path):
    with pytest.raises(CorpusError, match="not found: .*nope.txt"):
        read_seed_page(tmp_path / "nope.txt")
    with pytest.raises(CorpusError, match="capture_year"):
        read_seed_page(bundled_corpus_path(), capture_year="2025")
