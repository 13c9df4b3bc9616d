"""With HNSW, where each shard's graph finds its own approximate neighbours, a sharded corpus still answers
as one index of it does: overlap@10 of at least 0.99 over 200 queries, dense and hybrid, over 2 and 3 shards.

The corpus is 20,000 real arXiv abstracts (skipped without ../shared/data), each embedded by its title alone
so the model runs in under a minute on 2 cores: real vectors of the model, at a size where HNSW is
approximate (recall@10 against exact search about 0.995 here). Noisy copies of a few real vectors do not
serve: HNSW finds 0.4-0.7 of their exact top 10, so no two graphs agree on them.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.api.sharding import split_index
from abstract_search.data.paper import Paper
from abstract_search.index.cluster import ClusterManifest
from abstract_search.search.gather import Gather, LocalShards
from abstract_search.search.shard_query import ShardQuery
from tests.conftest import shared_file

PAPERS = 20_000


def arxiv_papers(count: int) -> list[Paper]:
    """Return the first `count` papers of the shared arXiv corpus."""
    papers = []
    with gzip.open(shared_file("arxiv/arxiv_abstracts.jsonl.gz"), "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            papers.append(Paper(id=record["id"], title=record["title"], abstract=record["abstract"]))
            if len(papers) == count:
                break
    return papers


@pytest.fixture(scope="module")
def hnsw_corpus(tmp_path_factory) -> tuple[Path, dict[int, Path], list[str]]:
    """The corpus as one HNSW index and split into 2 and 3 HNSW shards, and 200 queries."""
    papers = arxiv_papers(PAPERS)
    folder = tmp_path_factory.mktemp("hnsw")
    one = Engine(Settings(index=folder / "one", index_type="hnsw", passages=False), create=True)
    one.add_embedded(papers, one.embedder.encode([p.title for p in papers]))
    one.close()
    source = Engine(Settings(index=folder / "one"))  # no type asked for: the shards take the source's chosen one
    clusters = {count: folder / f"cluster{count}" for count in (2, 3)}
    for count, out in clusters.items():
        split_index(source, out, count)
    source.close()
    queries = [p.abstract.split(". ")[0] for p in papers[:: PAPERS // 200]]  # first sentences, not titles
    return folder / "one", clusters, queries


def overlap(a, b) -> float:
    """Return the share of one answer's papers found in the other's."""
    return len({h.paper.id for h in a} & {h.paper.id for h in b}) / max(1, len(a.hits))


def test_hnsw_is_approximate_at_this_size(hnsw_corpus):
    one_dir, _, queries = hnsw_corpus
    one = Engine(Settings(index=one_dir, read_only=True))
    vectors = one.embedder.encode_queries(queries)
    nums, stored = zip(*one.store.vectors_since(-1))
    nums, stored = np.concatenate(nums), np.vstack(stored)
    exact = faiss.IndexFlatIP(stored.shape[1])
    exact.add(stored)
    _, truth = exact.search(vectors, 10)
    with one.reader.reading() as index:
        assert index.index_type == "hnsw"
        found = [index.search(v[None, :], 10, None)[1][0] for v in vectors]
    recall = np.mean([len(set(nums[t]) & set(f)) / 10 for t, f in zip(truth, found)])
    assert 0.95 <= recall < 1.0, f"HNSW recall@10 {recall}: the overlap test below needs an approximate index"


@pytest.mark.parametrize("count", [2, 3])
def test_hnsw_shards_overlap_one_hnsw_index_at_least_099_at_10(hnsw_corpus, count):
    one_dir, clusters, queries = hnsw_corpus
    one = Engine(Settings(index=one_dir, read_only=True, mmap=True))
    assert one.count() == PAPERS
    folders = ClusterManifest.load(clusters[count]).shard_dirs(clusters[count])
    shards = [Engine(Settings(index=folder, read_only=True, mmap=True)) for folder in folders]
    assert {shard.index_type for shard in shards} == {"hnsw"}  # the type chosen for the source
    gather = Gather(LocalShards([ShardQuery(shard.searcher) for shard in shards]), one.embedder)
    assert len(queries) == 200
    for mode in ("dense", "hybrid"):
        shares = [overlap(one.search(q, 10, mode=mode), gather.search(q, 10, mode=mode)) for q in queries]
        assert np.mean(shares) >= 0.99, (mode, np.mean(shares), sorted(shares)[:5])
