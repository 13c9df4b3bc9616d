"""Service routes: health, index statistics, and embedding texts without indexing them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from api.deps import EngineDep, SettingsDep
from api.schemas import EmbedIn, EmbedOut, HealthOut, StatsOut

router = APIRouter(tags=["service"])
MAX_EMBED_CHARS = 100_000


@router.get("/health", response_model=HealthOut)
def health(request: Request, engine: EngineDep) -> HealthOut:
    """Say the server is up and how many papers it serves."""
    return HealthOut(status="ok", papers=engine.count(), read_only=request.app.state.read_only)


@router.get("/stats", response_model=StatsOut)
def stats(request: Request, engine: EngineDep) -> StatsOut:
    """Return what the index holds and how it was built."""
    info = {k: v for k, v in engine.stats().items() if k != "index"}
    return StatsOut(**info, read_only=request.app.state.read_only)


@router.post("/embed", response_model=EmbedOut)
def embed(engine: EngineDep, settings: SettingsDep, body: EmbedIn) -> EmbedOut:
    """Return the index model's unit vectors for texts, without indexing them."""
    if len(body.texts) > settings.max_batch:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"texts has {len(body.texts)} items; at most {settings.max_batch}")
    for i, text in enumerate(body.texts):
        if not text.strip():
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"texts[{i}] is empty")
        if len(text) > MAX_EMBED_CHARS:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"texts[{i}] is longer than {MAX_EMBED_CHARS} characters")
    vectors = engine.embed(body.texts)
    return EmbedOut(model=engine.embedder.name, dimension=int(vectors.shape[1]), data=vectors.tolist(), count=len(vectors))
