"""What every `abstracts` command shares: the app, consoles, option types, settings and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from typer.core import TyperOption

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings, default_index_dir
from abstract_search.data.text import has_lone_surrogate
from abstract_search.index.cluster import CLUSTER_FILE
from abstract_search.index.errors import IndexFailure

# typer (0.29) shows a type after every option, flags too ("--json <bool>"), as if a flag took a value.
_option_type = getattr(TyperOption, "display_type_rich", None)
if _option_type is not None:
    TyperOption.display_type_rich = lambda self, ctx: None if self.is_flag else _option_type(self, ctx)

app = typer.Typer(help="Semantic search over scientific paper abstracts.", no_args_is_help=True, add_completion=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_SKIPPED = 3  # the command worked, but some input records were skipped

# Help text is rich markup: a literal "[" is written "\\[".
IndexOpt = Annotated[Optional[Path], typer.Option("--index", help="index directory (default below) \\[env ABSTRACTS_INDEX]")]
ModelOpt = Annotated[Optional[str], typer.Option(
    "--model", help="sentence-transformers name or path \\[default: the index's own model, else all-MiniLM-L6-v2; "
                    "env ABSTRACTS_MODEL]")]
DeviceOpt = Annotated[Optional[str], typer.Option("--device", help="cpu or cuda; default cuda when available")]
BatchOpt = Annotated[Optional[int], typer.Option("--batch-size", min=1, help="texts per embedding batch")]
KOpt = Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="how many papers to show")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="skip this many results")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]
OUTPUT_FORMATS = ("table", "json", "jsonl", "csv", "bibtex", "ris")
OutputOpt = Annotated[Optional[str], typer.Option(
    "--format", help=f"output: {', '.join(OUTPUT_FORMATS)} (--json is --format json) \\[default table]")]
YearMinOpt = Annotated[Optional[int], typer.Option("--year-min", help="only papers from this year on")]
YearMaxOpt = Annotated[Optional[int], typer.Option("--year-max", help="only papers up to this year")]
AuthorOpt = Annotated[Optional[str], typer.Option("--author", help="only papers by an author matching this name: Weston, J. Weston, Jason Weston")]
AuthorExactOpt = Annotated[bool, typer.Option("--author-exact", help="match --author as the whole name")]
CategoryOpt = Annotated[Optional[str], typer.Option("--category", help="only papers in this category, e.g. cs.CL or CL")]
FormatOpt = Annotated[Optional[str], typer.Option("--format", help="force the input format: seed, jsonl, json, csv, beir, arxiv, openalex, s2, bibtex, ris")]
CaptureYearOpt = Annotated[Optional[int], typer.Option("--capture-year", help="year for seed-page dates without one")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="auto, torch, onnx or onnx-int8 \\[env ABSTRACTS_BACKEND]")]
IndexTypeOpt = Annotated[Optional[str], typer.Option("--index-type", help="flat, hnsw, hnsw-sq8, ivf or ivf-sq8; default: flat up to 50,000 papers, hnsw above")]
FieldMapOpt = Annotated[Optional[str], typer.Option("--field-map", help="JSONL/CSV mapping, e.g. id=paper_id,abstract=summary")]


def index_epilog() -> str:
    """Return the line every command's help ends with: where the index is when no --index is given."""
    where = str(default_index_dir()).replace(str(Path.home()), "~", 1)
    return f"The index is {where} unless --index or ABSTRACTS_INDEX names another."


def make_settings(**overrides) -> Settings:
    """Return Settings from the environment, with the options the user gave on top; exit clearly when one is bad."""
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {str(e['msg']).removeprefix('Value error, ')}"
                       for e in exc.errors()))


def fail(message: str) -> None:
    """Print a clear error and exit 1, never a traceback."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)


def require_text(*named: tuple[str, str | None]) -> None:
    """Exit with a clear error when an argument is not valid text (bytes that are not UTF-8 become surrogates)."""
    for name, value in named:
        if value is not None and has_lone_surrogate(value):
            fail(f"{name} is not valid UTF-8 text; check the terminal's encoding")


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
    if (Path(settings.index) / CLUSTER_FILE).exists():
        fail(f"{settings.index} is a cluster of shard indexes: `add` and `delete` route to its shards; "
             f"search one shard with --index {Path(settings.index) / 'shard-000'} (serving a cluster as one "
             "index is not built yet)")
    try:
        return Engine(settings, create=create)
    except IndexFailure as exc:
        fail(str(exc))


def open_writable(settings: Settings, create: bool = False):
    """Open the index to write to: a cluster's shards as one (api/sharding.py), or the engine."""
    if (Path(settings.index) / CLUSTER_FILE).exists():
        from abstract_search.api.sharding import Cluster

        try:
            return Cluster(Path(settings.index), settings)
        except IndexFailure as exc:
            fail(str(exc))
    return open_engine(settings, create=create)
