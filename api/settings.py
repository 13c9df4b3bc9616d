"""The one Settings object, read from ABSTRACTS_* environment variables and command-line options."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_index_dir() -> Path:
    """Return the per-user data directory where the default index lives."""
    return Path(platformdirs.user_data_dir("abstract-search")) / "index"


Backend = Literal["auto", "torch", "onnx", "onnx-int8"]  # index/embedder.py BACKENDS
IndexType = Literal["flat", "hnsw", "hnsw-sq8", "ivf", "ivf-sq8"]  # index/vector_index.py INDEX_TYPES


class Settings(BaseSettings):
    """Configuration for every door; each field is also ABSTRACTS_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="ABSTRACTS_", extra="ignore")

    index: Path = Field(default_factory=default_index_dir, description="index directory")
    model: str | None = Field(None, description="sentence-transformers name or path; default: the index's model")
    device: str | None = Field(None, description="cpu, cuda, cuda:1...; default: cuda when available")
    backend: Backend = Field("auto", description="auto, torch, onnx or onnx-int8; auto: ONNX on CPU, torch fp16 on GPU")
    query_backend: Backend = Field("auto", description="backend for queries only; auto: onnx-int8 when papers run onnx, else the same")
    threads: int | None = Field(None, ge=1, description="CPU threads per embedding call; default all cores (serve: an equal share per worker)")
    batch_size: int = Field(64, ge=1, le=4096, description="texts per embedding batch")
    commit_every: int = Field(4096, ge=1, description="papers per durable transaction during a build")
    reranker: str | None = Field(None, description="cross-encoder name or path; when set, hybrid+rerank is the default mode")
    index_type: IndexType | None = Field(None, description="flat, hnsw, hnsw-sq8, ivf, ivf-sq8; default: by corpus size")
    passages: bool = Field(True, description="a new index also keeps a vector per passage of each abstract, so the tail of a long abstract counts (about 3x the embedding time); an existing index keeps what it has until `abstracts reindex --passages`")
    mmap: bool = Field(False, description="memory-map the vector file so server workers share one copy")
    write_niceness: int = Field(10, ge=0, le=19, description="how far below normal CPU priority writes are embedded, so searches keep the cores (0: not lowered)")
    read_only: bool = Field(False, description="serve and search only, refusing writes; also when the index files refuse writes")
    capture_year: int | None = Field(None, description="year given to seed-page dates that have none")
    host: str = "127.0.0.1"
    port: int = 8000
    api_token: str | None = Field(None, description="bearer token required by write endpoints")
    api_token_file: Path | None = Field(None, description="file whose first line is the bearer token (kept out of `ps`)")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS; none by default")
    allowed_hosts: list[str] | None = Field(
        None, description="Host header values served; default: loopback names on a loopback server, any elsewhere")
    max_body_bytes: int = Field(10_000_000, description="largest accepted request body")
    max_batch: int = Field(1000, description="most papers or texts in one request")
    max_queries: int = Field(100, ge=1, description="most queries in one POST /search")
    max_request_chars: int = Field(200_000, ge=1, description="most characters one request may ask to embed, all texts together")
    max_results: int = Field(2000, ge=1, description="most results one request may ask for: k times the number of queries")
    max_query_chars: int = 4096
    max_k: int = Field(100, ge=1, description="most papers per page (k)")
    max_offset: int = Field(1000, ge=0, description="most results a page may skip (offset)")
    header_timeout: float = Field(10.0, gt=0, description="seconds a client has to send a request's headers")
    request_timeout: float = Field(60.0, gt=0, description="seconds a client has to send a whole request, body included")
    max_connections: int = Field(2048, ge=1, description="open connections per server process; more are answered 503")
    max_client_connections: int = Field(256, ge=1, description="open connections from one client address; more are closed")

    @model_validator(mode="after")
    def _read_token_file(self) -> "Settings":
        """Take the token from `api_token_file` when one is named (a token given directly wins)."""
        if self.api_token_file is not None and not self.api_token:
            try:
                lines = self.api_token_file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"cannot read the token file {self.api_token_file}: {exc}") from None
            token = lines[0].strip() if lines else ""
            if not token:
                raise ValueError(f"the token file {self.api_token_file} is empty")
            self.api_token = token
        return self
