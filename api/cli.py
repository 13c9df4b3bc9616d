"""The `abstracts` command line: parse options, call the engine, print results."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from abstract_search.api.cli_common import (
    AuthorExactOpt,
    AuthorOpt,
    CategoryOpt,
    DeviceOpt,
    IndexOpt,
    JsonOpt,
    KOpt,
    ModelOpt,
    OUTPUT_FORMATS,
    OffsetOpt,
    OutputOpt,
    YearMaxOpt,
    YearMinOpt,
    app,
    err,
    fail,
    index_epilog,
    make_settings,
    open_engine,
    out,
    require_text,
)
from abstract_search.api.export import EXPORT_FORMATS, export
from abstract_search.api.cli_eval import ModeOpt, RerankerOpt, checked_mode, eval_cmd
from abstract_search.api.cli_index import delete_cmd, embed_cmd, index_cmd, reindex_cmd, shard_cmd
from abstract_search.api.render import print_results
from abstract_search.index.cluster import ClusterManifest
from abstract_search.index.errors import IndexFailure
from abstract_search.search.filters import Filters
from abstract_search.search.searcher import UnknownPaperError


def output_format(fmt: str | None, as_json: bool) -> str:
    """Return the output format the options ask for, or exit naming the valid ones."""
    fmt = fmt.lower() if fmt else None
    if as_json and fmt not in (None, "json"):
        fail(f"--json and --format {fmt} ask for two outputs; give one")
    fmt = "json" if as_json else (fmt or "table")
    if fmt not in OUTPUT_FORMATS:
        fail(f"unknown --format {fmt!r}; valid formats: {', '.join(OUTPUT_FORMATS)}")
    return fmt


def emit(results, fmt: str, started: float) -> None:
    """Print results as a table, as JSON (the fields of the HTTP answer), or in an export format."""
    if fmt == "json":
        answer = {**results.to_dict(), "took_ms": round((time.perf_counter() - started) * 1000, 2)}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    elif fmt in EXPORT_FORMATS:
        sys.stdout.write(export(results, fmt))
    else:
        print_results(out, results, time.perf_counter() - started)


def search_cmd(
    query: Annotated[str, typer.Argument(help="a question in plain words")],
    k: KOpt = 10,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
    fmt: OutputOpt = None,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    author: AuthorOpt = None,
    author_exact: AuthorExactOpt = False,
    category: CategoryOpt = None,
    mode: ModeOpt = None,
    reranker: RerankerOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Find the papers that best answer a question."""
    if not query.strip():
        fail("the query is empty; type a question, e.g. abstracts search \"papers on LLM judges\"")
    require_text(("the query", query), ("--author", author), ("--category", category))
    fmt = output_format(fmt, as_json)
    mode = checked_mode(mode, reranker)
    engine = open_engine(make_settings(index=index, model=model, device=device))
    started = time.perf_counter()
    results = engine.search(query, k, offset, Filters(year_min, year_max, author, category, author_exact), mode, reranker)
    emit(results, fmt, started)


def similar_cmd(
    paper_ids: Annotated[Optional[list[str]], typer.Argument(
        help="ids of papers in the index: one, or several to find what is like them all")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="a pasted abstract instead of ids")] = None,
    not_ids: Annotated[Optional[list[str]], typer.Option(
        "--not", help="a paper whose like is less wanted (repeat for more); it is left out too")] = None,
    k: KOpt = 10,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
    fmt: OutputOpt = None,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    author: AuthorOpt = None,
    author_exact: AuthorExactOpt = False,
    category: CategoryOpt = None,
    mode: ModeOpt = None,
    reranker: RerankerOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Find papers related to one in the index, to several (abstracts similar ID ID ... --not ID), or to a
    pasted abstract."""
    if not_ids and not paper_ids:
        fail("--not needs paper ids to be like, e.g. abstracts similar ID1 ID2 --not ID3")
    if (not paper_ids) == (text is None):
        fail("give either a paper id or --text \"an abstract\", not both or neither")
    if text is not None and not text.strip():
        fail("--text is empty; paste an abstract")
    require_text(*(("the paper id", i) for i in [*(paper_ids or []), *(not_ids or [])]), ("--text", text),
                 ("--author", author), ("--category", category))
    fmt = output_format(fmt, as_json)
    mode = checked_mode(mode, reranker)
    engine = open_engine(make_settings(index=index, model=model, device=device))
    filters = Filters(year_min, year_max, author, category, author_exact)
    started = time.perf_counter()
    try:
        if paper_ids:
            results = engine.similar(paper_ids, k, offset, filters, mode, reranker, not_ids or ())
        else:
            results = engine.similar_text(text, k, offset, filters, mode, reranker)
    except UnknownPaperError as exc:
        fail(f"{exc}; find ids with `abstracts search`")
    emit(results, fmt, started)


def show_cmd(paper_id: Annotated[str, typer.Argument(help="paper id")], index: IndexOpt = None) -> None:
    """Print one paper's whole record as JSON."""
    paper = open_engine(make_settings(index=index)).get(paper_id)
    if paper is None:
        fail(f"no paper with id {paper_id!r} in the index; find ids with `abstracts search`")
    sys.stdout.write(json.dumps(paper.to_dict(), ensure_ascii=False, indent=2) + "\n")


