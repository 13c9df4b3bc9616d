"""Passages of whole sentences that the model reads whole, counted by the model's own tokenizer."""

from __future__ import annotations

import pytest

from abstract_search.data.corpus import bundled_corpus_path, collect, read_corpus
from abstract_search.index.embedder import Embedder
from abstract_search.index.passages import MAX_PIECES, split_passages


@pytest.fixture(scope="module")
def counts():
    """The default model's word-piece counter."""
    return Embedder().piece_counts


def test_every_passage_fits_and_together_they_hold_every_word_in_order(counts):
    papers = collect(read_corpus(bundled_corpus_path(), capture_year=2025)).papers
    longer = 0
    for paper in papers:
        passages = split_passages(paper.title, paper.abstract, counts)
        prefix = f"{paper.title}. "
        assert all(p.startswith(prefix) for p in passages)
        assert max(counts(passages)) <= MAX_PIECES
        assert " ".join(p.removeprefix(prefix) for p in passages).split() == paper.abstract.split()
        longer += len(passages) > 1
    assert longer > 40  # nearly every abstract of the bundled page is longer than 128 word pieces


def test_a_short_abstract_is_one_passage_and_a_long_sentence_is_cut_at_words(counts):
    assert split_passages("T", "One short sentence. And another.", counts) == ["T. One short sentence. And another."]
    sentence = " ".join(f"word{i}" for i in range(300)) + "."
    passages = split_passages("Title", sentence, counts)
    assert len(passages) > 2 and max(counts(passages)) <= MAX_PIECES
    assert " ".join(p.removeprefix("Title. ") for p in passages).split() == sentence.split()
    assert split_passages("", "No title here.", counts) == ["No title here."]
