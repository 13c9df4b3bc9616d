"""The commands that write: index, add, delete, reindex, and embed (in-process or on Ray)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from abstract_search.api.cli_common import (
    EXIT_SKIPPED,
    BackendOpt,
    BatchOpt,
    CaptureYearOpt,
    DeviceOpt,
    FieldMapOpt,
    FormatOpt,
    IndexOpt,
    IndexTypeOpt,
    ModelOpt,
    err,
    fail,
    make_settings,
    open_engine,
    open_writable,
    out,
    parse_field_map,
)
from abstract_search.api.settings import Settings
from abstract_search.data.corpus import bundled_corpus_path, read_corpus
from abstract_search.data.detect import detect_format
from abstract_search.data.errors import CorpusError
from abstract_search.data.paper import Paper, Rejected
from abstract_search.index.errors import IndexFailure
from abstract_search.api.progress import progress_bar
from abstract_search.index.ingest import count_records, ingest
from abstract_search.index.passages import SCHEME
from abstract_search.index.shards import read_manifest, read_shards


def report_skipped(skipped: list[Rejected]) -> None:
    """Print the first skipped records with their file, line and reason."""
    for rejected in skipped[:20]:
        err.print(f"skipped {rejected}", highlight=False)
    if len(skipped) > 20:
        err.print(f"... and {len(skipped) - 20} more skipped records", highlight=False)


EXIT_INTERRUPTED = 130  # the shells' code for a command stopped by Ctrl-C (128 + SIGINT)
RESUME = "run the same command again to resume: papers already in the index are not embedded again"


@contextmanager
def stop_on_ctrl_c(index_dir: Path) -> Iterator[Callable[[], bool]]:
    """Yield whether Ctrl-C was pressed: the first asks to stop once the batch being written is committed, a
    second stops at once (the store is transactional: what was committed stays, the rest is rolled back)."""
    asked = threading.Event()

    def on_ctrl_c(signum, frame) -> None:
        if asked.is_set():
            err.print(f"stopped now; the index {index_dir} keeps every batch committed before; {RESUME}",
                      highlight=False)
            sys.stdout.flush()
            os._exit(EXIT_INTERRUPTED)
        asked.set()
        err.print("stopping once the batch being written is committed (Ctrl-C again to stop now)", highlight=False)

    previous = signal.signal(signal.SIGINT, on_ctrl_c) if threading.current_thread() is threading.main_thread() else None
    try:
        yield asked.is_set
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def run_ingest(sources: list[Path], settings: Settings, fmt, field_map) -> None:
    """Index sources into the engine (or a cluster's shards) and print a summary; exit 3 if records were
    skipped, 130 on Ctrl-C."""
    engine = open_writable(settings, create=True)
    options = {"capture_year": settings.capture_year, "field_map": parse_field_map(field_map)}
    skipped_total = 0
    try:
        with stop_on_ctrl_c(engine.index_dir) as stopping:
            for source in sources:
                records = read_corpus(source, fmt, **{k: v for k, v in options.items() if v is not None})
                with progress_bar(f"indexing {source.name}", count_records(source, fmt or detect_format(source))) \
                        as advance:
                    report = ingest(records, engine.add, chunk_size=settings.commit_every, on_progress=advance,
                                    should_stop=stopping)
                engine.save()
                w = report.write
                skipped_total += len(report.skipped)
                report_skipped(report.skipped)
                out.print(f"{source}: {len(w.added)} added, {len(w.updated)} updated, {len(w.unchanged)} unchanged, "
                          f"{len(report.skipped)} skipped", highlight=False)
                if report.stopped:
                    err.print(f"interrupted: {len(w.added) + len(w.updated)} papers of {source.name} were committed "
                              f"before the stop; the index {engine.index_dir} has {engine.count()} papers; {RESUME}",
                              highlight=False)
                    engine.close()
                    raise typer.Exit(EXIT_INTERRUPTED)
    except (CorpusError, IndexFailure) as exc:
        engine.close()
        fail(str(exc))
    out.print(f"index {engine.index_dir}: {engine.count()} papers, model {engine.model_name}, "
              f"{engine.index_type} index", highlight=False)
    engine.close()
    if skipped_total:
        raise typer.Exit(EXIT_SKIPPED)


def run_from_embeddings(folder: Path, settings: Settings) -> None:
    """Build or extend an index from `abstracts embed` shards, embedding nothing."""
    try:
        shards = read_manifest(folder)
    except IndexFailure as exc:
        fail(str(exc))
    engine = open_engine(make_settings(**{**settings.model_dump(), "model": shards.model}), create=True)
    added = updated = unchanged = 0
    with progress_bar(f"indexing {folder.name}") as advance:
        for papers, vectors, passages in read_shards(folder):
            report = engine.add_embedded(papers, vectors, passages)
            added, updated, unchanged = added + len(report.added), updated + len(report.updated), unchanged + len(report.unchanged)
            advance(len(papers))
    engine.save()
    out.print(f"{folder}: {added} added, {updated} updated, {unchanged} unchanged, 0 skipped", highlight=False)
    out.print(f"index {engine.index_dir}: {engine.count()} papers, model {engine.model_name}", highlight=False)
    engine.close()


def index_cmd(
    ctx: typer.Context,
    sources: Annotated[Optional[list[Path]], typer.Argument(help="corpus files; `index` with none: the bundled corpus")] = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    backend: BackendOpt = None,
    batch_size: BatchOpt = None,
    index_type: IndexTypeOpt = None,
    fmt: FormatOpt = None,
    capture_year: CaptureYearOpt = None,
    field_map: FieldMapOpt = None,
    from_embeddings: Annotated[Optional[Path], typer.Option("--from-embeddings", help="index shards made by `abstracts embed`")] = None,
) -> None:
    """Build or extend an index (`add`: an existing one); only new or changed papers are embedded."""
    settings = make_settings(index=index, model=model, device=device, backend=backend, batch_size=batch_size,
                             index_type=index_type, capture_year=capture_year)
    if ctx.info_name == "add":
        if not sources and not from_embeddings:
            fail("give the corpus files to add, e.g. abstracts add new_papers.jsonl")
        open_writable(settings).close(save=False)  # adding needs an index (or a cluster) to exist
    if from_embeddings:
        run_from_embeddings(from_embeddings, settings)
    else:
        run_ingest(list(sources or [bundled_corpus_path()]), settings, fmt, field_map)


def shard_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="a new folder for the cluster: its shards and cluster.json")],
    shards: Annotated[int, typer.Option("--shards", min=2, help="how many shard indexes")],
    index: IndexOpt = None,
) -> None:
    """Split an index into shard indexes by a stable hash of the paper id, copying the stored embeddings
    (nothing is embedded again); each shard is a normal index folder, named in OUT/cluster.json."""
    from abstract_search.api.sharding import split_index

    source = open_engine(make_settings(index=index, read_only=True))
    try:
        with progress_bar(f"sharding {source.index_dir.name}", source.count()) as advance:
            manifest = split_index(source, out_dir, shards, advance)
    except (ValueError, IndexFailure) as exc:
        fail(str(exc))
    finally:
        source.close(save=False)
    sizes = ", ".join(f"{name} {count}" for name, count in zip(manifest.shards, manifest.counts))
    out.print(f"cluster {out_dir}: {len(manifest.shards)} shards ({sizes} papers), model {manifest.model}",
              highlight=False)


def delete_cmd(ids: Annotated[list[str], typer.Argument(help="paper ids to delete")], index: IndexOpt = None) -> None:
    """Delete papers by id (from a cluster: each from its shard); exit 3 if some ids were not found."""
    engine = open_writable(make_settings(index=index))
    try:
        deleted, missing = engine.delete(ids)
    except IndexFailure as exc:
        engine.close()
        fail(str(exc))
    engine.close()
    for paper_id in missing:
        err.print(f"not found: {paper_id}", highlight=False)
    out.print(f"deleted {len(deleted)} papers, {len(missing)} not found", highlight=False)
    if missing:
        raise typer.Exit(EXIT_SKIPPED)


def reindex_cmd(
    index: IndexOpt = None,
    index_type: IndexTypeOpt = None,
    passages: Annotated[bool, typer.Option("--passages", help="embed every paper's passages once (an index made before passage vectors); resumable")] = False,
    batch_size: BatchOpt = None,
    device: DeviceOpt = None,
    backend: BackendOpt = None,
) -> None:
    """Rebuild the FAISS index from the stored embeddings (no embedding), optionally as another type; with
    --passages, first give every paper passage vectors, so the tail of a long abstract counts."""
    engine = open_engine(make_settings(index=index, batch_size=batch_size, device=device, backend=backend))
    if passages:
        migrate_passages(engine)
        if index_type is None:
            engine.close()
            return
    try:
        vectors = engine.reindex(index_type)
    except (ValueError, IndexFailure) as exc:
        fail(str(exc))
    out.print(f"index {engine.index_dir}: rebuilt {vectors.index_type} index of {vectors.count} papers "
              "from the stored embeddings", highlight=False)
    engine.close()


def migrate_passages(engine) -> None:
    """Embed the passages of every paper that lacks them, in durable batches, with progress; Ctrl-C stops
    after the batch being written (exit 130) and a rerun goes on from there."""
    try:
        if not engine.writer.start_passages():
            out.print(f"index {engine.index_dir}: every paper already has passage vectors ({SCHEME})", highlight=False)
            return
        with stop_on_ctrl_c(engine.index_dir) as stopping:
            with progress_bar("embedding passages", engine.store.count_without_passages()) as advance:
                report = ingest(engine.store.iter_without_passages(), engine.add_passages,
                                chunk_size=engine.settings.commit_every, on_progress=advance, should_stop=stopping)
    except IndexFailure as exc:
        engine.close()
        fail(str(exc))
    left = engine.store.count_without_passages()
    if report.stopped or left:
        err.print(f"interrupted: {left} papers of {engine.count()} still lack passage vectors, and searches use "
                  f"whole-abstract vectors until none does; run `abstracts reindex --passages --index "
                  f"{engine.index_dir}` again to go on", highlight=False)
        engine.close()
        raise typer.Exit(EXIT_INTERRUPTED)
    out.print(f"index {engine.index_dir}: {engine.count()} papers have passage vectors ({SCHEME}); searches use them",
              highlight=False)


def embed_cmd(
    source: Annotated[Path, typer.Argument(help="corpus file to embed")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the embedding shards")],
    ray: Annotated[Optional[str], typer.Option("--ray", help="run on Ray: 'local' or a cluster address (ray://host:10001)")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Ray embedding actors")] = 1,
    shard_size: Annotated[int, typer.Option("--shard-size", min=1, help="papers per shard")] = 4096,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    backend: BackendOpt = None,
    batch_size: BatchOpt = None,
    fmt: FormatOpt = None,
    capture_year: CaptureYearOpt = None,
    field_map: FieldMapOpt = None,
) -> None:
    """Embed a corpus into resumable shards without indexing it; finished shards are skipped on a rerun."""
    from abstract_search.api.engine import embedder_for
    from abstract_search.index.batch_embed import embed_corpus

    settings = make_settings(model=model, device=device, backend=backend, batch_size=batch_size, capture_year=capture_year)
    options = {"capture_year": settings.capture_year, "field_map": parse_field_map(field_map)}
    try:
        records = list(read_corpus(source, fmt, **{k: v for k, v in options.items() if v is not None}))
    except CorpusError as exc:
        fail(str(exc))
    papers = [r for r in records if isinstance(r, Paper)]
    skipped = [r for r in records if isinstance(r, Rejected)]
    report_skipped(skipped)
    embedder = embedder_for(settings)
    try:
        with progress_bar(f"embedding {source.name}", len(papers)) as advance:
            written, done = embed_corpus(papers, embedder, out_dir, shard_size, str(source), advance,
                                         ray_address=None if ray in (None, "local") else ray,
                                         use_ray=ray is not None, workers=workers, passages=settings.passages)
    except IndexFailure as exc:
        fail(str(exc))
    out.print(f"{source}: {len(papers)} papers in {written + done} shards at {out_dir} "
              f"({written} embedded now, {done} already done), {len(skipped)} skipped", highlight=False)
    if skipped:
        raise typer.Exit(EXIT_SKIPPED)