def stats_cmd(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Show what the index holds and how it was built."""
    engine = open_engine(make_settings(index=index))
    info = engine.stats()
    if as_json:
        sys.stdout.write(json.dumps(info) + "\n")
    else:
        shown = info.pop("categories")
        info["modes"] = ", ".join(info["modes"])
        info["categories"] = ", ".join(f"{c['category']} ({c['papers']})" for c in shown[:12]) + \
            (f", and {len(shown) - 12} more" if len(shown) > 12 else "")
        for key, value in info.items():
            out.print(f"{key:>14}: {value}", highlight=False)


def serve_cmd(
    index: IndexOpt = None,
    host: Annotated[Optional[str], typer.Option("--host", help="listen address \\[default 127.0.0.1]")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="listen port \\[default 8000]")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="server processes")] = 1,
    read_only: Annotated[bool, typer.Option(
        "--read-only", help="serve searches only: writes are answered 403 (also when the index files refuse writes)")] = False,
    token_file: Annotated[Optional[Path], typer.Option(
        "--token-file", help="file holding the bearer token writes need (or set ABSTRACTS_API_TOKEN); "
                             "a token is never taken on the command line, where `ps` would show it")] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    ray: Annotated[Optional[str], typer.Option(
        "--ray", help="serve a cluster on Ray Serve: 'local' starts Ray here, else a cluster address (ray://host:10001)")] = None,
    shards_from: Annotated[Optional[Path], typer.Option(
        "--shards-from", help="the cluster folder `abstracts shard` made (with --ray)")] = None,
    replicas: Annotated[int, typer.Option("--replicas", min=1, help="Ray Serve replicas of each shard (with --ray)")] = 1,
) -> None:
    """Serve the HTTP API and the search page (with --ray, a cluster's shards on Ray Serve, answering as one index)."""
    import os

    import uvicorn

    from abstract_search.api.server_protocol import GuardedHttpToolsProtocol, raise_open_file_limit

    settings = make_settings(index=index, host=host, port=port, api_token_file=token_file, model=model, device=device,
                             read_only=read_only or None)
    if ray is not None or shards_from is not None:
        serve_on_ray(settings, ray, shards_from, replicas)
        return
    engine = open_engine(settings)  # fail here, clearly, if there is no index
    if engine.read_only:
        err.print(f"{settings.index} is served read-only: searches work, writes are answered 403", highlight=False)
    engine.close(save=False)
    # Worker processes read their settings from the environment; the token never reaches a log line.
    # The vector file is memory-mapped, so every worker shares one copy in the page cache.
    # Each worker's encoder gets an equal share of the cores, so workers do not fight over them.
    for key, value in (("INDEX", settings.index), ("MODEL", settings.model), ("DEVICE", settings.device),
                       ("API_TOKEN_FILE", settings.api_token_file), ("HOST", settings.host), ("MMAP", "1"),
                       ("READ_ONLY", "1" if settings.read_only else None),
                       ("THREADS", settings.threads or max(1, (os.cpu_count() or 1) // workers))):
        if value is not None:
            os.environ[f"ABSTRACTS_{key}"] = str(value)
    # Each connection holds a file descriptor: room for every allowed connection, and some for the index.
    raise_open_file_limit(settings.max_connections + 256)
    err.print(f"serving {settings.index} at http://{settings.host}:{settings.port}/", highlight=False)
    # httptools parses requests (64 KiB request-line limit, answered 400), with deadlines for slow clients.
    uvicorn.run("abstract_search.api.app:app_from_env", factory=True, host=settings.host, port=settings.port, workers=workers,
                log_level="warning", http=GuardedHttpToolsProtocol, ws="none",  # no WebSockets to upgrade to
                limit_concurrency=settings.max_connections)


def serve_on_ray(settings, address: str | None, cluster: Path | None, replicas: int) -> None:
    """Serve a cluster's shards on Ray Serve behind the same app and page, until interrupted."""
    if address is None or cluster is None:
        fail("serving on Ray needs both --ray (local or a cluster address) and --shards-from CLUSTER_DIR "
             "(a folder made by `abstracts shard`)")
    try:
        from abstract_search.api.ray_serve import serve_cluster
    except ImportError as exc:
        fail(f"Ray Serve is not installed ({exc}); install it with: pip install 'abstract-search[ray]'")
    try:
        ClusterManifest.load(cluster)
    except IndexFailure as exc:
        fail(str(exc))
    err.print(f"serving the cluster {cluster} on Ray Serve ({replicas} replica(s) a shard) at "
              f"http://{settings.host}:{settings.port}/ (Ctrl-C stops)", highlight=False)
    serve_cluster(cluster, settings, address, replicas)


# Every command, registered here and nowhere else, in the order `abstracts --help` lists them.
COMMANDS = {"index": index_cmd, "add": index_cmd, "search": search_cmd, "similar": similar_cmd, "show": show_cmd,
            "stats": stats_cmd, "delete": delete_cmd, "reindex": reindex_cmd, "shard": shard_cmd, "embed": embed_cmd,
            "eval": eval_cmd, "serve": serve_cmd}
HELP = {"add": "Add or update papers in an existing index from corpus files; only new or changed papers are "
               "embedded, and a paper already there is left unchanged.",
        "index": "Build an index, or extend it, from corpus files (none: the bundled corpus); only new or changed "
                 "papers are embedded. Ctrl-C keeps what was committed: run it again to resume."}
for _name, _command in COMMANDS.items():
    app.command(_name, help=HELP.get(_name), epilog=index_epilog() if _name not in ("embed", "eval") else None)(_command)


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()
