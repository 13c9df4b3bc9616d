"""Embed a corpus into resumable shards, in this process or with Ray Data `map_batches` on a cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from abstract_search.data.paper import Paper
from abstract_search.index.embedder import Embedder
from abstract_search.index.passages import SCHEME, encode_passages
from abstract_search.index.shards import ShardsManifest, is_done, write_manifest, write_shard


def plan_shards(papers: Iterable[Paper], shard_size: int) -> list[list[Paper]]:
    """Split papers into consecutive shards; the same input always gives the same shards."""
    shards: list[list[Paper]] = [[]]
    for paper in papers:
        if len(shards[-1]) >= shard_size:
            shards.append([])
        shards[-1].append(paper)
    return [s for s in shards if s]


def passage_blobs(embedder: Embedder, papers: list[Paper], passages: bool) -> list[bytes] | None:
    """Return the papers' passage vectors in their stored form, or None when the shards carry none."""
    return [found.to_bytes() for found in encode_passages(embedder, papers)] if passages else None


def embed_in_process(shards: dict[int, list[Paper]], embedder: Embedder, out: Path,
                     progress: Callable[[int], None], passages: bool = True) -> None:
    """Embed pending shards one by one with the local embedder."""
    for number, papers in shards.items():
        write_shard(out, number, papers, embedder.encode([p.text() for p in papers]),
                    passage_blobs(embedder, papers, passages))
        progress(len(papers))


class EmbedBatch:
    """The Ray Data `map_batches` callable: one embedder per actor, loaded once."""

    def __init__(self, model: str, device: str | None, backend: str, batch_size: int, passages: bool = True):
        self.embedder = Embedder(model, device, batch_size, backend)
        self.passages = passages

    def __call__(self, batch: dict) -> dict:
        papers = [Paper(id="", title=t, abstract=a) for t, a in zip(batch["title"], batch["abstract"])]
        vectors = self.embedder.encode([p.text() for p in papers])
        found = {"shard": batch["shard"], "position": batch["position"], "vector": list(vectors)}
        if self.passages:
            found["passages"] = np.array(passage_blobs(self.embedder, papers, True), dtype=object)
        return found


def embed_with_ray(shards: dict[int, list[Paper]], embedder: Embedder, out: Path,
                   progress: Callable[[int], None], address: str | None, workers: int, passages: bool = True) -> None:
    """Embed pending shards with Ray Data; each shard is written as soon as all its vectors arrive."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False)
    rows = [{"shard": n, "position": i, "title": p.title, "abstract": p.abstract}
            for n, papers in shards.items() for i, p in enumerate(papers)]
    dataset = ray.data.from_items(rows).map_batches(
        EmbedBatch,
        fn_constructor_args=(embedder.name, embedder.device, embedder.backend, embedder.batch_size, passages),
        batch_size=embedder.batch_size * 4,
        concurrency=workers,
    )
    pending = {n: np.zeros((len(papers), embedder.dimension), dtype=np.float32) for n, papers in shards.items()}
    blobs: dict[int, list] = {n: [b""] * len(papers) for n, papers in shards.items()}
    missing = {n: len(papers) for n, papers in shards.items()}
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        found = batch["passages"] if passages else [None] * len(batch["shard"])
        for number, position, vector, blob in zip(batch["shard"], batch["position"], batch["vector"], found):
            number = int(number)
            pending[number][int(position)] = vector
            blobs[number][int(position)] = blob
            missing[number] -= 1
            if missing[number] == 0:
                write_shard(out, number, shards[number], pending.pop(number), blobs.pop(number) if passages else None)
                progress(len(shards[number]))


def embed_corpus(papers: Iterable[Paper], embedder: Embedder, out: Path, shard_size: int, source: str,
                 progress: Callable[[int], None], ray_address: str | None = None, use_ray: bool = False,
                 workers: int = 1, passages: bool = True) -> tuple[int, int]:
    """Write every pending shard of the corpus (with each paper's passage vectors, unless `passages` is
    false); return (shards written now, shards already done)."""
    out = Path(out)
    write_manifest(out, ShardsManifest(embedder.name, embedder.dimension, shard_size, source,
                                       SCHEME if passages else None))
    planned = plan_shards(papers, shard_size)
    todo = {n: s for n, s in enumerate(planned) if not is_done(out, n)}
    for n, shard in enumerate(planned):
        if n not in todo:
            progress(len(shard))
    if todo:
        if use_ray:
            embed_with_ray(todo, embedder, out, progress, ray_address, workers, passages)
        else:
            embed_in_process(todo, embedder, out, progress, passages)
    return len(todo), len(planned) - len(todo)
