"""Model configuration, stored as config.json beside the weights."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import UserError

CONFIG_FILE = "config.json"  # in a model directory, beside the weights
MAX_LAYERS = 52  # composite + background + 50 foreground
COMPOSITE, BACKGROUND = 0, 1  # layer positions; foreground k (1-based) sits at position k + 1


@dataclass
class AutoencoderConfig:
    latent_channels: int = 16
    encoder_channels: tuple[int, ...] = (16, 32, 64, 64)
    decoder_width: int = 128
    decoder_depth: int = 2
    decoder_heads: int = 4
    decoder_channels: tuple[int, ...] = (64, 48, 32, 16)  # at the latent grid, then after each x2 upsampling
    # the decoder also reads each layer's glyph (lettering, silhouette, background pattern) at pixel resolution
    decoder_glyph: bool = False


@dataclass
class TransformerConfig:
    width: int = 192
    heads: int = 4
    double_blocks: int = 2
    single_blocks: int = 3
    mlp_ratio: float = 3.0


@dataclass
class TextConfig:
    kind: str = "small"  # "small": our encoder trained with the model; "pretrained": a local HF directory
    path: str = ""  # for "pretrained": a directory holding a transformers encoder and tokenizer
    width: int = 128
    depth: int = 2
    heads: int = 4
    max_tokens: int = 96  # a 6-object caption with quoted words runs to ~80
    vocab: list[str] = field(default_factory=list)


@dataclass
class ModelConfig:
    name: str = "default"
    autoencoder: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    transformer: TransformerConfig = field(default_factory=TransformerConfig)
    text: TextConfig = field(default_factory=TextConfig)
    max_layers: int = MAX_LAYERS
    grid: int = 16  # canvas pixels per transformer token
    latent_factor: int = 8  # image pixels per latent cell
    default_steps: int = 12
    guidance: float = 2.0
    schedule_shift: float = 1.0
    # Training only: std of a per-layer, per-channel constant added to the noise. Plain noise's layer mean
    # (~1/sqrt(cells)) is far below the spread of colours in latent space, so layers start alike; the offset
    # trains the transformer on layers that start apart. Sampling uses plain noise (see layer_noise).
    noise_offset: float = 0.0
    # canvases the model trains on and the app offers
    canvas_presets: list[tuple[int, int]] = field(default_factory=lambda: [(192, 192), (256, 192), (192, 256), (256, 256)])

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        if not isinstance(data, dict):
            raise UserError("model config must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise UserError(f"model config has unknown keys: {', '.join(sorted(unknown))}")
        kwargs = dict(data)
        for key, sub in (("autoencoder", AutoencoderConfig), ("transformer", TransformerConfig), ("text", TextConfig)):
            if key in kwargs:
                sub_known = {f.name for f in fields(sub)}
                bad = set(kwargs[key]) - sub_known
                if bad:
                    raise UserError(f"model config '{key}' has unknown keys: {', '.join(sorted(bad))}")
                kwargs[key] = sub(**kwargs[key])
        if "autoencoder" in kwargs:
            kwargs["autoencoder"].encoder_channels = tuple(kwargs["autoencoder"].encoder_channels)
            kwargs["autoencoder"].decoder_channels = tuple(kwargs["autoencoder"].decoder_channels)
        if "canvas_presets" in kwargs:
            kwargs["canvas_presets"] = [tuple(p) for p in kwargs["canvas_presets"]]
        return cls(**kwargs)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> "ModelConfig":
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise UserError(f"cannot read model config {path}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise UserError(f"model config {path} is not valid JSON: {exc}") from None
        try:
            return cls.from_json(data)
        except TypeError as exc:
            raise UserError(f"model config {path} is malformed: {exc}") from None


def preset(name: str) -> ModelConfig:
    """tiny: random weights for tests; default: the shipped CPU model; large: a GPU configuration."""
    if name == "tiny":
        return ModelConfig(
            name="tiny",
            autoencoder=AutoencoderConfig(latent_channels=4, encoder_channels=(8, 8, 8, 8), decoder_width=32,
                                          decoder_depth=1, decoder_heads=2, decoder_channels=(8, 8, 8, 4),
                                          decoder_glyph=True),
            transformer=TransformerConfig(width=32, heads=2, double_blocks=1, single_blocks=1, mlp_ratio=2.0),
            text=TextConfig(width=32, depth=1, heads=2, max_tokens=16),
            default_steps=2, guidance=1.0, noise_offset=0.5,
        )
    if name == "default":
        return ModelConfig(name="default", autoencoder=AutoencoderConfig(decoder_glyph=True), noise_offset=0.5)
    if name == "large":
        return ModelConfig(
            name="large",
            autoencoder=AutoencoderConfig(latent_channels=16, encoder_channels=(64, 128, 256, 256),
                                          decoder_width=512, decoder_depth=6, decoder_heads=8,
                                          decoder_channels=(256, 128, 64, 32), decoder_glyph=True),
            transformer=TransformerConfig(width=1024, heads=16, double_blocks=12, single_blocks=12, mlp_ratio=4.0),
            text=TextConfig(width=512, depth=6, heads=8, max_tokens=77),
            default_steps=20, guidance=3.0, schedule_shift=3.0, noise_offset=0.5,
            canvas_presets=[(512, 512), (768, 512), (512, 768), (1024, 1024)],
        )
    raise UserError(f"unknown preset '{name}' (tiny, default or large)")
