"""The `abstracts` command line: parse options, call the engine, print results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from api.engine import Engine
from api.render import print_results
from api.settings import Settings
from data.corpus import bundled_corpus_path, read_corpus
from data.errors import CorpusError
from index.errors import IndexFailure
from index.ingest import ingest
from search.filters import Filters
from search.searcher import UnknownPaperError

app = typer.Typer(help="Semantic search over scientific paper abstracts.", no_args_is_help=True, add_completion=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_SKIPPED = 3  # the command worked, but some input records were skipped

IndexOpt = Annotated[Optional[Path], typer.Option("--index", help="index directory [env ABSTRACTS_INDEX]")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="sentence-transformers name or path [env ABSTRACTS_MODEL]")]
DeviceOpt = Annotated[Optional[str], typer.Option("--device", help="cpu or cuda; default cuda when available")]
BatchOpt = Annotated[Optional[int], typer.Option("--batch-size", min=1, help="texts per embedding batch")]
KOpt = Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="how many papers to show")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="skip this many results")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]
YearMinOpt = Annotated[Optional[int], typer.Option("--year-min", help="only papers from this year on")]
YearMaxOpt = Annotated[Optional[int], typer.Option("--year-max", help="only papers up to this year")]
AuthorOpt = Annotated[Optional[str], typer.Option("--author", help="only papers by this author (full name)")]
CategoryOpt = Annotated[Optional[str], typer.Option("--category", help="only papers in this category, e.g. cs.CL or CL")]
FormatOpt = Annotated[Optional[str], typer.Option("--format", help="force the input format: seed, jsonl, csv, beir, arxiv")]
CaptureYearOpt = Annotated[Optional[int], typer.Option("--capture-year", help="year for seed-page dates without one")]
FieldMapOpt = Annotated[Optional[str], typer.Option("--field-map", help="JSONL/CSV mapping, e.g. id=paper_id,abstract=summary")]


def make_settings(**overrides) -> Settings:
    """Return Settings from the environment, with the options the user gave on top."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def fail(message: str) -> None:
    """Print a clear error and exit 1, never a traceback."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)


def parse_field_map(text: str | None) -> dict[str, str] | None:
    """Parse 'field=key,field=key' into a mapping."""
    if not text:
        return None
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 for pair in pairs):
        fail(f"--field-map must look like id=paper_id,abstract=summary, got {text!r}")
    return {field.strip(): key.strip() for field, key in pairs}


def open_engine(settings: Settings, create: bool = False) -> Engine:
    """Open the engine or exit with the reason."""
    try:
        return Engine(settings, create=create)
    except IndexFailure as exc:
        fail(str(exc))


def run_ingest(sources: list[Path], settings: Settings, fmt, field_map) -> None:
    """Index sources into the engine and print a summary; exit 3 if records were skipped."""
    engine = open_engine(settings, create=True)
    options = {"capture_year": settings.capture_year, "field_map": parse_field_map(field_map)}
    skipped_total = 0
    try:
        for source in sources:
            records = read_corpus(source, fmt, **{k: v for k, v in options.items() if v is not None})
            report = ingest(records, engine.add, chunk_size=settings.commit_every, label=f"indexing {source.name}")
            engine.save()
            w = report.write
            skipped_total += len(report.skipped)
            for rejected in report.skipped[:20]:
                err.print(f"skipped {rejected}", highlight=False)
            if len(report.skipped) > 20:
                err.print(f"... and {len(report.skipped) - 20} more skipped records", highlight=False)
            out.print(
                f"{source}: {len(w.added)} added, {len(w.updated)} updated, {len(w.unchanged)} unchanged, "
                f"{len(report.skipped)} skipped",
                highlight=False,
            )
    except (CorpusError, IndexFailure) as exc:
        engine.close()
        fail(str(exc))
    out.print(f"index {engine.index_dir}: {engine.count()} papers, model {engine.embedder.name}", highlight=False)
    engine.close()
    if skipped_total:
        raise typer.Exit(EXIT_SKIPPED)


@app.command("index")
def index_cmd(
    sources: Annotated[Optional[list[Path]], typer.Argument(help="corpus files; default: the bundled corpus")] = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    batch_size: BatchOpt = None,
    fmt: FormatOpt = None,
    capture_year: CaptureYearOpt = None,
    field_map: FieldMapOpt = None,
) -> None:
    """Build or extend an index; only new or changed papers are embedded."""
    settings = make_settings(index=index, model=model, device=device, batch_size=batch_size, capture_year=capture_year)
    run_ingest(list(sources or [bundled_corpus_path()]), settings, fmt, field_map)


@app.command("add")
def add_cmd(
    sources: Annotated[list[Path], typer.Argument(help="corpus files to add")],
    index: IndexOpt = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    batch_size: BatchOpt = None,
    fmt: FormatOpt = None,
    capture_year: CaptureYearOpt = None,
    field_map: FieldMapOpt = None,
) -> None:
    """Add or update papers from files in an existing index."""
    settings = make_settings(index=index, model=model, device=device, batch_size=batch_size, capture_year=capture_year)
    open_engine(settings).close()  # adding needs an index to exist
    run_ingest(list(sources), settings, fmt, field_map)


@app.command("delete")
def delete_cmd(
    ids: Annotated[list[str], typer.Argument(help="paper ids to delete")],
    index: IndexOpt = None,
) -> None:
    """Delete papers by id; exit 3 if some ids were not found."""
    engine = open_engine(make_settings(index=index))
    deleted, missing = engine.delete(ids)
    engine.close()
    for paper_id in missing:
        err.print(f"not found: {paper_id}", highlight=False)
    out.print(f"deleted {len(deleted)} papers, {len(missing)} not found", highlight=False)
    if missing:
        raise typer.Exit(EXIT_SKIPPED)


def emit(results, as_json: bool, offset: int) -> None:
    """Print results as JSON or as a table."""
    if as_json:
        sys.stdout.write(json.dumps(results.to_dict(), ensure_ascii=False) + "\n")
    else:
        print_results(out, results, offset)


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="a question in plain words")],
    k: KOpt = 10,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    author: AuthorOpt = None,
    category: CategoryOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Find the papers that best answer a question."""
    if not query.strip():
        fail("the query is empty; type a question, e.g. abstracts search \"papers on LLM judges\"")
    engine = open_engine(make_settings(index=index, model=model, device=device))
    results = engine.search(query, k, offset, Filters(year_min, year_max, author, category))
    emit(results, as_json, offset)


