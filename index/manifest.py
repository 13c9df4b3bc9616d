"""The manifest saved beside the FAISS file: what built it and from which store generation."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from abstract_search.index.atomic import write_text_atomic
from abstract_search.index.errors import DamagedIndexError

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"


def package_version() -> str:
    """Return the installed abstract-search version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("abstract-search")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class Manifest:
    """Build metadata of the derived FAISS index."""

    model: str
    dimension: int
    index_type: str
    count: int
    generation: int
    pinned: bool = False  # True: the user chose index_type; False: it follows the corpus size
    passages: str | None = None  # the passage scheme the store's papers all have vectors of (None: whole abstracts)
    normalized: bool = True
    metric: str = "inner_product"
    format_version: int = FORMAT_VERSION
    package_version: str = ""
    built_at: str = ""
    updated_at: str = ""

    def save(self, index_dir: Path) -> None:
        """Write the manifest atomically."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.built_at = self.built_at or now
        self.updated_at = now
        self.package_version = package_version()
        write_text_atomic(Path(index_dir) / MANIFEST_FILE, json.dumps(asdict(self), indent=2) + "\n")

    def check(self) -> None:
        """Raise ValueError when a field has the wrong type or an unknown index type."""
        from abstract_search.index.vector_index import INDEX_TYPES

        for name, kind in (("model", str), ("index_type", str), ("built_at", str), ("updated_at", str)):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"field {name!r} must be a string")
        if self.passages is not None and not isinstance(self.passages, str):
            raise ValueError("field 'passages' must be a string or null")
        for name in ("dimension", "count", "generation"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"field {name!r} must be a whole number")
        if self.index_type not in INDEX_TYPES:
            raise ValueError(f"unknown index type {self.index_type!r}")

    @classmethod
    def load(cls, index_dir: Path) -> "Manifest | None":
        """Read the manifest, or return None when there is none."""
        path = Path(index_dir) / MANIFEST_FILE
        if not path.exists():
            return None
        try:
            manifest = cls(**json.loads(path.read_text(encoding="utf-8")))
            manifest.check()
            return manifest
        except (ValueError, TypeError, RecursionError) as exc:
            raise DamagedIndexError(
                f"the manifest {path} is unreadable ({exc}). Run `abstracts reindex` to rebuild it from the store."
            ) from exc

    @classmethod
    def load_if_whole(cls, index_dir: Path) -> "Manifest | None":
        """Read the manifest, or return None when it is absent or damaged (the next save rewrites it)."""
        try:
            return cls.load(index_dir)
        except DamagedIndexError:
            return None
