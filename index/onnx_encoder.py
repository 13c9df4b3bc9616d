"""Sentence embeddings through onnxruntime: the model's own tokenizer, mean pooling and normalization."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from abstract_search.index.onnx_export import INPUTS, ensure_export


class UnsupportedForOnnx(Exception):
    """The model folder is not a mean-pooled transformer this encoder can run."""


def read_pooling(model_dir: Path) -> tuple[int, bool]:
    """Return (max sequence length, normalize) after checking the model uses mean pooling."""
    modules = json.loads((model_dir / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling = next((m for m in modules if m["type"].endswith("Pooling")), None)
    if kinds[:2] != ["Transformer", "Pooling"] or pooling is None:
        raise UnsupportedForOnnx(f"{model_dir} is not a transformer followed by pooling: {kinds}")
    config = json.loads((model_dir / pooling["path"] / "config.json").read_text())
    if not config.get("pooling_mode_mean_tokens") or any(
        config.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    ):
        raise UnsupportedForOnnx(f"{model_dir} does not use plain mean pooling")
    max_length = json.loads((model_dir / "sentence_bert_config.json").read_text()).get("max_seq_length", 512)
    return int(max_length), "Normalize" in kinds


class OnnxEncoder:
    """Runs a mean-pooled sentence-transformers model with onnxruntime on the CPU."""

    def __init__(self, model_dir: Path, quantized: bool = False, threads: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        if not (model_dir / "tokenizer.json").exists():
            raise UnsupportedForOnnx(f"{model_dir} has no tokenizer.json")
        max_length, self.normalize = read_pooling(model_dir)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # Idle worker threads must sleep, not spin: a server shares its cores with FAISS and other requests.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(ensure_export(model_dir, quantized)), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed texts, shortest first for less padding, and return vectors in the input order."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._encode_batch([texts[i] for i in chosen])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.input_names})[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        vectors = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        if self.normalize:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32)


__all__ = ["INPUTS", "OnnxEncoder", "UnsupportedForOnnx"]
