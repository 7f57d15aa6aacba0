"""The whole model: text encoder, layer autoencoder and layer transformer, saved as one safetensors file."""
from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from ..errors import UserError
from .autoencoder import LayerAutoencoder
from .config import CONFIG_FILE, ModelConfig
from .planner import Planner
from .text import build_text_encoder
from .transformer import LayerTransformer
from .weights import load_weights, save_weights

WEIGHTS_FILE = "model.safetensors"


class LayerModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.text = build_text_encoder(cfg.text)
        self.autoencoder = LayerAutoencoder(cfg)
        self.transformer = LayerTransformer(cfg, self.text.width)
        # None in models saved before the planner existed (or before it was trained): layers stay anonymous.
        self.planner: Planner | None = Planner(cfg.text)

    def save(self, directory: str | Path, dtype: torch.dtype | None = None) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.cfg.save(directory / CONFIG_FILE)
        save_weights(self, directory / WEIGHTS_FILE, dtype=dtype, metadata={"name": self.cfg.name})

    @classmethod
    def load(cls, directory: str | Path) -> tuple["LayerModel", str]:
        """-> (model on CPU in fp32, model id). Errors name the file and the problem."""
        directory = Path(directory)
        if not directory.is_dir():
            raise UserError(f"model directory {directory} " + ("is not a directory (give the folder holding "
                            "config.json and the weights)" if directory.exists() else "does not exist"))
        cfg = ModelConfig.load(directory / CONFIG_FILE)
        model = cls(cfg)
        names = weight_names(directory / WEIGHTS_FILE)
        if names is not None:
            if not any(k.startswith("planner.") for k in names):
                model.planner = None
            elif "planner.word_start" not in names:
                model.planner.word_start = None
            if "transformer.glyph_in.weight" not in names:
                model.transformer.glyph_in = None
        load_weights(model, directory / WEIGHTS_FILE)
        return model.eval(), model_id(directory)


def weight_names(weights: Path) -> set[str] | None:
    """The tensor names in a weights file (parts a model was saved without are left out), None if unreadable."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="pt") as f:
            return set(f.keys())
    except (SafetensorError, OSError):
        return None  # load_weights names the problem


def model_id(directory: Path) -> str:
    """name-hash: identifies the exact weights a layer came from (provenance)."""
    cfg_name = ModelConfig.load(directory / CONFIG_FILE).name
    digest = hashlib.sha256()
    with open(directory / WEIGHTS_FILE, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return f"{cfg_name}-{digest.hexdigest()[:10]}"
