"""FastAPI dependencies: the engine, the settings, write authorization and query limits."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

import faiss
from fastapi import Depends, Header, HTTPException, Query, Request, status

from abstract_search.api.engine import Engine
from abstract_search.api.net import is_loopback
from abstract_search.api.schemas import FiltersIn
from abstract_search.api.settings import Settings
from abstract_search.data.text import has_lone_surrogate
from abstract_search.search.filters import Filters

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
    """Allow a write only from where writes may come, with the bearer token when one is set.

    Without a token, only this machine may write: the connection must have arrived on a loopback address
    (the socket actually bound, not the configured host) and name a loopback host, so neither another
    machine nor a DNS-rebinding page can. With or without a token, a browser request from a page of another
    origin is refused, since a page can send a form or a no-cors fetch to any server it can reach.
    """
    settings: Settings = request.app.state.settings
    request.app.state.engine.check_writable()  # a read-only index: 403, before the body is read
    refuse_foreign_origin(request, settings)
    if settings.api_token:
        scheme, _, given = (authorization or "").partition(" ")
        # compare_digest takes the same time wherever the strings differ, so timing leaks nothing.
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), settings.api_token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid 'Authorization: Bearer <token>' header is required for writes",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif not local_request(request):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this server is read-only for this connection: without ABSTRACTS_API_TOKEN set, writes are accepted "
            "only from this machine, at http://127.0.0.1 or http://localhost, and not through a proxy",
        )


PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "via")


def local_request(request: Request) -> bool:
    """Return whether a request came from this machine: on a loopback socket, naming a loopback host, and
    not relayed by a proxy (a reverse proxy on this machine connects over loopback for clients anywhere)."""
    server = request.scope.get("server") or ("", None)
    host = (request.url.hostname or "").strip("[]")
    relayed = any(name in request.headers for name in PROXY_HEADERS)
    return is_loopback(str(server[0])) and is_loopback(host) and not relayed


def refuse_foreign_origin(request: Request, settings: Settings) -> None:
    """Answer 403 when a browser sent the request from a page of another origin than this server's."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # not sent by a browser page: curl, httpx, the CLI
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != own and origin not in settings.cors_origins:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"cross-site write refused: a page at {origin} may not write to this server")


def require_content_type(request: Request, *allowed: str) -> None:
    """Answer 415 unless the body's media type is one the route reads (a plain-text form is not)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in allowed:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"content type {media_type or 'none'!r} is not accepted here; send {' or '.join(allowed)}")


WriterDep = Depends(require_writer)


async def filters(params: Annotated[FiltersIn, Query()]) -> Filters:
    """Read the filter query parameters."""
    return checked_filters(params)


def checked_filters(params: FiltersIn) -> Filters:
    """Return the filters, or raise 422 when a text filter is not valid Unicode."""
    for field in ("author", "category"):
        value = getattr(params, field)
        if value is not None:
            valid_text(value, field)
    return Filters(params.year_min, params.year_max, params.author, params.category, params.author_exact)


FiltersDep = Annotated[Filters, Depends(filters)]


def clean_query(text: str, settings: Settings, field: str = "q") -> str:
    """Return the query stripped, or raise 422 when it is empty, too long or not valid Unicode."""
    if not text or not text.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field} is empty: type a question")
    if len(text) > settings.max_query_chars:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field} is longer than {settings.max_query_chars} characters"
        )
    return valid_text(text, field).strip()


def valid_text(text: str, field: str) -> str:
    """Return the text, or raise 422 when it holds a lone surrogate (JSON allows "\\ud800"; UTF-8 does not)."""
    if has_lone_surrogate(text):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"{field} contains an invalid character (a lone UTF-16 surrogate)")
    return text


def check_page(settings: Settings, k: int, offset: int = 0) -> None:
    """Answer 422 when k or offset passes the settings' limits (ABSTRACTS_MAX_K, ABSTRACTS_MAX_OFFSET)."""
    if k > settings.max_k:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"k: {k} results asked for; at most {settings.max_k} a page (ABSTRACTS_MAX_K)")
    if offset > settings.max_offset:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"offset: {offset}; at most {settings.max_offset} (ABSTRACTS_MAX_OFFSET)")


def check_work(settings: Settings, texts: list[str], k: int, field: str, most: int | None = None,
               most_name: str = "ABSTRACTS_MAX_QUERIES") -> None:
    """Answer 413 when one request asks for more work than the settings allow, naming the limit."""
    check_page(settings, k)
    most = most or settings.max_queries
    limits = ((len(texts), most, f"{field} has {len(texts)} items; at most {most} per request ({most_name})"),
              (sum(map(len, texts)), settings.max_request_chars, f"{field} has {sum(map(len, texts)):,} characters in "
               f"all; at most {settings.max_request_chars:,} per request (ABSTRACTS_MAX_REQUEST_CHARS)"),
              (k * len(texts), settings.max_results, f"k x {field} asks for {k * len(texts):,} results; at most "
               f"{settings.max_results:,} per request (ABSTRACTS_MAX_RESULTS)"))
    for asked, limit, message in limits:
        if asked > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, message)
