"""The API docs (/docs, /redoc) served with no network: Swagger UI and ReDoc files from the installed
fastapi-offline package, as FastAPI's "Custom Docs UI Static Assets" guide self-hosts them."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
# The only files /docs-assets/ serves; a name from the request is looked up here and never joined to a path.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
TITLE = "abstract-search API"


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Serve Swagger UI over /openapi.json."""
    return get_swagger_ui_html(openapi_url="/openapi.json", title=TITLE,
                               swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                               swagger_css_url="/docs-assets/swagger-ui.css",
                               swagger_favicon_url="/docs-assets/favicon.png",
                               oauth2_redirect_url="/docs/oauth2-redirect")


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    """Serve Swagger UI's OAuth2 redirect page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """Serve ReDoc over /openapi.json, with no web fonts."""
    return get_redoc_html(openapi_url="/openapi.json", title=TITLE, redoc_js_url="/docs-assets/redoc.standalone.js",
                          redoc_favicon_url="/docs-assets/favicon.png", with_google_fonts=False)


@router.get("/docs-assets/{name}")
def asset(name: str) -> FileResponse:
    """Serve one of the docs' files by its exact name."""
    if name not in ASSETS:
        raise HTTPException(404, f"no docs file named {name!r}")
    return FileResponse(ASSETS_DIR / name, media_type=ASSETS[name])
