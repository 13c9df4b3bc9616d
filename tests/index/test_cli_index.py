"""Building, extending and deleting from an index through the `abstracts` command."""

from __future__ import annotations

import json

from tests.conftest import cli_json, run_cli


def write_jsonl(path, records):
    """Write records as JSON Lines."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_index_builds_all_parts_of_the_bundled_corpus(bundled_index):
    manifest = json.loads((bundled_index / "manifest.json").read_text())
    assert manifest["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert manifest["count"] == 50
    assert manifest["normalized"] is True
    assert manifest["index_type"] == "flat"
    for key in ("format_version", "package_version", "built_at", "generation"):
        assert manifest[key]
    assert (bundled_index / "vectors.faiss").stat().st_size > 50 * 384 * 4
    assert (bundled_index / "papers.sqlite").exists()


def test_reindexing_the_same_corpus_embeds_nothing(index_copy):
    result = run_cli("index", "--index", str(index_copy), check=True)
    assert "0 added, 0 updated, 50 unchanged, 0 skipped" in result.stdout


def test_add_file_with_new_changed_and_bad_records(index_copy, tmp_path):
    first = cli_json("search", "BlenderBot 3 deployed conversational agent", "--index", str(index_copy), "--k", "1")
    blender_id = first["results"][0]["id"]
    source = tmp_path / "new.jsonl"
    source.write_text(
        json.dumps({"id": "new-1", "title": "Judging the judges", "abstract": "We audit LLM-as-a-judge evaluators "
                    "for position bias and verbosity bias.", "authors": ["A. Researcher"], "date": "2026-01-02"}) + "\n"
        + "{broken json\n"
        + json.dumps({"id": "new-2", "title": "No abstract here"}) + "\n"
        + json.dumps({"id": blender_id, "title": "BlenderBot 3", "abstract": "A rewritten abstract about a deployed "
                      "dialogue agent that learns continually."}) + "\n",
        encoding="utf-8",
    )
    result = run_cli("add", str(source), "--index", str(index_copy))
    assert result.returncode == 3, result.stderr
    assert "1 added, 1 updated, 0 unchanged, 2 skipped" in result.stdout
    assert "new.jsonl:2" in result.stderr and "new.jsonl:3" in result.stderr
    hits = cli_json("search", "position bias of LLM-as-a-judge evaluators", "--index", str(index_copy), "--k", "3")
    assert hits["results"][0]["id"] == "new-1"
    stats = json.loads(run_cli("stats", "--index", str(index_copy), "--json", check=True).stdout)
    assert stats["count"] == 51


def test_delete_removes_papers_from_search_and_reports_unknown_ids(index_copy):
    top = cli_json("search", "papers on LLM judges", "--index", str(index_copy), "--k", "1")["results"][0]["id"]
    result = run_cli("delete", top, "no-such-paper", "--index", str(index_copy))
    assert result.returncode == 3
    assert "deleted 1 papers, 1 not found" in result.stdout
    assert "no-such-paper" in result.stderr
    after = cli_json("search", "papers on LLM judges", "--index", str(index_copy), "--k", "50")
    assert top not in [r["id"] for r in after["results"]]
    assert after["total"] == 49
    gone = run_cli("similar", top, "--index", str(index_copy))
    assert gone.returncode == 1 and "no paper with id" in gone.stderr


def test_missing_index_is_a_clear_error(tmp_path):
    result = run_cli("search", "anything", "--index", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "no index at" in result.stderr and "abstracts index" in result.stderr
    assert "Traceback" not in result.stderr


def test_other_model_than_the_index_was_built_with_is_refused(bundled_index):
    result = run_cli("search", "LLM judges", "--index", str(bundled_index), "--model", "some-org/other-model")
    assert result.returncode == 1
    assert "built with model 'sentence-transformers/all-MiniLM-L6-v2'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_corpus_file_is_a_clear_error(index_copy, tmp_path):
    result = run_cli("add", str(tmp_path / "missing.jsonl"), "--index", str(index_copy))
    assert result.returncode != 0
    assert "missing.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
