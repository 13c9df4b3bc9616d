"""The one Settings object, read from ABSTRACTS_* environment variables and command-line options."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_index_dir() -> Path:
    """Return the per-user data directory where the default index lives."""
    return Path(platformdirs.user_data_dir("abstract-search")) / "index"


class Settings(BaseSettings):
    """Configuration for every door; each field is also ABSTRACTS_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="ABSTRACTS_", extra="ignore")

    index: Path = Field(default_factory=default_index_dir, description="index directory")
    model: str | None = Field(None, description="sentence-transformers name or path; default: the index's model")
    device: str | None = Field(None, description="cpu, cuda, cuda:1...; default: cuda when available")
    backend: str = Field("auto", description="auto, torch, onnx or onnx-int8; auto: ONNX on CPU, torch fp16 on GPU")
    query_backend: str = Field("auto", description="backend for queries only; auto: onnx-int8 when papers run onnx, else the same")
    threads: int | None = Field(None, ge=1, description="CPU threads per embedding call; default all cores (serve: an equal share per worker)")
    batch_size: int = Field(64, ge=1, le=4096, description="texts per embedding batch")
    commit_every: int = Field(4096, ge=1, description="papers per durable transaction during a build")
    reranker: str | None = Field(None, description="cross-encoder name or path; when set, hybrid+rerank is the default mode")
    index_type: str | None = Field(None, description="flat, hnsw, hnsw-sq8, ivf, ivf-sq8; default: by corpus size")
    mmap: bool = Field(False, description="memory-map the vector file so server workers share one copy")
    capture_year: int | None = Field(None, description="year given to seed-page dates that have none")
    host: str = "127.0.0.1"
    port: int = 8000
    api_token: str | None = Field(None, description="bearer token required by write endpoints")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS; none by default")
    max_body_bytes: int = Field(10_000_000, description="largest accepted request body")
    max_batch: int = Field(1000, description="most papers or texts in one request")
    max_query_chars: int = 4096
    max_k: int = 100
    max_offset: int = 1000
