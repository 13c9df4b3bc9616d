"""The FastAPI application over the one engine."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from abstract_search.api.engine import Engine
from abstract_search.api.net import LOOPBACK_NAMES, is_loopback
from abstract_search.api.paper_ids import EncodedSlashMiddleware
from abstract_search.api.routes import docs, page, papers, search, service
from abstract_search.api.schemas import PARSER_REJECTION, error_responses
from abstract_search.api.settings import Settings
from abstract_search.index.errors import IndexFailure, ReadOnlyIndexError
from abstract_search.index.store import store_failure
from abstract_search.search.threads import one_thread_per_search

log = logging.getLogger("abstracts.api")
BODY_TOO_LARGE = "Content Too Large"  # the detail of the 413 FastAPI's max_body_size raises


def served_hosts(settings: Settings) -> list[str]:
    """Return the Host header values the server answers: loopback names on loopback, as configured elsewhere."""
    if settings.allowed_hosts is not None:
        return settings.allowed_hosts
    if not is_loopback(settings.host):
        return ["*"]
    own = f"[{settings.host}]" if ":" in settings.host else settings.host  # e.g. serve --host 127.0.0.2
    return list(dict.fromkeys([*LOOPBACK_NAMES, own]))


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; the engine opens at startup unless one is given."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        one_thread_per_search()
        app.state.engine = engine or Engine(settings)
        app.state.engine.warm_up()  # load the index and the model now, not inside the first requests
        try:
            app.state.engine.save()  # a rebuilt or caught-up vector file is saved, so other workers can map it
        except IndexFailure as exc:  # a full disk must not keep the server from starting: the store is whole
            log.warning("%s", exc)
        if not is_loopback(settings.host) and not settings.api_token:
            log.warning("listening on %s without ABSTRACTS_API_TOKEN: writes are refused except from this machine",
                        settings.host)
        yield
        if engine is None:
            app.state.engine.close()
        else:
            app.state.engine.save()

    app = FastAPI(
        title="abstract-search",
        summary="Semantic search over scientific paper abstracts.",
        version="0.1.0",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,  # FastAPI answers a larger body 413, read or declared
        docs_url=None,  # served by routes/docs.py from installed files: the defaults load them from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_middleware(EncodedSlashMiddleware)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"])
    # A page on another site can point a name it controls at 127.0.0.1 (DNS rebinding): its requests then
    # carry that name as Host, and are refused here.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=served_hosts(settings))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        """Answer 422 with messages that name each bad field."""
        errors = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body", "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": detail, "errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        """Answer a body the framework cannot parse (not UTF-8, broken multipart) with 422, like any malformed body."""
        if exc.status_code == 400:
            return JSONResponse(status_code=422, content={"detail": f"body could not be parsed: {exc.detail}"})
        if exc.status_code == 413 and exc.detail == BODY_TOO_LARGE:  # FastAPI's body limit: name ours
            detail = f"request body is larger than {settings.max_body_bytes} bytes (ABSTRACTS_MAX_BODY_BYTES)"
            return JSONResponse(status_code=413, content={"detail": detail})
        return await http_exception_handler(request, exc)

    @app.exception_handler(IndexFailure)
    async def index_failure(request: Request, exc: IndexFailure) -> JSONResponse:
        """Answer 503 when the store is locked, read-only, full or damaged; the message names the file and fix."""
        log.error("%s", exc)
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(sqlite3.DatabaseError)
    async def store_error(request: Request, exc: sqlite3.DatabaseError) -> JSONResponse:
        """Answer 503 for a store error met outside a write transaction (a damaged page, a lost disk)."""
        return await index_failure(request, store_failure(request.app.state.engine.store_path, exc))

    @app.exception_handler(ReadOnlyIndexError)
    async def read_only_index(request: Request, exc: ReadOnlyIndexError) -> JSONResponse:
        """Answer 403 to a write on an index served read-only; the message says why and what to do."""
        return JSONResponse(status_code=403, content={"detail": str(exc)})

    # Every error is an ErrorOut; routes add their own 401/403/404 where they can answer them.
    for module in (search, papers, service, page, docs):
        app.include_router(module.router, responses={**PARSER_REJECTION, **error_responses(413, 422, 503)})
    return app


def app_from_env() -> FastAPI:
    """Build the app from ABSTRACTS_* variables (the uvicorn factory, one per worker process)."""
    return create_app(Settings())
