"""Search routes: one query, many queries, and related papers for a pasted abstract."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from abstract_search.api.deps import (
    EngineDep,
    FiltersDep,
    SettingsDep,
    check_page,
    check_work,
    checked_filters,
    clean_query,
    off_loop,
    quick_read,
    valid_text,
)
from abstract_search.search.searcher import UnknownPaperError
from abstract_search.api.export import EXPORT_FORMATS, export
from abstract_search.api.schemas import (
    FORMAT_HELP,
    BatchSearchIn,
    BatchSearchOut,
    ExportFormat,
    SearchOut,
    SimilarTextIn,
    error_responses,
)
from abstract_search.search.hits import Results
from abstract_search.search.modes import MODES, ModeError, resolve_mode

router = APIRouter(tags=["search"])
# Routes are async: a lone search runs on the event loop (quick_read), concurrent ones and batches in the
# engine's thread pool, and each answer is serialized once, inside that call (as_json).
K_HELP = "papers per page, at most ABSTRACTS_MAX_K (100)"
OFFSET_HELP = "results to skip, at most ABSTRACTS_MAX_OFFSET (1000)"
MODE_HELP = f"retrieval mode: {', '.join(MODES)}; default hybrid (hybrid+rerank needs a server reranker)"


class BatchSearchModeIn(BatchSearchIn):
    """Many queries answered in one call, in one retrieval mode."""

    mode: str | None = Field(None, description=MODE_HELP)


class SimilarTextModeIn(SimilarTextIn):
    """A pasted abstract to find related papers for, in one retrieval mode."""

    mode: str | None = Field(None, description=MODE_HELP)


def checked_mode(engine, mode: str | None) -> str:
    """Return the mode to run, or answer 422 with the reason it cannot run."""
    try:
        return resolve_mode(mode, engine.reranker_for(None))
    except ModeError as exc:
        raise HTTPException(422, str(exc)) from None


def as_json(model: BaseModel) -> Response:
    """Return a model serialized already: FastAPI passes a Response through without validating it again."""
    return Response(model.model_dump_json(), media_type="application/json")


def answer_as(fmt: str, results: Results, started: float) -> Response:
    """Return the results as the JSON answer, or as a file to download in an export format."""
    if fmt not in EXPORT_FORMATS:
        return as_json(search_out(results, started))
    suffix, media_type = EXPORT_FORMATS[fmt]
    return Response(export(results, fmt), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="abstract-search{suffix}"'})


EXPORTS = {200: {"description": "the results; with `format` other than json, a file to download",
                 "content": {media.split(";")[0]: {"schema": {"type": "string"}} for _, media in EXPORT_FORMATS.values()}}}


def search_out(results: Results, started: float) -> SearchOut:
    """Return the response model for a page of results."""
    return SearchOut(**results.to_dict(), took_ms=round((time.perf_counter() - started) * 1000, 2))


@router.get("/search", response_model=SearchOut, responses=EXPORTS)
async def search(
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    q: Annotated[str, Query(description="a question in plain words", max_length=100_000)],
    k: Annotated[int, Query(ge=1, description=K_HELP)] = 10,
    offset: Annotated[int, Query(ge=0, description=OFFSET_HELP)] = 0,
    mode: Annotated[str | None, Query(description=MODE_HELP, max_length=20)] = None,
    format: Annotated[ExportFormat, Query(description=FORMAT_HELP)] = "json",
) -> Response:
    """Return the papers that best answer a natural-language query, ranked, with paging (or as a file)."""
    started = time.perf_counter()
    check_page(settings, k, offset)
    query = clean_query(q, settings)
    mode = checked_mode(engine, mode)
    return await quick_read(lambda: answer_as(format, engine.search(query, k, offset, filters, mode), started))


@router.post("/search", response_model=BatchSearchOut)
async def search_batch(engine: EngineDep, settings: SettingsDep, body: BatchSearchModeIn) -> BatchSearchOut:
    """Answer many queries in one call, each as it would be answered alone."""
    started = time.perf_counter()
    check_work(settings, body.queries, body.k, "queries")
    queries = [clean_query(q, settings, f"queries[{i}]") for i, q in enumerate(body.queries)]
    filters = checked_filters(body)
    mode = checked_mode(engine, body.mode)

    def answer() -> list[SearchOut]:
        return [search_out(results, started) for results in engine.search_many(queries, body.k, filters, mode)]

    data = await off_loop(answer)
    return BatchSearchOut(data=data, count=len(data), took_ms=round((time.perf_counter() - started) * 1000, 2))


@router.post("/similar", response_model=SearchOut, responses={**EXPORTS, **error_responses(404)})
async def similar_text(engine: EngineDep, settings: SettingsDep, body: SimilarTextModeIn) -> Response:
    """Return papers related to a pasted abstract, or to a set of papers and texts (less `not_ids`)."""
    started = time.perf_counter()
    check_page(settings, body.k, body.offset)
    if body.text is None and not body.ids and not body.texts:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give text, or ids and/or texts to be like")
    if body.not_ids and not (body.ids or body.texts):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "not_ids needs ids or texts to be like")
    texts = [clean_query(t, settings, f"texts[{i}]") for i, t in enumerate(body.texts)]
    check_work(settings, texts + [body.text or ""], 1, "texts", settings.max_queries, "ABSTRACTS_MAX_QUERIES")
    for name, ids in (("ids", body.ids), ("not_ids", body.not_ids)):
        for i, paper_id in enumerate(ids):
            valid_text(paper_id, f"{name}[{i}]")
    filters = checked_filters(body)
    mode = checked_mode(engine, body.mode)
    text = clean_query(body.text, settings, "text") if body.text is not None else None
    if text is not None and not body.ids and not texts:
        return await quick_read(lambda: answer_as(
            body.format, engine.similar_text(text, body.k, body.offset, filters, mode), started))
    texts += [text] if text is not None else []

    def answer():
        try:
            results = engine.similar(body.ids, body.k, body.offset, filters, mode, not_ids=body.not_ids, texts=texts)
        except UnknownPaperError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        return answer_as(body.format, results, started)

    return await quick_read(answer)
