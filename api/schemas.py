"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class HitOut(BaseModel):
    """One ranked paper."""

    id: str
    title: str
    authors: list[str]
    year: int | None
    categories: list[str]
    url: str | None = Field(None, description="where to open the paper: its own link, DOI or arXiv page, if known")
    score: float = Field(description="the mode's ranking score, comparable within one answer only (README: "
                                      "Scores and match levels)")
    match: Literal["strong", "partial", "weak"] = Field(
        description="how well the paper matches: strong, partial or weak (calibrated; README: Scores and match levels)")
    cosine: float = Field(description="the dense cosine of the query (or the set asked about) and the paper")
    snippet: str
    highlights: list[list[int]] = Field(description="[start, end) spans of query words in the snippet")


class SearchOut(BaseModel):
    """A page of results for one query."""

    query: str
    total: int = Field(description="papers that pass the filters (all of them are ranked; not all are matches)")
    note: str | None = Field(None, description="why there are no results, when the filters let no paper through")
    caution: str | None = Field(None, description="on a first page none of whose hits is a strong match: says so")
    offset: int = 0
    more: bool = Field(False, description="whether a next page is worth asking for: one exists within "
                                          "ABSTRACTS_MAX_OFFSET, and this page still held a strong or partial match")
    results: list[HitOut]
    took_ms: float


class FiltersIn(BaseModel):
    """The metadata filters, the same in a query string and in a JSON body."""

    year_min: int | None = Field(None, ge=0, le=3000, description="only papers from this year on")
    year_max: int | None = Field(None, ge=0, le=3000, description="only papers up to this year")
    author: str | None = Field(None, max_length=200, description="only papers by an author matching this name "
                                                                  "(its parts, e.g. Weston or J. Weston)")
    author_exact: bool = Field(False, description="match the author's whole name exactly (case aside)")
    category: str | None = Field(None, max_length=50, description="only papers in this category")


class BatchSearchIn(FiltersIn):
    """Many queries answered in one call."""

    queries: list[str] = Field(min_length=1)
    k: int = Field(10, ge=1, description="papers per query, at most ABSTRACTS_MAX_K (100)")


class BatchSearchOut(BaseModel):
    """Results for each query, in order."""

    data: list[SearchOut]
    count: int
    took_ms: float


ExportFormat = Literal["json", "jsonl", "csv", "bibtex", "ris"]
FORMAT_HELP = "json (the default: this answer), or a file to download: jsonl, csv, bibtex or ris"


class SimilarTextIn(FiltersIn):
    """What to find related papers for: a pasted abstract, or a set of papers and texts (less `not_ids`)."""

    text: str | None = Field(None, min_length=1, description="a pasted abstract")
    ids: list[str] = Field(default_factory=list, max_length=100, description="papers in the index to be like")
    texts: list[str] = Field(default_factory=list, max_length=100, description="more pasted abstracts to be like")
    not_ids: list[str] = Field(default_factory=list, max_length=100,
                               description="papers whose like is less wanted; left out of the results too")
    k: int = Field(10, ge=1, description="papers per page, at most ABSTRACTS_MAX_K (100)")
    offset: int = Field(0, ge=0, description="results to skip, at most ABSTRACTS_MAX_OFFSET (1000)")
    format: ExportFormat = Field("json", description=FORMAT_HELP)


class PaperOut(BaseModel):
    """A whole paper record."""

    id: str
    title: str
    abstract: str
    authors: list[str]
    affiliations: list[str]
    date: str | None
    year: int | None
    categories: list[str]
    has_code: bool
    source: str
    url: str | None = Field(None, description="where to open the paper: its own link, DOI or arXiv page, if known")


class PapersIn(BaseModel):
    """A batch of paper records to add or update; each is checked on its own."""

    # Items are taken as any JSON value, so one that is not an object is rejected alone, not the batch.
    papers: list[Any] = Field(min_length=1, json_schema_extra={"items": {
        "type": "object", "description": "a paper: abstract (required), id, title, authors, affiliations, date, "
                                         "year, categories, has_code; unknown keys are ignored"}})


class ItemResult(BaseModel):
    """What happened to one submitted paper."""

    index: int = Field(description="position of the record in the batch or file (line number for files)")
    id: str | None
    status: Literal["added", "updated", "unchanged", "rejected"]
    reason: str | None = None


class PapersOut(BaseModel):
    """What happened to each submitted paper."""

    data: list[ItemResult]
    count: int
    added: int
    updated: int
    unchanged: int
    rejected: int


class DeleteOut(BaseModel):
    """A deleted paper."""

    id: str
    deleted: bool


class EmbedIn(BaseModel):
    """Texts to embed with the index's model."""

    texts: list[str] = Field(min_length=1)


class EmbedOut(BaseModel):
    """Unit vectors, one per text."""

    model: str
    dimension: int
    data: list[list[float]]
    count: int


class HealthOut(BaseModel):
    """Liveness."""

    status: Literal["ok"]
    papers: int
    read_only: bool


class CategoryOut(BaseModel):
    """One category of the index and how many papers have it."""

    category: str
    papers: int


class StatsOut(BaseModel):
    """What the index holds and how it was built."""

    count: int
    model: str | None
    dimension: int | None
    index_type: str
    generation: int
    created_at: str | None
    built_at: str | None
    updated_at: str | None
    modes: list[str] = Field(description="the retrieval modes this server can run")
    categories: list[CategoryOut] = Field(description="the index's categories, most papers first (500 at most)")
    read_only: bool
    shards: int | None = Field(None, description="how many shard indexes answer together (a cluster); none for one index")


class FieldErrorOut(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="dotted path of the field, e.g. query.k or papers.0.title")
    message: str


class ErrorOut(BaseModel):
    """Every error answer: a message in plain words; validation errors also list each bad field."""

    detail: str
    errors: list[FieldErrorOut] | None = Field(None, description="present on request validation errors")


ERROR_DESCRIPTIONS = {
    401: "write without a valid bearer token",
    404: "no paper with this id",
    403: "the server is read-only for this connection, or the write came from a page of another site",
    413: "request body over the size limit, or more work than one request may ask for (the message names the limit)",
    415: "a body of a content type the route does not read",
    422: "invalid request: a message naming the field",
    503: "the index cannot be used now (store locked, read-only or full disk); the message names the file and the fix",
}


def error_responses(*codes: int) -> dict[int, dict]:
    """Return OpenAPI `responses` entries for these error codes, all answered with ErrorOut."""
    return {code: {"model": ErrorOut, "description": ERROR_DESCRIPTIONS[code]} for code in codes}


# Answered by uvicorn's HTTP parser (httptools) before the app sees the request, as plain text.
PARSER_REJECTION = {400: {"description": "the request line or headers are over the HTTP parser's 64 KiB limit, "
                                         "or the Host header names no host this server serves",
                          "content": {"text/plain": {"schema": {"type": "string"}}}}}
