"""Paper routes: read one, related papers, add or update a batch, delete."""

from __future__ import annotations

import json
import tempfile
from itertools import islice
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from abstract_search.api.deps import (
    EngineDep,
    FiltersDep,
    SettingsDep,
    WriterDep,
    check_page,
    off_loop,
    quick_read,
    require_content_type,
)
from abstract_search.api.paper_ids import path_id
from abstract_search.api.routes.search import K_HELP, MODE_HELP, OFFSET_HELP, as_json, checked_mode, search_out
from abstract_search.api.schemas import (
    DeleteOut,
    ItemResult,
    PaperOut,
    PapersIn,
    PapersOut,
    SearchOut,
    error_responses,
)
from abstract_search.data.corpus import read_corpus
from abstract_search.data.errors import CorpusError
from abstract_search.data.paper import Paper, Rejected
from abstract_search.data.readers.json_records import papers_from_dicts
from abstract_search.search.searcher import UnknownPaperError

router = APIRouter(prefix="/papers", tags=["papers"])
UPLOAD_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".gz"}

PAPERS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PapersIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "a JSONL or CSV file"},
                        "format": {"type": "string", "description": "force a format: jsonl, csv, beir, arxiv"},
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


def not_found(paper_id: str) -> HTTPException:
    """Return the 404 for an unknown id."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no paper with id {paper_id!r}")


async def records_from_upload(upload: UploadFile, fmt: str | None, max_bytes: int,
                              max_records: int) -> list[Paper | Rejected]:
    """Read an uploaded corpus file with the same readers the command line uses, off the event loop.

    At most `max_records + 1` records are read, so a small compressed file that unpacks to millions of
    records costs no more than one batch over the limit (which the caller then refuses).
    """
    # The client's file name only hints at the format: it never becomes part of a path.
    suffixes = [s for s in Path(upload.filename or "").suffixes if s.lower() in UPLOAD_SUFFIXES][-2:]
    name = "upload" + ("".join(suffixes).lower() if suffixes and suffixes[0].lower() != ".gz" else ".jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(await upload.read(max_bytes + 1))
        try:
            return await off_loop(lambda: list(islice(read_corpus(path, fmt or None), max_records + 1)))
        except CorpusError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"file: {exc}") from None


async def parse_papers_body(request: Request, settings) -> list[Paper | Rejected]:
    """Return the submitted records from a JSON body or an uploaded file."""
    require_content_type(request, "application/json", "multipart/form-data")
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "file: upload a JSONL or CSV file in field 'file'")
        fmt = form.get("format")
        return await records_from_upload(upload, fmt if isinstance(fmt, str) else None, settings.max_body_bytes,
                                         settings.max_batch)
    # One route takes JSON or a file, so the JSON body is validated here, by its model, not by FastAPI;
    # each paper is then checked on its own, so the good ones go in beside the bad. Python's parser reads
    # the body: pydantic's refuses a whole body for one lone surrogate that only its paper should lose.
    try:
        raw = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "body is nested too deeply to be papers") from None
    try:
        body = PapersIn.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    return papers_from_dicts(body.papers, "api")


@router.post("", response_model=PapersOut, dependencies=[WriterDep], openapi_extra=PAPERS_BODY,
             responses=error_responses(401, 403, 415))
async def add_papers(request: Request, engine: EngineDep, settings: SettingsDep) -> PapersOut:
    """Add or update a batch of papers, embedded as one batch and durable once answered."""
    records = await parse_papers_body(request, settings)
    if len(records) > settings.max_batch:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"{len(records)} papers; at most {settings.max_batch} per request"
        )
    papers = [r for r in records if isinstance(r, Paper)]
    report = await off_loop(lambda: engine.add(papers)) if papers else None
    status_of = {}
    if report:
        status_of.update({pid: "added" for pid in report.added})
        status_of.update({pid: "updated" for pid in report.updated})
        status_of.update({pid: "unchanged" for pid in report.unchanged})
    items = []
    for position, record in enumerate(records):
        if isinstance(record, Rejected):
            index = record.line if record.source != "request" else position
            items.append(ItemResult(index=index, id=None, status="rejected", reason=record.reason))
        else:
            items.append(ItemResult(index=position, id=record.id, status=status_of[record.id]))
    counts = {s: sum(1 for i in items if i.status == s) for s in ("added", "updated", "unchanged", "rejected")}
    return PapersOut(data=items, count=len(items), **counts)


@router.get("/{paper_id:path}/similar", response_model=SearchOut, responses=error_responses(404))
async def similar(
    paper_id: str,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    k: Annotated[int, Query(ge=1, description=K_HELP)] = 10,
    offset: Annotated[int, Query(ge=0, description=OFFSET_HELP)] = 0,
    mode: Annotated[str | None, Query(description=MODE_HELP, max_length=20)] = None,
) -> Response:
    """Return papers related to one in the index, not itself (a "/" in the id may be sent as %2F)."""
    paper_id = path_id(paper_id)
    check_page(settings, k, offset)
    started = time.perf_counter()
    mode = checked_mode(engine, mode)
    try:
        return await quick_read(
            lambda: as_json(search_out(engine.similar(paper_id, k, offset, filters, mode), started)))
    except UnknownPaperError:
        raise not_found(paper_id) from None


@router.get("/{paper_id:path}", response_model=PaperOut, responses=error_responses(404))
async def get_paper(paper_id: str, engine: EngineDep) -> PaperOut:
    """Return one whole paper record (a "/" in the id may be sent as %2F)."""
    paper_id = path_id(paper_id)
    paper = await quick_read(lambda: engine.get(paper_id))
    if paper is None:
        raise not_found(paper_id)
    return PaperOut(**paper.to_dict())


@router.delete("/{paper_id:path}", response_model=DeleteOut, dependencies=[WriterDep],
               responses=error_responses(401, 403, 404))
def delete_paper(paper_id: str, engine: EngineDep) -> DeleteOut:
    """Delete one paper; it is gone from search once answered (a "/" in the id may be sent as %2F)."""
    paper_id = path_id(paper_id)
    deleted, _ = engine.delete([paper_id])
    if not deleted:
        raise not_found(paper_id)
    return DeleteOut(id=paper_id, deleted=True)
