"""A sharded corpus answers as one index of it does: the same top-10, in order, for 200 queries in every mode,
with filters, paging and related work, over 2 and 3 shards (search/gather.py, search/shard_query.py)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.index.cluster import ClusterManifest
from abstract_search.search.filters import Filters
from abstract_search.search.gather import Gather, LocalShards
from abstract_search.search.hits import Results
from abstract_search.search.shard_query import ShardQuery, ShardRequest
from tests.conftest import ROOT, run_cli

MODES = ("dense", "lexical", "hybrid")


def queries(engine: Engine) -> list[str]:
    """Return 200 queries: our judged questions, then titles, first sentences and pairs of title words."""
    found = []
    for folder in (ROOT / "bench" / "questions", ROOT / "bench" / "questions" / "second_half"):
        found += [json.loads(line)["text"] for line in (folder / "queries.jsonl").read_text().splitlines()]
    papers = list(engine.store.iter_papers())
    found += [p.title for p in papers] + [p.abstract.split(". ")[0] for p in papers]
    words = [w for p in papers for w in p.title.split() if len(w) > 5]
    found += [f"{a} {b}" for a, b in zip(words[::2], words[1::2])]
    return found[:200]


def agree(one: Results, sharded: Results) -> str | None:
    """Return how two answers differ, or None when they rank alike (see `same_ranking`)."""
    if one.total != sharded.total:
        return f"totals differ: {one.total} != {sharded.total}"
    return same_ranking([(h.score, h.paper.id) for h in one], [(h.score, h.paper.id) for h in sharded])


def same_ranking(a: list[tuple[float, str]], b: list[tuple[float, str]], tie: float = 1e-4) -> str | None:
    """Return how two rankings of (score, id) differ, or None when they hold the same papers in the same order
    with the same scores (to float rounding: sums run in another order). Papers whose scores tie may come in
    either order, and a tie cut at k may keep either."""
    def close(x: float, y: float) -> bool:
        return abs(x - y) <= tie * max(1.0, abs(x))

    if len(a) != len(b):
        return f"lengths differ: {a} != {b}"
    for position, ((score_a, id_a), (score_b, id_b)) in enumerate(zip(a, b)):
        tied = position == len(a) - 1 or any(close(score_a, s) for j, (s, _) in enumerate(a) if j != position)
        if not close(score_a, score_b) or (id_a != id_b and not tied):
            return f"{a} != {b}"
    return None


@pytest.fixture(scope="module")
def clusters(bundled_index, tmp_path_factory) -> dict[int, Path]:
    """The bundled index split into 2 and into 3 shards by `abstracts shard`."""
    found = {}
    for count in (2, 3):
        out = tmp_path_factory.mktemp(f"cluster{count}") / "cluster"
        run_cli("shard", "--index", str(bundled_index), "--shards", str(count), "--out", str(out), check=True)
        found[count] = out
    return found


def gather_over(cluster: Path, engine: Engine) -> Gather:
    """Return the merge over a cluster's shards, each opened read-only in this process."""
    manifest = ClusterManifest.load(cluster)
    shards = [ShardQuery(Engine(Settings(index=folder, read_only=True)).searcher) for folder in manifest.shard_dirs(cluster)]
    return Gather(LocalShards(shards), engine.embedder)


@pytest.mark.parametrize("count", [2, 3])
def test_two_and_three_shards_rank_200_queries_as_one_index_in_every_mode(bundled_index, clusters, count):
    engine = Engine(Settings(index=bundled_index, read_only=True))
    gather = gather_over(clusters[count], engine)
    problems = []
    for text in queries(engine):
        for mode in MODES:
            difference = agree(engine.search(text, 10, mode=mode), gather.search(text, 10, mode=mode))
            if difference:
                problems.append((mode, text, difference))
    assert not problems, problems[:5]


def test_filters_paging_and_related_work_merge_as_one_index(bundled_index, clusters):
    engine = Engine(Settings(index=bundled_index, read_only=True))
    gather = gather_over(clusters[3], engine)
    first = next(engine.store.iter_papers())
    filters = [Filters(year_min=2024), Filters(author="Weston"), Filters(category="cs.CL"), Filters(year_max=1900)]
    problems = []
    for mode in MODES:
        for chosen in filters:
            for text in ("papers on LLM judges", "dialogue safety", "preference optimization for reasoning"):
                difference = agree(engine.search(text, 10, filters=chosen, mode=mode),
                                   gather.search(text, 10, filters=chosen, mode=mode))
                if difference:
                    problems.append((mode, chosen, text, difference))
        for offset in (0, 10, 20):
            difference = agree(engine.search("language model training", 10, offset, mode=mode),
                               gather.search("language model training", 10, offset, mode=mode))
            if difference:
                problems.append((mode, "offset", offset, difference))
        for ids in ([first.id], [p.id for p in list(engine.store.iter_papers())[3:6]]):
            difference = agree(engine.similar(ids, 10, mode=mode), gather.similar(ids, 10, mode=mode))
            if difference:
                problems.append((mode, "similar", ids, difference))
        difference = agree(engine.similar_text(first.abstract, 10, mode=mode),
                           gather.similar_text(first.abstract, 10, mode=mode))
        if difference:
            problems.append((mode, "similar_text", difference))
    assert not problems, problems[:5]
    none = gather.search("dialogue", 10, filters=Filters(year_max=1900))
    assert none.total == 0 and not none.hits and none.note == engine.search("dialogue", 10, filters=Filters(year_max=1900)).note
    merged = gather.search("papers on LLM judges", 10, mode="dense")
    assert [h.snippet for h in merged] == [h.snippet for h in engine.search("papers on LLM judges", 10, mode="dense")]
    assert [h.level for h in merged] == [h.level for h in engine.search("papers on LLM judges", 10, mode="dense")]


def test_reranking_runs_once_over_the_merged_candidates(bundled_index, clusters, cross_encoder):
    engine = Engine(Settings(index=bundled_index, read_only=True))
    gather = gather_over(clusters[2], engine)
    problems = []
    for text in queries(engine)[:8]:
        difference = agree(engine.search(text, 10, mode="hybrid+rerank", reranker=cross_encoder),
                           gather.search(text, 10, mode="hybrid+rerank", reranker=cross_encoder))
        if difference:
            problems.append((text, difference))
    assert not problems, problems[:3]


def test_a_shards_answer_carries_its_candidates_best_passage_spans_not_their_passages(clusters):
    shard = ShardQuery(Engine(Settings(index=ClusterManifest.load(clusters[2]).shard_dirs(clusters[2])[0],
                                       read_only=True)).searcher)
    text = "papers on LLM judges"
    vector = shard.searcher.embedder.encode_query(text)
    found = shard.candidates(ShardRequest(text, vector, "hybrid", 10, corpus=shard.term_stats(text), passages=True))
    assert found.spans and len(found.spans) == len(found.dense)
    sent = pickle.loads(pickle.dumps(found))  # as Ray sends it to the router
    assert type(sent.spans) is dict and sent.spans == dict(found.spans)
    assert len(pickle.dumps(sent.spans)) < 40 * len(sent.spans)  # spans only: no passage vectors ride along
