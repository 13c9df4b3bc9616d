"""BibTeX, RIS, OpenAlex and Semantic Scholar files: auto-detected, good records kept, bad ones reported."""

from __future__ import annotations

import json

import bibtexparser
import rispy

from abstract_search.data.corpus import read_corpus
from abstract_search.data.detect import detect_format

# As Zotero exports it (Better BibTeX style keys), with LaTeX accents, a keyword list and an arXiv eprint.
BIBTEX = r"""% exported from Zotero
@article{weston2023judges,
  title = {Large Language Models as {J}udges of {D}ialogue},
  author = {Weston, Jason and M{\"u}ller, Anna and van der Berg, Piet},
  year = {2023},
  journal = {Journal of Things},
  doi = {10.1234/jot.2023.5},
  abstract = {We ask whether language models can judge conversations.},
  keywords = {LLM judges, evaluation; dialogue},
}

@misc{smith2021arxiv,
  title = "Retrieval for Claims",
  author = "Smith, John",
  year = 2021,
  eprint = {2103.01234},
  archivePrefix = {arXiv},
  abstract = {Dense retrieval of scientific claims.}
}

@book{noabstract, title = {A Book Without One}, year = {1999}}

@article{broken, title = {Unclosed
@inproceedings{after2020, title={After the damage}, author={Doe, Jane}, year={2020}, abstract={Still read.}}
"""

# RIS as the RIS specification and rispy's documentation give it: TY first, ER last, AB/N2 abstracts.
RIS = """TY  - JOUR
ID  - ris-1
TI  - Calibrated Scores for Search
AU  - Weston, Jason
AU  - Doe, J.
PY  - 2022/05/01/
AB  - Scores a person can read.
KW  - calibration
KW  - search
DO  - 10.5555/abc.1
ER  - 

TY  - CONF
T1  - Notes as Abstract
A1  - Roe, Richard
N2  - The abstract sits in N2 here.
UR  - https://example.org/paper/2
ER  - 

TY  - JOUR
TI  - No Abstract Here
ER  - 

TY  - JOUR
TI  - Never Ended
AB  - This record has no ER line.
"""

OPENALEX = [
    {"id": "https://openalex.org/W2741809807", "doi": "https://doi.org/10.7717/peerj.4375",
     "title": "The state of OA", "display_name": "The state of OA", "publication_year": 2018,
     "publication_date": "2018-02-13",
     "authorships": [{"author": {"id": "https://openalex.org/A1", "display_name": "Heather Piwowar"},
                      "institutions": [{"display_name": "Impactstory"}]},
                     {"author": {"display_name": "Jason Priem"}, "institutions": [{"display_name": "Impactstory"}]}],
     "abstract_inverted_index": {"Despite": [0], "growing": [1], "interest": [2], "in": [3], "Open": [4],
                                 "Access": [5], "(OA)": [6], "to": [7], "scholarly": [8], "literature,": [9]},
     "primary_location": {"landing_page_url": "https://peerj.com/articles/4375"},
     "topics": [{"display_name": "Open Access Publishing"}]},
    {"id": "https://openalex.org/W2", "title": "No abstract", "abstract_inverted_index": None},
    {"id": "https://openalex.org/W3", "title": "Bad index", "abstract_inverted_index": {"word": "zero"}},
]

# A Graph API answer (camelCase) and a datasets record (lowercase keys), as Semantic Scholar documents them.
S2 = [
    {"paperId": "649def34f8be52c8b66281af98ae884c09aef38b", "corpusId": 215416146,
     "externalIds": {"ArXiv": "2004.07180", "DOI": "10.18653/v1/2020.acl-main.207"},
     "url": "https://www.semanticscholar.org/paper/649def34f8be52c8b66281af98ae884c09aef38b",
     "title": "SPECTER: Document-level Representation Learning", "abstract": "Representation learning is key.",
     "year": 2020, "publicationDate": "2020-04-15", "authors": [{"authorId": "1", "name": "Arman Cohan"}],
     "fieldsOfStudy": ["Computer Science"]},
    {"corpusid": 42, "title": "Lowercase dataset record", "abstract": "From the datasets.", "year": 2019,
     "authors": [{"name": "Ada Lovelace"}], "externalids": {"ArXiv": "1901.00001"},
     "s2fieldsofstudy": [{"category": "Mathematics", "source": "s2-fos-model"}]},
    {"corpusid": 43, "title": "From the papers dataset, which has no abstracts"},
]


def jsonl(records) -> str:
    """Return records as JSON Lines."""
    return "".join(json.dumps(r) + "\n" for r in records)


def test_bibtex_entries_read_and_bad_ones_reported(write, split):
    path = write("library.bib", BIBTEX)
    assert detect_format(path) == "bibtex"
    assert detect_format(write("zotero-export.txt", BIBTEX)) == "bibtex"  # by content too
    papers, rejected = split(read_corpus(path))
    by_id = {p.id: p for p in papers}
    assert set(by_id) == {"weston2023judges", "smith2021arxiv", "after2020"}
    judges = by_id["weston2023judges"]
    assert judges.title == "Large Language Models as Judges of Dialogue"
    assert judges.authors == ("Jason Weston", "Anna Müller", "Piet van der Berg")
    assert (judges.year, judges.url) == (2023, "https://doi.org/10.1234/jot.2023.5")
    assert judges.categories == ("LLM judges", "evaluation", "dialogue")
    assert by_id["smith2021arxiv"].url == "https://arxiv.org/abs/2103.01234"
    assert by_id["after2020"].authors == ("Jane Doe",)
    reasons = {r.line: r.reason for r in rejected}
    assert reasons[21] == "missing abstract"
    assert reasons[23].startswith("not a readable BibTeX entry: Unexpected block start: `@inproceedings`")


