"""Service routes: health, index statistics, and embedding texts without indexing them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from abstract_search.api.deps import EngineDep, SettingsDep, check_work, local_request, valid_text
from abstract_search.api.schemas import EmbedIn, EmbedOut, HealthOut, StatsOut

router = APIRouter(tags=["service"])
MAX_EMBED_CHARS = 100_000


def read_only(request: Request) -> bool:
    """Return whether this connection may not write: the index is served read-only, or no token is set and
    the connection is not from this machine."""
    if request.app.state.engine.read_only:
        return True
    return not request.app.state.settings.api_token and not local_request(request)


@router.get("/health", response_model=HealthOut)
def health(request: Request, engine: EngineDep) -> HealthOut:
    """Say the server is up and how many papers it serves."""
    return HealthOut(status="ok", papers=engine.count(), read_only=read_only(request))


@router.get("/stats", response_model=StatsOut)
def stats(request: Request, engine: EngineDep) -> StatsOut:
    """Return what the index holds and how it was built."""
    info = {k: v for k, v in engine.stats().items() if k != "index"}
    return StatsOut(**info, read_only=read_only(request))


@router.post("/embed", response_model=EmbedOut)
def embed(engine: EngineDep, settings: SettingsDep, body: EmbedIn) -> EmbedOut:
    """Return the index model's unit vectors for texts, without indexing them."""
    check_work(settings, body.texts, 1, "texts", settings.max_batch, "ABSTRACTS_MAX_BATCH")
    for i, text in enumerate(body.texts):
        if not text.strip():
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"texts[{i}] is empty")
        if len(text) > MAX_EMBED_CHARS:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"texts[{i}] is longer than {MAX_EMBED_CHARS} characters")
        valid_text(text, f"texts[{i}]")
    vectors = engine.embed(body.texts)
    return EmbedOut(model=engine.model_name, dimension=int(vectors.shape[1]), data=vectors.tolist(), count=len(vectors))
