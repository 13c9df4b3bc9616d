"""Corpus readers: turn seed pages, JSON Lines, CSV, BEIR and arXiv files into Paper records."""

from abstract_search.data.corpus import FORMATS, bundled_corpus_path, collect, read_corpus
from abstract_search.data.detect import detect_format
from abstract_search.data.errors import CorpusError
from abstract_search.data.paper import Paper, ReadReport, Rejected

__all__ = [
    "FORMATS", "CorpusError", "Paper", "ReadReport", "Rejected",
    "bundled_corpus_path", "collect", "detect_format", "read_corpus",
]