@app.command("similar")
def similar_cmd(
    paper_id: Annotated[Optional[str], typer.Argument(help="id of a paper in the index")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="a pasted abstract instead of an id")] = None,
    k: KOpt = 10,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    author: AuthorOpt = None,
    category: CategoryOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Find papers related to one in the index, or to a pasted abstract."""
    if (paper_id is None) == (text is None):
        fail("give either a paper id or --text \"an abstract\", not both or neither")
    if text is not None and not text.strip():
        fail("--text is empty; paste an abstract")
    engine = open_engine(make_settings(index=index, model=model, device=device))
    filters = Filters(year_min, year_max, author, category)
    try:
        results = engine.similar(paper_id, k, offset, filters) if paper_id else engine.similar_text(text, k, offset, filters)
    except UnknownPaperError as exc:
        fail(f"{exc}; find ids with `abstracts search`")
    emit(results, as_json, offset)


@app.command("show")
def show_cmd(paper_id: Annotated[str, typer.Argument(help="paper id")], index: IndexOpt = None) -> None:
    """Print one paper's whole record as JSON."""
    paper = open_engine(make_settings(index=index)).get(paper_id)
    if paper is None:
        fail(f"no paper with id {paper_id!r} in the index; find ids with `abstracts search`")
    sys.stdout.write(json.dumps(paper.to_dict(), ensure_ascii=False, indent=2) + "\n")


@app.command("stats")
def stats_cmd(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Show what the index holds and how it was built."""
    engine = open_engine(make_settings(index=index))
    info = engine.stats()
    if as_json:
        sys.stdout.write(json.dumps(info) + "\n")
    else:
        for key, value in info.items():
            out.print(f"{key:>14}: {value}", highlight=False)


@app.command("serve")
def serve_cmd(
    index: IndexOpt = None,
    host: Annotated[Optional[str], typer.Option("--host", help="listen address [default 127.0.0.1]")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="listen port [default 8000]")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="server processes")] = 1,
    token: Annotated[Optional[str], typer.Option("--token", help="bearer token for writes [env ABSTRACTS_API_TOKEN]")] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Serve the HTTP API and the search page."""
    import os

    import uvicorn

    settings = make_settings(index=index, host=host, port=port, api_token=token, model=model, device=device)
    open_engine(settings).store.close()  # fail here, clearly, if there is no index
    # Worker processes read their settings from the environment; the token never reaches a log line.
    for key, value in (("INDEX", settings.index), ("MODEL", settings.model), ("DEVICE", settings.device),
                       ("API_TOKEN", settings.api_token), ("HOST", settings.host)):
        if value is not None:
            os.environ[f"ABSTRACTS_{key}"] = str(value)
    err.print(f"serving {settings.index} at http://{settings.host}:{settings.port}/", highlight=False)
    uvicorn.run("api.app:app_from_env", factory=True, host=settings.host, port=settings.port, workers=workers,
                log_level="warning")


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()
