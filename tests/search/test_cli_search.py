"""Searching the bundled corpus through the `abstracts` command: answers, JSON, filters, similar."""

from __future__ import annotations

import json

import pytest

from tests.conftest import cli_json, run_cli

LLM_JUDGE_PAPERS = {
    "Self-Taught Evaluators",
    "J1: Incentivizing Thinking in LLM-as-a-Judge via Reinforcement Learning",
    "Learning to Plan & Reason for Evaluation with Thinking-LLM-as-a-Judge",
    "Meta-Rewarding Language Models: Self-Improving Alignment with LLM-as-a-Meta-Judge",
}


def titles(result: dict) -> list[str]:
    """Return the titles of a JSON result, in rank order."""
    return [hit["title"] for hit in result["results"]]


def test_llm_judges_question_finds_the_judge_papers(bundled_index):
    result = cli_json("search", "papers on LLM judges", "--index", str(bundled_index), "--k", "5")
    assert len(LLM_JUDGE_PAPERS & set(titles(result))) >= 3, titles(result)
    assert result["query"] == "papers on LLM judges"
    hit = result["results"][0]
    assert set(hit) >= {"id", "title", "authors", "year", "score", "snippet"}
    scores = [h["score"] for h in result["results"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("question", "expected", "top"),
    [
        ("reducing hallucinations by having the model check its own answers", "Chain-of-Verification Reduces Hallucination in Large Language Models", 1),
        ("reasoning in a continuous latent space instead of words", "Training Large Language Models to Reason in a Continuous Latent Space", 1),
        ("tokenizer-free model that works on raw bytes", "Byte Latent Transformer: Patches Scale Better Than Tokens", 1),
        ("open-source software platform for dialogue research", "ParlAI: A Dialog Research Software Platform", 1),
        ("mixture of experts built from separately trained expert models", "Branch-Train-MiX: Mixing Expert LLMs into a Mixture-of-Experts LLM", 1),
        ("generating instructions for web documents to align a language model", "Self-Alignment with Instruction Backtranslation", 3),
        ("letting the model undo unsafe text it has started to generate", "Backtracking Improves Generation Safety", 1),
        ("language models that cannot infer B is A after learning A is B", "Reverse Training to Nurse the Reversal Curse", 3),
    ],
)
def test_plain_questions_find_the_paper_that_answers_them(bundled_index, question, expected, top):
    result = cli_json("search", question, "--index", str(bundled_index), "--k", str(top))
    assert expected in titles(result), titles(result)


def test_json_output_is_one_object_and_nothing_else(bundled_index):
    result = run_cli("search", "dialogue safety", "--index", str(bundled_index), "--json", "--k", "3", check=True)
    data = json.loads(result.stdout)  # fails if anything else is on stdout
    assert len(data["results"]) == 3


def test_table_output_shows_titles_levels_and_whole_ids_at_80_columns(bundled_index):
    args = ("search", "reasoning over mathematical objects", "--index", str(bundled_index), "--k", "5")
    result = run_cli(*args, check=True)  # not a terminal: rich lays it out at 80 columns
    assert "Reasoning over mathematical objects" in result.stdout and "strong" in result.stdout
    lines = result.stdout.splitlines()
    assert lines[1].startswith("results 1-5; 50 papers pass the filters · ") and lines[1].endswith(" ms")
    ids = [hit["id"] for hit in cli_json(*args)["results"]]
    assert max(map(len, ids)) > 50  # long enough that a table column would have folded it
    for paper_id in ids:  # each id whole on one line, to copy into `similar` and `show`
        assert any(line.strip() == f"id: {paper_id}" for line in lines), paper_id
    assert all(len(line.rstrip()) <= 80 for line in lines if not line.strip().startswith("id: "))


def test_snippet_is_the_best_matching_sentence(bundled_index):
    result = cli_json("search", "ParlAI dialog research software platform", "--index", str(bundled_index), "--k", "1")
    hit = result["results"][0]
    assert hit["title"].startswith("ParlAI")
    assert "ParlAI" in hit["snippet"] or "platform" in hit["snippet"].lower()
    paper = json.loads(run_cli("show", hit["id"], "--index", str(bundled_index), check=True).stdout)
    assert hit["snippet"] in paper["abstract"]
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end]


def test_similar_to_a_paper_excludes_itself(bundled_index):
    top = cli_json("search", "Iterative Reasoning Preference Optimization", "--index", str(bundled_index), "--k", "1")
    paper_id = top["results"][0]["id"]
    related = cli_json("similar", paper_id, "--index", str(bundled_index), "--k", "5")
    assert paper_id not in [h["id"] for h in related["results"]]
    assert len(related["results"]) == 5
    assert any("Preference Optimization" in t for t in titles(related)), titles(related)


def test_similar_to_a_pasted_abstract(bundled_index):
    text = ("We train a language model to judge responses, using synthetic preference pairs and iterative "
            "self-improvement without any human annotations.")
    related = cli_json("similar", "--text", text, "--index", str(bundled_index), "--k", "3")
    assert "Self-Taught Evaluators" in titles(related), titles(related)


def test_author_filter_finds_every_paper_of_the_page_owner(bundled_index):
    result = cli_json("search", "language models", "--index", str(bundled_index), "--author", "Jason Weston", "--k", "100")
    assert len(result["results"]) == 50


def test_year_filter_returns_k_papers_even_when_the_best_ones_are_filtered_away(bundled_index):
    # The top unfiltered answers are from 2024-2025; only the 4 papers from 2021 and before may come back.
    result = cli_json("search", "papers on LLM judges", "--index", str(bundled_index), "--year-max", "2021", "--k", "3")
    assert len(result["results"]) == 3
    assert all(hit["year"] <= 2021 for hit in result["results"])
    assert result["total"] == 4


def test_category_filter(bundled_index):
    result = cli_json("search", "language models", "--index", str(bundled_index), "--category", "LG", "--k", "10")
    assert result["results"] and all("cs.LG" in hit["categories"] for hit in result["results"])


def test_empty_query_is_a_clear_error(bundled_index):
    result = run_cli("search", "   ", "--index", str(bundled_index))
    assert result.returncode == 1 and "query is empty" in result.stderr
