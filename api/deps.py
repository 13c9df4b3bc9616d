"""FastAPI dependencies: the engine, the settings, write authorization and query limits."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

import faiss
from fastapi import Depends, Header, HTTPException, Query, Request, status

from api.engine import Engine
from api.settings import Settings
from search.filters import Filters

T = TypeVar("T")


# OpenMP's thread count is per thread: each pool thread sets one FAISS thread when it starts, or FAISS
# teams would fight the query encoder for the cores. A plain executor hop costs less than anyio's.
_ENGINE_THREADS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="engine",
                                     initializer=faiss.omp_set_num_threads, initargs=(1,))


_calls_in_flight = 0  # engine calls being answered; touched only on the event loop


async def off_loop(call: Callable[[], T]) -> T:
    """Run a blocking engine call in the engine's thread pool and return its result."""
    global _calls_in_flight
    _calls_in_flight += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_ENGINE_THREADS, call)
    finally:
        _calls_in_flight -= 1


async def quick_read(call: Callable[[], T]) -> T:
    """Run one short read on the event loop when no other engine call is in flight, else in the pool.

    A lone search gains nothing from a thread and pays two thread hand-offs; concurrent searches still
    overlap in the pool, where the encoder and FAISS release the GIL, and a read never waits on the loop
    for a write holding the lock.
    """
    global _calls_in_flight
    if _calls_in_flight:
        return await off_loop(call)
    _calls_in_flight += 1
    try:
        return call()
    finally:
        _calls_in_flight -= 1


# The dependencies are async because they only read request state: FastAPI runs a plain `def` dependency in
# the thread pool, and each such hop cost about a millisecond per request on two busy cores.
async def get_engine(request: Request) -> Engine:
    """Return the app's one engine."""
    return request.app.state.engine


async def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    return request.app.state.settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def require_writer(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Allow a write only when the server is writable and, if a token is set, the bearer token matches."""
    settings: Settings = request.app.state.settings
    if request.app.state.read_only:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this server is read-only: it listens beyond loopback without ABSTRACTS_API_TOKEN set",
        )
    if settings.api_token:
        scheme, _, given = (authorization or "").partition(" ")
        # compare_digest takes the same time wherever the strings differ, so timing leaks nothing.
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), settings.api_token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid 'Authorization: Bearer <token>' header is required for writes",
                headers={"WWW-Authenticate": "Bearer"},
            )


WriterDep = Depends(require_writer)


async def filters(
    year_min: Annotated[int | None, Query(ge=0, le=3000, description="only papers from this year on")] = None,
    year_max: Annotated[int | None, Query(ge=0, le=3000, description="only papers up to this year")] = None,
    author: Annotated[str | None, Query(max_length=200, description="only papers by this author")] = None,
    category: Annotated[str | None, Query(max_length=50, description="only papers in this category")] = None,
) -> Filters:
    """Read the filter query parameters."""
    return Filters(year_min, year_max, author, category)


FiltersDep = Annotated[Filters, Depends(filters)]


def clean_query(text: str, settings: Settings, field: str = "q") -> str:
    """Return the query stripped, or raise 422 when it is empty or too long."""
    if not text or not text.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field} is empty: type a question")
    if len(text) > settings.max_query_chars:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field} is longer than {settings.max_query_chars} characters"
        )
    return text.strip()
