"""Split an index into shard indexes by a stable hash of the paper id, copying the stored embeddings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.ids import lookup_ids
from abstract_search.data.paper import Paper
from abstract_search.index.cluster import CLUSTER_FILE, ClusterManifest, shard_name, shard_of
from abstract_search.index.errors import IndexFailure
from abstract_search.index.manifest import Manifest
from abstract_search.index.writer import WriteReport

BATCH = 4096  # papers read from the source at a time


def by_shard(items: Sequence, id_of: Callable[[object], str], shards: int) -> dict[int, list]:
    """Return the items grouped by the shard their paper id hashes to, in their order."""
    routed: dict[int, list] = {}
    for item in items:
        routed.setdefault(shard_of(id_of(item), shards), []).append(item)
    return routed


def split_index(source: Engine, out: Path, shards: int, on_progress: Callable[[int], None] = lambda n: None
                ) -> ClusterManifest:
    """Write `shards` normal index folders under `out` holding the source's papers and embeddings (nothing is
    embedded again), then the cluster manifest; return it. `out` must not hold anything yet."""
    if shards < 2:
        raise ValueError(f"--shards must be 2 or more, got {shards}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        done = (out / CLUSTER_FILE).exists()
        stopped = "" if done else " (a stopped `abstracts shard` leaves no cluster.json: remove the folder and run it again)"
        raise IndexFailure(f"{out} is not empty; give a new folder for the cluster{stopped}")
    model, dimension = source.store.model(), source.store.dimension()
    if model is None:
        raise IndexFailure(f"the index {source.index_dir} holds no papers: there is nothing to shard")
    out.mkdir(parents=True, exist_ok=True)
    names = [shard_name(i) for i in range(shards)]
    keeps_passages = source.store.passage_scheme() is not None  # the shards keep what the source keeps
    if source.store.passage_target() != source.store.passage_scheme():
        raise IndexFailure(f"the index {source.index_dir} is part way through `abstracts reindex --passages`: "
                           "finish it first (run it again), then shard")
    # a type chosen for the source (pinned) is the shards' too; one picked by size is picked again by each
    # shard's size, as it grows; ABSTRACTS_INDEX_TYPE names another for them all
    manifest = Manifest.load_if_whole(source.index_dir)
    index_type = source.settings.index_type or (source.index_type if manifest and manifest.pinned else None)
    targets = [Engine(Settings(index=out / name, model=model, device=source.settings.device,
                               index_type=index_type, passages=keeps_passages), create=True)
               for name in names]
    try:
        for nums, vectors in source.store.vectors_since(-1, BATCH):
            papers = source.store.papers_by_num([int(n) for n in nums])
            passages = source.store.passages_of([int(n) for n in nums])
            rows = [row for row, num in enumerate(nums) if int(num) in papers]
            for number, routed in by_shard(rows, lambda row: papers[int(nums[row])].id, shards).items():
                targets[number].add_embedded([papers[int(nums[r])] for r in routed], vectors[routed],
                                             [passages.get(int(nums[r])) for r in routed])
            on_progress(len(nums))
        counts = []
        for target in targets:
            target.save()
            counts.append(target.count())
    finally:
        for target in targets:
            target.close(save=False)
    manifest = ClusterManifest(model=model, dimension=int(dimension), shards=names, counts=counts,
                               source=str(source.index_dir))
    manifest.save(out)
    return manifest


class Cluster:
    """The shards of a cluster, written as one index: each paper goes to the shard its id hashes to."""

    def __init__(self, folder: Path, settings: Settings):
        self.index_dir = Path(folder)
        self.manifest = ClusterManifest.load(self.index_dir)
        self.shards = [Engine(settings.model_copy(update={"index": folder}))
                       for folder in self.manifest.shard_dirs(self.index_dir)]

    @property
    def model_name(self) -> str:
        """Return the model every shard was built with."""
        return self.shards[0].model_name

    def count(self) -> int:
        """Return how many papers the shards hold together."""
        return sum(shard.count() for shard in self.shards)

    @property
    def index_type(self) -> str:
        """Return the shards' FAISS index types."""
        return ", ".join(sorted({shard.index_type for shard in self.shards}))

    def add(self, papers: Sequence[Paper]) -> WriteReport:
        """Add or update papers, each in its shard, one durable batch per shard."""
        report = WriteReport()
        for number, batch in by_shard(papers, lambda paper: paper.id, len(self.shards)).items():
            report.merge(self.shards[number].add(batch))
        return report

    def delete(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete papers by id from their shards; return (deleted, not found)."""
        deleted: list[str] = []
        missing: list[str] = []
        for number, batch in by_shard(ids, lambda paper_id: lookup_ids(paper_id)[-1], len(self.shards)).items():
            gone, absent = self.shards[number].delete(batch)
            deleted += gone
            missing += absent
        return deleted, missing

    def save(self) -> None:
        """Save every shard's derived files, then the cluster manifest with the new counts."""
        for shard in self.shards:
            shard.save()
        self.manifest.counts = [shard.count() for shard in self.shards]
        self.manifest.save(self.index_dir)

    def close(self, save: bool = True) -> None:
        """Save (unless told not to) and release every shard."""
        if save:
            self.save()
        for shard in self.shards:
            shard.close(save=False)
