"""A cluster of shard indexes: which shard holds a paper (a stable hash of its id) and the cluster manifest
that names the shards, the model and the hash, beside them."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from abstract_search.index.atomic import write_text_atomic
from abstract_search.index.errors import IndexFailure

CLUSTER_FILE = "cluster.json"
HASH = "blake2b-64(id, utf-8) mod shards"  # recorded, so a reader of the manifest knows how ids were routed
FORMAT_VERSION = 1


def shard_of(paper_id: str, shards: int) -> int:
    """Return the shard (0 to shards - 1) that holds a paper: the same for an id on every machine and run."""
    digest = hashlib.blake2b(paper_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_name(number: int) -> str:
    """Return the folder name of a shard."""
    return f"shard-{number:03d}"


@dataclass
class ClusterManifest:
    """What a cluster folder holds: its shards (folders beside the manifest), the model and the routing hash."""

    model: str
    dimension: int
    shards: list[str]
    counts: list[int] = field(default_factory=list)
    hash: str = HASH
    source: str = ""
    format_version: int = FORMAT_VERSION
    created_at: str = ""

    def save(self, folder: Path) -> None:
        """Write the manifest atomically; it is written last, so a folder with one holds whole shards."""
        self.created_at = self.created_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_text_atomic(Path(folder) / CLUSTER_FILE, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> "ClusterManifest":
        """Read a cluster manifest, or raise IndexFailure naming what is wrong."""
        path = Path(folder) / CLUSTER_FILE
        try:
            manifest = cls(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise IndexFailure(f"{folder} is no cluster: it has no {CLUSTER_FILE} (make one with `abstracts shard`)")
        except (ValueError, TypeError) as exc:
            raise IndexFailure(f"{path} is damaged ({exc}); run `abstracts shard` again into a new folder") from None
        if manifest.hash != HASH or manifest.format_version != FORMAT_VERSION:
            raise IndexFailure(f"{path} routes ids by {manifest.hash!r} (format {manifest.format_version}); this "
                               f"version reads {HASH!r} (format {FORMAT_VERSION})")
        return manifest

    def shard_dirs(self, folder: Path) -> list[Path]:
        """Return the shards' index folders."""
        return [Path(folder) / name for name in self.shards]