def test_ris_records_read_and_bad_ones_reported(write, split):
    path = write("export.ris", RIS)
    assert detect_format(path) == "ris" and detect_format(write("export.txt", RIS)) == "ris"
    papers, rejected = split(read_corpus(path))
    first, second = papers
    assert (first.id, first.title, first.abstract) == ("ris-1", "Calibrated Scores for Search", "Scores a person can read.")
    assert (first.authors, first.year, first.categories) == (("Jason Weston", "J. Doe"), 2022, ("calibration", "search"))
    assert first.url == "https://doi.org/10.5555/abc.1"
    assert (second.title, second.abstract, second.authors) == ("Notes as Abstract", "The abstract sits in N2 here.",
                                                               ("Richard Roe",))
    assert second.url == "https://example.org/paper/2" and second.id.startswith("h-")
    assert [(r.line, r.reason) for r in rejected] == [(20, "missing abstract"),
                                                      (24, "RIS record has no end line (ER  - )")]


def test_openalex_works_read_with_abstracts_from_the_inverted_index(write, split):
    path = write("works.jsonl", jsonl(OPENALEX))
    assert detect_format(path) == "openalex"
    papers, rejected = split(read_corpus(path))
    (work,) = papers
    assert work.id == "W2741809807"
    assert work.abstract == "Despite growing interest in Open Access (OA) to scholarly literature,"
    assert (work.authors, work.affiliations) == (("Heather Piwowar", "Jason Priem"), ("Impactstory",))
    assert (work.date, work.year, work.categories) == ("2018-02-13", 2018, ("Open Access Publishing",))
    assert work.url == "https://peerj.com/articles/4375"
    assert [(r.line, r.reason) for r in rejected][0] == (2, "missing abstract")
    assert rejected[1].line == 3 and "abstract_inverted_index" in rejected[1].reason


def test_semantic_scholar_records_read_in_both_spellings(write, split):
    path = write("s2.jsonl", jsonl(S2))
    assert detect_format(path) == "s2"
    papers, rejected = split(read_corpus(path))
    specter, dataset = papers
    assert specter.id == "649def34f8be52c8b66281af98ae884c09aef38b"
    assert (specter.authors, specter.date, specter.categories) == (("Arman Cohan",), "2020-04-15", ("Computer Science",))
    assert specter.url.startswith("https://www.semanticscholar.org/paper/")
    assert (dataset.id, dataset.url, dataset.categories) == ("CorpusId:42", "https://arxiv.org/abs/1901.00001",
                                                            ("Mathematics",))
    (missing,) = rejected
    assert missing.line == 3 and "abstracts dataset" in missing.reason


def test_written_files_parse_back_with_the_same_libraries(write, split):
    """What the readers read, the format libraries wrote: a round trip through bibtexparser and rispy."""
    library = bibtexparser.Library()
    library.add(bibtexparser.model.Entry("article", "k1", [
        bibtexparser.model.Field("title", "Round Trip"), bibtexparser.model.Field("abstract", "An abstract."),
        bibtexparser.model.Field("author", "Doe, Jane and Roe, Richard"), bibtexparser.model.Field("year", "2020")]))
    (paper,), _ = split(read_corpus(write("trip.bib", bibtexparser.write_string(library))))
    assert (paper.id, paper.authors, paper.year) == ("k1", ("Jane Doe", "Richard Roe"), 2020)
    text = rispy.dumps([{"type_of_reference": "JOUR", "title": "Round Trip", "abstract": "An abstract.",
                         "authors": ["Doe, Jane"], "year": "2020"}])
    (paper,), _ = split(read_corpus(write("trip.ris", text)))
    assert (paper.title, paper.authors, paper.year) == ("Round Trip", ("Jane Doe",), 2020)


def test_the_same_paper_from_another_file_is_the_same_content(write, split):
    (a,), _ = split(read_corpus(write("one.bib", BIBTEX.split("@misc")[0])))
    (b,), _ = split(read_corpus(write("two.bib", BIBTEX.split("@misc")[0])))
    assert a.source != b.source and a.content_hash() == b.content_hash()


def test_content_that_only_looks_like_bibtex_or_ris_keeps_its_format(write):
    csv_text = 'id,title,abstract\n1,Hello,"We study\n@Twitter (the platform) users"\n'
    assert detect_format(write("x.csv", csv_text)) == "csv"
    assert detect_format(write("x.txt", "id,title,abstract\n1,T,\"TY  - JOUR in a cell\"\n")) == "csv"
    assert detect_format(write("notes.jsonl", '{"abstract": "@misc{x, is text here"}\n')) == "jsonl"


def test_ris_abstracts_over_several_lines_years_that_are_no_number_and_a_record_without_its_end(write, split):
    text = ("TY  - JOUR\nID  - two-ab\nTI  - Split abstract\nAB  - First half.\nAB  - Second half.\nPY  - n.d.\n"
            "ER  - \n\nTY  - JOUR\nTI  - Runs on\nAB  - No end line.\nTY  - JOUR\nTI  - Next\nAB  - Next.\nER  - \n")
    papers, rejected = split(read_corpus(write("more.ris", text)))
    (paper,) = papers
    assert (paper.abstract, paper.year) == ("First half. Second half.", None)
    assert [(r.line, r.reason) for r in rejected] == [(9, "RIS record has a second TY line before its ER line")]
    bib = "@article{k, title={T}, abstract={A.}, year={in press}}\n"
    (paper,), _ = split(read_corpus(write("press.bib", bib)))
    assert paper.year is None
