"""Sentence-transformer embedding in batches, on CPU or GPU, as normalized float32 vectors."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from abstract_search.index.model_source import pick_device, resolve_model

log = logging.getLogger(__name__)
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
# fp32 ONNX ranks exactly like torch (SciFact train nDCG@10 hybrid 0.7524 both). int8 is faster but scored
# 0.7490 (-0.0034): within the 0.005 allowed, yet below the 0.75 relevance goal, so for papers it stays opt-in.
CPU_DEFAULT_BACKEND = "onnx"
# Queries, though, run int8 against the fp32 papers by default: a query's embedding is most of a search's
# time on a CPU, and int8 queries scored hybrid 0.7506 and dense 0.6590 (fp32: 0.7524 and 0.6602).
CPU_QUERY_BACKEND = "onnx-int8"
# lru_cache does not stop concurrent first calls from each loading a copy: 50 requests arriving at a fresh
# server loaded 50 sessions (1.5 GB). One lock makes every thread wait for the first load.
_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def load_model(load_from: str, device: str):
    """Load a SentenceTransformer once per process (fp16 on a GPU)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the weight-loading bar would clutter every command's stderr
    model = SentenceTransformer(load_from, device=device)
    if device.startswith("cuda"):
        model.half()
    return model


@lru_cache(maxsize=4)
def load_onnx(model_dir: str, quantized: bool, threads: int | None = None):
    """Load (exporting once if needed) an ONNX encoder for a model folder, once per process."""
    from abstract_search.index.onnx_encoder import OnnxEncoder

    return OnnxEncoder(Path(model_dir), quantized=quantized, threads=threads)


@lru_cache(maxsize=4)
def word_piece_counter(load_from: str):
    """Return the model folder's fast tokenizer without truncation or padding, or None where it has none."""
    path = Path(load_from) / "tokenizer.json"
    if not path.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def pick_backend(backend: str | None, device: str, load_from: str) -> str:
    """Return the backend to run: torch on a GPU or for hub names, else ONNX on the CPU."""
    backend = backend or "auto"
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "auto":
        local = Path(load_from).is_dir()
        return CPU_DEFAULT_BACKEND if device == "cpu" and local else "torch"
    return backend


class Embedder:
    """Loads one sentence-transformers model and turns texts into unit vectors."""

    def __init__(self, model: str | None = None, device: str | None = None, batch_size: int = 64,
                 backend: str | None = None, threads: int | None = None, query_backend: str | None = None):
        self.source = resolve_model(model)
        self.device = pick_device(device)
        self.batch_size = batch_size
        self.backend = pick_backend(backend, self.device, self.source.load_from)
        self.threads = threads
        self.texts_encoded = 0  # how many whole papers and queries went through the model; tests count re-embedding
        self.passages_encoded = 0  # how many passages did
        self._onnx = None
        # Queries may run on a faster backend than the papers (int8 queries against fp32 papers).
        self.queries = self
        wanted = self.query_backend_for(query_backend)
        if wanted != self.backend:
            self.queries = Embedder(model, device, batch_size, wanted, threads, query_backend=wanted)

    def query_backend_for(self, query_backend: str | None) -> str:
        """Return the backend queries run on: as asked, else int8 when the papers run fp32 ONNX."""
        if query_backend and query_backend != "auto":
            return pick_backend(query_backend, self.device, self.source.load_from)
        return CPU_QUERY_BACKEND if self.backend == CPU_DEFAULT_BACKEND else self.backend

    @property
    def name(self) -> str:
        """Return the model's stable name, as recorded in the index."""
        return self.source.name

    @property
    def model(self):
        """Return the loaded SentenceTransformer (torch backend)."""
        with _LOAD_LOCK:
            return load_model(self.source.load_from, self.device)

    @property
    def onnx(self):
        """Return the ONNX encoder, or None when this model cannot run on ONNX (then torch is used)."""
        if self._onnx is None and self.backend.startswith("onnx"):
            from abstract_search.index.onnx_encoder import UnsupportedForOnnx

            try:
                with _LOAD_LOCK:
                    self._onnx = load_onnx(self.source.load_from, self.backend == "onnx-int8", self.threads)
            except (UnsupportedForOnnx, OSError, RuntimeError, ValueError) as exc:
                log.warning("ONNX backend unavailable for %s (%s); using torch", self.name, exc)
                self.backend = "torch"
        return self._onnx

    @property
    def dimension(self) -> int:
        """Return the vector dimension."""
        if self.onnx is not None:
            return self.onnx.dimension
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed texts in batches and return an (n, dim) float32 array of unit vectors."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batch_size = batch_size or self.batch_size
        if self.onnx is not None:
            vectors = self.onnx.encode(list(texts), batch_size=batch_size)
        else:
            vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        self.texts_encoded += len(texts)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passage texts (index/passages.py) as `encode` does, counted apart from whole papers."""
        vectors = self.encode(texts)
        self.texts_encoded -= len(texts)
        self.passages_encoded += len(texts)
        return vectors

    def piece_counts(self, texts: Sequence[str]) -> list[int]:
        """Return how many word pieces the model's tokenizer makes of each text, special tokens aside."""
        if not texts:
            return []
        counter = word_piece_counter(self.source.load_from)
        if counter is not None:  # the fast tokenizer alone: no torch model loaded for counting
            return [len(e.ids) for e in counter.encode_batch(list(texts), add_special_tokens=False)]
        return [len(ids) for ids in self.model.tokenizer(list(texts), add_special_tokens=False,
                                                         verbose=False)["input_ids"]]

    def encode_query(self, query: str) -> np.ndarray:
        """Embed one query as a (1, dim) array, with the query backend."""
        return self.queries.encode([query], batch_size=1)

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Embed several queries with the query backend, each exactly as it would be embedded alone."""
        if self.queries.backend == "onnx-int8" and len(queries) > 1:
            # int8 quantizes activations with one scale per batch, so a batched query would depend on the others
            return np.vstack([self.queries.encode([query], batch_size=1) for query in queries])
        return self.queries.encode(queries)
