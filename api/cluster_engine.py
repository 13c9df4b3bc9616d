"""The engine the doors use over a cluster's shards: every search is merged from all of them (search/gather.py),
so the HTTP API, the page and the CLI answer as over one index. Writes go through `abstracts add --index
CLUSTER` (api/sharding.py), which shards' searchers catch up with before their next search."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from abstract_search.api.answering import Answering
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
from abstract_search.index.cluster import CLUSTER_FILE, ClusterManifest, shard_of
from abstract_search.index.errors import ReadOnlyIndexError
from abstract_search.search.gather import Gather
from abstract_search.search.modes import MODES, RETRIEVERS


class ClusterEngine(Answering):
    """Searches a cluster's shards as one index (`shards`: LocalShards, or Ray Serve handles); read-only."""

    read_only = True

    def __init__(self, shards, settings: Settings, folder: Path):
        from abstract_search.api.engine import embedder_for

        self.settings = settings
        self.index_dir = Path(folder)
        self.manifest = ClusterManifest.load(self.index_dir)
        self.shards = shards
        self.embedder = embedder_for(settings, self.manifest.model)
        self.gather = Gather(shards, self.embedder, settings.max_offset)

    @property
    def model_name(self) -> str:
        """Return the model every shard was built with."""
        return self.manifest.model

    @property
    def store_path(self) -> Path:
        """Return the file that names the shards (what an error about the cluster points at)."""
        return self.index_dir / CLUSTER_FILE

    def check_writable(self) -> None:
        """Refuse writes over HTTP: the cluster is written with `abstracts add --index CLUSTER`."""
        raise ReadOnlyIndexError(
            f"the cluster {self.index_dir} is served from its shards for searching; add or delete papers with "
            f"`abstracts add FILE --index {self.index_dir}` or `abstracts delete ID --index {self.index_dir}`, "
            "and the shards' searches catch up with the writes")

    def warm_up(self) -> None:
        """Load the query model and reach every shard once."""
        self.embedder.encode_query("warm up")
        self.shards.each("describe")

    def save(self) -> None:
        """Nothing to save: each shard's files are its own."""

    def close(self, save: bool = True) -> None:
        """Nothing to release here: the shards hold their indexes."""

    @property
    def answers(self) -> Gather:
        """Return what answers this engine's searches: the merge over the shards."""
        return self.gather

    def holds(self, paper_id: str) -> bool:
        """Return whether a paper is stored under exactly this id, asking the shard it hashes to."""
        return self.shards.one(shard_of(paper_id, len(self.manifest.shards)), "has", paper_id)

    def get(self, paper_id: str) -> Paper | None:
        """Return one paper by id, from its shard."""
        found = self.stored_id(paper_id)
        row = self.shards.one(shard_of(found, len(self.manifest.shards)), "stored_paper", found)
        return row[2] if row else None

    def embed(self, texts: Sequence[str]):
        """Return the model's vectors for texts, without indexing them."""
        return self.embedder.encode(list(texts))

    def count(self) -> int:
        """Return how many papers the shards hold together."""
        return sum(shard["count"] for shard in self.shards.each("describe"))

    def categories(self) -> list[dict]:
        """Return the cluster's categories with their paper counts, most papers first."""
        counts: Counter = Counter()
        for part in self.shards.each("categories"):
            counts.update(dict(part))
        return [{"category": name, "papers": n} for name, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]

    def stats(self) -> dict:
        """Return what the cluster holds and how it was built."""
        shards = self.shards.each("describe")
        return {
            "index": str(self.index_dir),
            "count": sum(shard["count"] for shard in shards),
            "model": self.manifest.model,
            "dimension": self.manifest.dimension,
            "index_type": ", ".join(sorted({shard["index_type"] for shard in shards})),
            "generation": sum(shard["generation"] for shard in shards),  # grows with any shard's writes
            "created_at": self.manifest.created_at,
            "built_at": None,
            "updated_at": None,
            "modes": [mode for mode in MODES if RETRIEVERS[mode].needs_reranker <= bool(self.reranker_for(None))],
            "categories": self.categories(),
            "shards": len(shards),
        }
