"""The FastAPI application over the one engine."""

from __future__ import annotations

import ipaddress
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.body_limit import BodyLimitMiddleware
from api.engine import Engine
from api.routes import page, papers, search, service
from api.settings import Settings

log = logging.getLogger("abstracts.api")


def is_loopback(host: str) -> bool:
    """Return whether a listen address only accepts local connections."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; the engine opens at startup unless one is given."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = engine or Engine(settings)
        app.state.engine.writer.vectors  # load and catch up before the first request
        if app.state.read_only:
            log.warning("listening on %s without ABSTRACTS_API_TOKEN: serving read-only", settings.host)
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
    )
    app.state.settings = settings
    app.state.read_only = not is_loopback(settings.host) and not settings.api_token
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"])

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        """Answer 422 with messages that name each bad field."""
        errors = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body", "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": detail, "errors": errors})

    for module in (search, papers, service, page):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """Build the app from ABSTRACTS_* variables (the uvicorn factory, one per worker process)."""
    return create_app(Settings())
