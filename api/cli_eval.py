"""The `abstracts eval` command on BEIR files, and the --mode and --reranker options the search commands share."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import platformdirs
import typer

from abstract_search.api.cli_common import BackendOpt, DeviceOpt, IndexOpt, JsonOpt, ModelOpt, err, fail, make_settings, open_engine, out
from abstract_search.data.corpus import read_corpus
from abstract_search.data.errors import CorpusError
from abstract_search.index.errors import IndexFailure
from abstract_search.api.progress import progress_bar
from abstract_search.index.ingest import count_records, ingest
from abstract_search.search.evaluation import DEPTH, EvalInputError, judged, read_qrels, read_queries, run_eval
from abstract_search.search.modes import MODES, ModeError, resolve_mode

ModeOpt = Annotated[Optional[str], typer.Option("--mode", help=f"{', '.join(MODES)}; default hybrid")]
RerankerOpt = Annotated[
    Optional[str], typer.Option("--reranker", help="cross-encoder name or path; turns on hybrid+rerank")
]


def checked_mode(mode: str | None, reranker: str | None) -> str:
    """Return the mode to run, or exit with the reason it cannot run."""
    try:
        return resolve_mode(mode, reranker)
    except ModeError as exc:
        fail(str(exc))


def default_eval_index(corpus: Path, model: str | None, backend: str, passages: bool = True) -> Path:
    """Return a per-user cache directory for an index of this corpus file, model, backend and vectors kept."""
    vectors = "passages" if passages else "whole"
    key = hashlib.sha256(f"{corpus.resolve()}|{model or ''}|{backend}|{vectors}".encode()).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("abstract-search")) / "eval" / f"{corpus.stem}-{key}"


def eval_cmd(
    corpus: Annotated[Path, typer.Option("--corpus", exists=True, dir_okay=False, help="BEIR corpus.jsonl")],
    queries: Annotated[Path, typer.Option("--queries", exists=True, dir_okay=False, help="BEIR queries.jsonl")],
    qrels: Annotated[Path, typer.Option("--qrels", exists=True, dir_okay=False, help="BEIR qrels .tsv")],
    mode: ModeOpt = None,
    reranker: RerankerOpt = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    backend: BackendOpt = None,
) -> None:
    """Score retrieval on a BEIR data set: builds (or reuses) an index of the corpus, runs every judged query."""
    chosen = checked_mode(mode, reranker)
    try:
        query_texts, judgments = read_queries(queries), read_qrels(qrels)
    except (OSError, UnicodeDecodeError, EvalInputError) as exc:
        fail(str(exc))
    settings = make_settings(model=model, device=device, backend=backend)
    settings.index = index or default_eval_index(corpus, model, settings.backend, settings.passages)
    engine = open_engine(settings, create=True)
    try:
        # Unchanged papers are recognised by their hash, so reusing an index costs a read of the corpus only.
        with progress_bar(f"indexing {corpus.name}", count_records(corpus, "beir")) as advance:
            report = ingest(read_corpus(corpus), engine.add, chunk_size=settings.commit_every, on_progress=advance)
        engine.save()
    except (CorpusError, IndexFailure) as exc:
        fail(str(exc))
    if report.skipped:
        err.print(f"{len(report.skipped)} corpus records skipped (bad records); evaluating the rest", highlight=False)

    try:
        with progress_bar(f"searching ({chosen})", len(judged(query_texts, judgments)), unit="queries") as advance:
            def ranked_ids(text: str) -> list[str]:
                results = engine.search(text, DEPTH, mode=chosen, reranker=reranker)
                _ = [hit.snippet for hit in results.hits[:10]]  # the snippets a reader sees count in the latency
                advance(1)
                return [hit.paper.id for hit in results.hits]

            scores = run_eval(ranked_ids, query_texts, judgments, chosen)
    except (OSError, ValueError) as exc:
        fail(f"cannot run the {chosen} mode: {exc}")
    left_out = len(query_texts) - scores["queries"]
    err.print(f"{scores['queries']} queries evaluated; {left_out} without relevance judgments left out",
              highlight=False)
    if as_json:
        sys.stdout.write(json.dumps(scores) + "\n")
        return
    out.print(f"mode {chosen} on {corpus.name} ({engine.count()} papers), {scores['queries']} queries", highlight=False)
    for key in ("ndcg@10", "recall@100", "mrr@10", "p50_ms"):
        out.print(f"{key:>12}: {scores[key]}", highlight=False)
