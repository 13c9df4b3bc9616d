"""The engine the doors use over a cluster's shards: every search is merged from all of them (search/gather.py),
so the HTTP API, the page and the CLI answer as over one index. Writes go through `abstracts add --index
CLUSTER` (api/sharding.py), which shards' searchers catch up with before their next search."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from abstract_search.api.settings import Settings
from abstract_search.data.ids import lookup_ids
from abstract_search.data.paper import Paper
from abstract_search.index.cluster import CLUSTER_FILE, ClusterManifest, shard_of
from abstract_search.index.errors import ReadOnlyIndexError
from abstract_search.search.filters import Filters
from abstract_search.search.gather import Gather
from abstract_search.search.hits import Results
from abstract_search.search.modes import MODES, RETRIEVERS
from abstract_search.search.searcher import UnknownPaperError


class ClusterEngine:
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

    def reranker_for(self, reranker: str | None) -> str | None:
        """Return the cross-encoder asked for, else the one in the settings, if any."""
        return reranker or self.settings.reranker

    def search(self, query: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
               mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers of every shard nearest to a query."""
        return self.gather.search(query, k, offset, filters, mode, self.reranker_for(reranker))

    def search_many(self, queries: list[str], k: int = 10, filters: Filters | None = None,
                    mode: str | None = None, reranker: str | None = None) -> list[Results]:
        """Answer several queries."""
        return self.gather.search_many(queries, k, filters, mode, self.reranker_for(reranker))

    def similar(self, paper_id: str | Sequence[str], k: int = 10, offset: int = 0, filters: Filters | None = None,
                mode: str | None = None, reranker: str | None = None, not_ids: Sequence[str] = (),
                texts: Sequence[str] = ()) -> Results:
        """Return papers related to one paper, or to a set of papers and texts, less the `not_ids` papers."""
        typed = [paper_id] if isinstance(paper_id, str) else list(paper_id)
        liked, disliked = [self.stored_id(i) for i in typed], [self.stored_id(i) for i in not_ids]
        stored = dict(zip(liked + disliked, typed + list(not_ids)))
        try:
            return self.gather.similar(liked, k, offset, filters, mode, self.reranker_for(reranker), disliked,
                                       list(texts))
        except UnknownPaperError as exc:
            raise UnknownPaperError(stored.get(exc.args[0], exc.args[0])) from None

    def similar_text(self, text: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                     mode: str | None = None, reranker: str | None = None) -> Results:
        """Return papers related to a pasted text."""
        return self.gather.similar_text(text, k, offset, filters, mode, self.reranker_for(reranker))

    def stored_id(self, paper_id: str) -> str:
        """Return the id a paper is stored under for an id as typed (data/ids.py), asking the shard each hashes to."""
        candidates = lookup_ids(paper_id)
        count = len(self.manifest.shards)
        return next((c for c in candidates if self.shards.one(shard_of(c, count), "has", c)), candidates[-1])

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
