"""Corpus readers: turn seed pages, JSON Lines, CSV, BEIR and arXiv files into Paper records."""

from data.corpus import FORMATS, bundled_corpus_path, collect, read_corpus
from data.detect import detect_format
from data.errors import CorpusError
from data.paper import Paper, ReadReport, Rejected

__all__ = [
    "FORMATS", "CorpusError", "Paper", "ReadReport", "Rejected",
    "bundled_corpus_path", "collect", "detect_format", "read_corpus",
]
