"""Snippets: the sentence with the most query terms, stemmed, and the spans of those words."""

from __future__ import annotations

from abstract_search.search.snippet import best_snippet

ABSTRACT = (
    "We study large language models. Judging answers is costly for people. "
    "Our judge model evaluates replies of other models' answers and ranks them. The code is public."
)


def test_picks_the_sentence_sharing_most_stemmed_terms_and_marks_inflected_forms():
    snippet = best_snippet(ABSTRACT, "models that judge the reply")
    assert snippet.text == "Our judge model evaluates replies of other models' answers and ranks them."
    marked = [snippet.text[a:b] for a, b in snippet.highlights]
    assert marked == ["judge", "model", "replies", "models"]


def test_a_query_of_stopwords_gives_the_first_sentence_unmarked():
    snippet = best_snippet(ABSTRACT, "what is the")
    assert snippet.text == "We study large language models." and snippet.highlights == ()


def test_words_with_a_stem_that_is_not_a_prefix_still_match():
    # Snowball turns "cities" and "city" into "citi", which is not a prefix of "city"
    snippet = best_snippet("Nothing here. A city of cats.", "cities")
    assert snippet.text == "A city of cats." and [snippet.text[a:b] for a, b in snippet.highlights] == ["city"]


def test_stopwords_that_share_a_query_stem_are_not_marked():
    # "uses" is a query word, stemmed "use"; "using" and "use" stem alike but are stopwords
    snippet = best_snippet("Using graphs, we use uses of graphs.", "uses of graphs")
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["graphs", "uses", "graphs"]


def test_words_with_diacritics_are_marked_whole_and_match_without_them_as_bm25_does():
    # FTS5's tokenizer removes diacritics before stemming: "Schrödinger" and "Schrodinger" are one term
    abstract = "Nothing here. We solve the Schrödinger equation for électrons in a Möbius strip."
    for query in ("Schrödinger equation", "schrodinger equations"):
        snippet = best_snippet(abstract, query)
        assert [snippet.text[a:b] for a, b in snippet.highlights] == ["Schrödinger", "equation"], query
    snippet = best_snippet(abstract, "electron möbius")
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["électrons", "Möbius"]


def test_the_term_cache_answers_right_when_it_is_cleared_and_for_words_with_no_terms(monkeypatch):
    from abstract_search.search import text_terms

    monkeypatch.setattr(text_terms, "CACHE_SIZE", 5)
    monkeypatch.setattr(text_terms, "_terms", {})
    assert text_terms.terms_of(["alpha", "beta", "gamma"]) == [("alpha",), ("beta",), ("gamma",)]
    # this call clears the full cache while it fills it: it must still answer for every word it asked about
    assert text_terms.terms_of(["alpha", "delta", "epsilon", "zeta"])[0] == ("alpha",)
    mark = "\u19b0"  # a letter FTS5 keeps no term for
    assert text_terms.terms_of([mark]) == [()] and text_terms.terms_of([mark, "novelword"])[0] == ()
    assert best_snippet("Graphs of graphs. Nothing else.", "graphs").highlights == ((0, 6), (10, 16))
