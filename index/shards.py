"""Embedding shards on disk: numbered .npy vectors plus .jsonl records (and .passages.npz passage vectors,
where the shards carry them), each finished shard marked done."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from abstract_search.data.paper import Paper
from abstract_search.index.atomic import write_atomic, write_text_atomic
from abstract_search.index.errors import IndexFailure

SHARDS_MANIFEST = "embeddings.json"


@dataclass
class ShardsManifest:
    """What produced a folder of embedding shards."""

    model: str
    dimension: int
    shard_size: int
    source: str
    passages: str | None = None  # the passage scheme the shards carry vectors of (None: whole abstracts only)


def shard_paths(out: Path, number: int) -> tuple[Path, Path, Path]:
    """Return the (vectors, records, done-marker) paths of one shard."""
    stem = out / f"shard-{number:05d}"
    return stem.with_suffix(".npy"), stem.with_suffix(".jsonl"), stem.with_suffix(".done")


def passages_path(out: Path, number: int) -> Path:
    """Return the path of one shard's passage vectors."""
    return out / f"shard-{number:05d}.passages.npz"


def is_done(out: Path, number: int) -> bool:
    """Return whether a shard was completely written."""
    return shard_paths(out, number)[2].exists()


def write_shard(out: Path, number: int, papers: list[Paper], vectors: np.ndarray,
                passages: list[bytes] | None = None) -> None:
    """Write one shard's vectors, passage vectors and records, then its done marker, each atomically."""
    vectors_path, records_path, done_path = shard_paths(out, number)
    write_atomic(vectors_path, lambda tmp: np.save(open(tmp, "wb"), np.asarray(vectors, dtype=np.float32)))
    if passages is not None:  # one byte string per paper, index/passages.py's stored form, end to end
        offsets = np.cumsum([0] + [len(blob) for blob in passages])
        data = np.frombuffer(b"".join(passages), dtype=np.uint8)
        write_atomic(passages_path(out, number), lambda tmp: np.savez(open(tmp, "wb"), data=data, offsets=offsets))
    write_text_atomic(records_path, "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in papers))
    write_text_atomic(done_path, f"{len(papers)}\n")


def write_manifest(out: Path, manifest: ShardsManifest) -> None:
    """Record which model made the shards; refuse to mix models in one folder."""
    path = out / SHARDS_MANIFEST
    if path.exists():
        existing = ShardsManifest(**json.loads(path.read_text()))
        if (existing.model, existing.shard_size, existing.passages) != (manifest.model, manifest.shard_size,
                                                                         manifest.passages):
            raise IndexFailure(
                f"{out} holds shards of model {existing.model!r} (shard size {existing.shard_size}, passages "
                f"{existing.passages or 'none'}); use another --out folder for {manifest.model!r} or shard size "
                f"{manifest.shard_size} (passages {manifest.passages or 'none'})"
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(asdict(manifest), indent=2) + "\n")


def read_manifest(out: Path) -> ShardsManifest:
    """Return the shards' manifest, or a clear error when the folder holds none."""
    path = Path(out) / SHARDS_MANIFEST
    if not path.exists():
        raise IndexFailure(f"{out} has no {SHARDS_MANIFEST}: make shards with `abstracts embed SOURCE --out {out}`")
    return ShardsManifest(**json.loads(path.read_text()))


def read_shards(out: Path) -> Iterator[tuple[list[Paper], np.ndarray, list[bytes] | None]]:
    """Yield (papers, vectors, passage vectors or None) of every finished shard, in order."""
    for done in sorted(Path(out).glob("shard-*.done")):
        number = int(done.stem.split("-")[1])
        vectors_path, records_path, _ = shard_paths(out, number)
        papers = [Paper.from_dict(json.loads(line)) for line in records_path.read_text(encoding="utf-8").splitlines()]
        yield papers, np.load(vectors_path), read_passages(out, number)


def read_passages(out: Path, number: int) -> list[bytes] | None:
    """Return one shard's passage vectors, one byte string per paper, or None where it has none."""
    path = passages_path(Path(out), number)
    if not path.exists():
        return None
    with np.load(path) as stored:
        data, offsets = stored["data"].tobytes(), stored["offsets"]
    return [data[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
