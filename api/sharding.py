"""Split an index into shard indexes by a stable hash of the paper id, copying the stored embeddings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.index.cluster import CLUSTER_FILE, ClusterManifest, shard_name, shard_of
from abstract_search.index.errors import IndexFailure

BATCH = 4096  # papers read from the source at a time


def split_index(source: Engine, out: Path, shards: int, on_progress: Callable[[int], None] = lambda n: None
                ) -> ClusterManifest:
    """Write `shards` normal index folders under `out` holding the source's papers and embeddings (nothing is
    embedded again), then the cluster manifest; return it. `out` must not hold anything yet."""
    if shards < 2:
        raise ValueError(f"--shards must be 2 or more, got {shards}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        done = (out / CLUSTER_FILE).exists()
        raise IndexFailure(f"{out} is not empty; give a new folder for the cluster" + (
            "" if done else " (a stopped `abstracts shard` leaves no cluster.json: remove the folder and run it again)"))
    model, dimension = source.store.model(), source.store.dimension()
    if model is None:
        raise IndexFailure(f"the index {source.index_dir} holds no papers: there is nothing to shard")
    out.mkdir(parents=True, exist_ok=True)
    names = [shard_name(i) for i in range(shards)]
    targets = [Engine(Settings(index=out / name, model=model, device=source.settings.device,
                               index_type=source.settings.index_type), create=True) for name in names]
    try:
        for nums, vectors in source.store.vectors_since(-1, BATCH):
            papers = source.store.papers_by_num([int(n) for n in nums])
            routed: list[list[int]] = [[] for _ in range(shards)]
            for row, num in enumerate(nums):
                if int(num) in papers:
                    routed[shard_of(papers[int(num)].id, shards)].append(row)
            for target, rows in zip(targets, routed):
                if rows:
                    target.add_embedded([papers[int(nums[r])] for r in rows], vectors[rows])
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
