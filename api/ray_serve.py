"""Serve a cluster on Ray Serve: one deployment per shard (each replica memory-maps its shard's files), and a
router deployment that embeds each query once, merges the shards' answers (search/gather.py) and serves the
same FastAPI app and page through Serve's FastAPI ingress. Imported only by `abstracts serve --ray`."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ray import serve

from abstract_search.api.settings import Settings
from abstract_search.index.cluster import ClusterManifest
from abstract_search.index.errors import IndexFailure

log = logging.getLogger("abstracts.ray")
APP_NAME = "abstracts"
RETRIES = 4  # a call to a shard whose replica died is tried again while Serve starts another
RETRY_WAIT_S = 0.5  # ... waiting this long, then twice as long, between tries
CALL_TIMEOUT_S = 30.0
# Serve's replicas ask for little CPU: the work is numpy and SQLite on whatever cores the node has, and a
# 2-core laptop must fit a router and two replicas of each of two shards.
SHARD_CPUS, ROUTER_CPUS = 0.25, 0.5


class ShardUnavailableError(IndexFailure):
    """A shard did not answer after its retries: the query is answered 503, never with the other shards alone."""


class ShardReplica:
    """One replica of one shard: its index opened read-only and memory-mapped, answering the merge's calls."""

    def __init__(self, folder: str, settings: dict):
        from abstract_search.api.engine import Engine
        from abstract_search.search.shard_query import ShardQuery
        from abstract_search.search.threads import one_thread_per_search

        one_thread_per_search()
        engine = Engine(Settings(**{**settings, "index": folder, "read_only": True, "mmap": True}))
        self.query = ShardQuery(engine.searcher)

    def call(self, method: str, *args):
        """Run one ShardQuery method (search/shard_query.py) and return its answer."""
        return getattr(self.query, method)(*args)


class RayShards:
    """The router's view of the shard deployments: each call goes to every shard (or one) and waits for all;
    a shard that fails is tried again, and one that stays down fails the whole call."""

    def __init__(self, handles):
        self.handles = list(handles)
        self._pool = ThreadPoolExecutor(max_workers=4)

    def __len__(self) -> int:
        return len(self.handles)

    def each(self, method: str, *args) -> list:
        """Return every shard's answer to one call, in shard order."""
        return self._with_retries(method, lambda: [h.call.remote(method, *args) for h in self.handles])

    def one(self, shard: int, method: str, *args):
        """Return one shard's answer."""
        return self._with_retries(method, lambda: [self.handles[shard].call.remote(method, *args)])[0]

    def some(self, method: str, args_by_shard: dict[int, tuple]) -> dict[int, object]:
        """Return, by shard, the answers of the shards named, each called with its own arguments at once."""
        answers = self._with_retries(method, lambda: [self.handles[shard].call.remote(method, *args)
                                                      for shard, args in args_by_shard.items()])
        return dict(zip(args_by_shard, answers))

    def _with_retries(self, method: str, send) -> list:
        try:  # Serve refuses a blocking wait on the replica's event loop (the app's startup calls from it)
            asyncio.get_running_loop()
        except RuntimeError:
            return self._tried(method, send)
        return self._pool.submit(self._tried, method, send).result()

    def _tried(self, method: str, send) -> list:
        import ray.exceptions

        wait = RETRY_WAIT_S
        for attempt in range(RETRIES):
            try:
                return [response.result(timeout_s=CALL_TIMEOUT_S) for response in send()]
            except ray.exceptions.RayTaskError as exc:  # the shard's own code raised: that error, not a retry
                cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                raise cause from None
            except (ray.exceptions.RayError, TimeoutError) as exc:  # a replica died or is restarting
                log.warning("shard call %s failed (%s), try %d of %d", method, type(exc).__name__, attempt + 1, RETRIES)
                if attempt == RETRIES - 1:
                    raise ShardUnavailableError(
                        f"a shard did not answer ({type(exc).__name__}) after {RETRIES} tries: Ray is restarting "
                        "its replica; ask again in a few seconds (no partial answer is given)") from exc
                time.sleep(wait)
                wait *= 2
        raise AssertionError("unreachable")


@serve.ingress()
class Router:
    """The ingress: the FastAPI app over a ClusterEngine whose shards are the shard deployments."""

    def __init__(self, cluster: str, settings: dict, *handles):
        from abstract_search.api.cluster_engine import ClusterEngine
        from abstract_search.search.threads import one_thread_per_search

        one_thread_per_search()
        self.settings = Settings(**settings)
        self.engine = ClusterEngine(RayShards(handles), self.settings, Path(cluster))

    def __serve_build_asgi_app__(self):
        from abstract_search.api.app import create_app

        return create_app(self.settings, engine=self.engine)


def serve_cluster(cluster: Path, settings: Settings, address: str | None, replicas: int = 1, block: bool = True) -> str:
    """Start (or join) Ray, deploy the shards and the router, and return the URL it answers on; with `block`,
    serve until interrupted. `address` None or "local" starts a local Ray instance."""
    import ray

    cluster = Path(cluster).resolve()
    manifest = ClusterManifest.load(cluster)
    if not ray.is_initialized():
        ray.init(address=None if address in (None, "local") else address, include_dashboard=False,
                 log_to_driver=False)
    serve.start(http_options={"host": settings.host, "port": settings.port})
    plain = settings.model_dump(mode="json", exclude={"api_token_file"})
    shards = [serve.deployment(ShardReplica, name=name, num_replicas=replicas,
                               ray_actor_options={"num_cpus": SHARD_CPUS}).bind(str(folder), plain)
              for name, folder in zip(manifest.shards, manifest.shard_dirs(cluster))]
    router = serve.deployment(Router, name="router", num_replicas=1, ray_actor_options={"num_cpus": ROUTER_CPUS})
    serve.run(router.bind(str(cluster), plain, *shards), name=APP_NAME, route_prefix="/", blocking=False)
    url = f"http://{settings.host}:{settings.port}"
    if block:
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            serve.shutdown()
    return url
