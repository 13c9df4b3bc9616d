"""The search page: static files that work offline, served from a fixed allow-list."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parents[1] / "static"
PAGE = STATIC / "index.html"
# The only files /static/ serves; a name from the request is looked up here and never joined to a path.
ASSETS = {
    "app.js": (STATIC / "app.js", "text/javascript; charset=utf-8"),
    "style.css": (STATIC / "style.css", "text/css; charset=utf-8"),
}


@router.get("/")
def page() -> FileResponse:
    """Serve the search page."""
    return FileResponse(PAGE, media_type="text/html; charset=utf-8")


@router.get("/static/{name}")
def asset(name: str) -> FileResponse:
    """Serve one of the page's own files by its exact name."""
    if name not in ASSETS:
        raise HTTPException(404, f"no static file named {name!r}")
    path, media_type = ASSETS[name]
    return FileResponse(path, media_type=media_type)
