"""Model configuration, stored as config.json beside the weights."""
from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..document.layout import GRID, MAX_CANVAS_SIDE, MAX_FOREGROUND_BOXES
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
    # words of the training captions outside `vocab` (a fine-tune on your PSDs: 'headline', 'Rechteck'): learnt
    # letter by letter, so read so when generating too, not left out as words the model never saw
    spelled: list[str] = field(default_factory=list)


@dataclass
class ModelConfig:
    name: str = "default"
    autoencoder: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    transformer: TransformerConfig = field(default_factory=TransformerConfig)
    text: TextConfig = field(default_factory=TextConfig)
    max_layers: int = MAX_LAYERS
    grid: int = 16  # canvas pixels per transformer token
    latent_factor: int = 8  # image pixels per latent cell: grid / 2 (a token is 2 x 2 cells), so 8 (see problem())
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
    def from_json(cls, data: dict, source: str = "model config") -> "ModelConfig":
        """The config `data` describes; UserError naming `source`, the field and what it must be when a value has
        the wrong type or one the architecture cannot build. Keys left out keep their defaults (configs saved
        before a field existed load as they did); unknown keys are errors."""
        cfg = _from_json(cls, data, source, "")
        problem = cfg.problem()
        if problem:
            raise UserError(f"{source}: {problem}")
        return cfg

    def problem(self) -> str:
        """What in this config the architecture cannot build ("" if nothing): values, not types."""
        for where, value, low, high in _bounds(self):
            if not low <= value <= high:
                return f"'{where}' is {_show(value)}, expected {_range(low, high)}"
        ae, tr, tx = self.autoencoder, self.transformer, self.text
        # A transformer token is 2 x 2 latent cells of one GRID x GRID canvas cell, and the encoder and decoder
        # halve / double the resolution between consecutive channel counts: 8 px a latent cell, four counts each.
        if self.grid != GRID:
            return f"'grid' is {_show(self.grid)}, expected {GRID} (the canvas grid boxes snap to)"
        if self.latent_factor != GRID // 2:
            return (f"'latent_factor' is {_show(self.latent_factor)}, expected {GRID // 2} (a {GRID} px token is "
                    f"2 x 2 latent cells)")
        stages = int(math.log2(GRID // 2)) + 1
        for name in ("encoder_channels", "decoder_channels"):
            if len(getattr(ae, name)) != stages:
                return (f"'autoencoder.{name}' has {len(getattr(ae, name))} entries, expected {stages} (one per "
                        f"resolution from the pixels to the latent grid, {GRID // 2}x apart)")
        # rotary position embeddings rotate pairs of each head's dimensions
        for where, width, heads in (("transformer", tr.width, tr.heads),
                                    ("autoencoder", ae.decoder_width, ae.decoder_heads)):
            wname, hname = ("width", "heads") if where == "transformer" else ("decoder_width", "decoder_heads")
            if width % heads or (width // heads) % 2:
                return (f"'{where}.{wname}' {width} and '{where}.{hname}' {heads}: expected a width that is the "
                        f"heads times an even number (each head's size even)")
        if tx.width % tx.heads:
            return f"'text.width' {tx.width} and 'text.heads' {tx.heads}: expected a width that is a multiple of the heads"
        if tx.kind not in ("small", "pretrained"):
            return f"'text.kind' is {_show(tx.kind)}, expected \"small\" or \"pretrained\""
        if tx.kind == "pretrained" and not tx.path:
            return "'text.path' is empty, expected the directory of the pretrained text encoder"
        if not self.canvas_presets:
            return "'canvas_presets' is empty, expected at least one [width, height]"
        for i, size in enumerate(self.canvas_presets):
            for side in size:
                if side <= 0 or side % GRID or side > MAX_CANVAS_SIDE:
                    return (f"'canvas_presets[{i}]' is {_show(list(size))}, expected sides that are positive "
                            f"multiples of {GRID} and at most {MAX_CANVAS_SIDE}")
        return ""

    def save(self, path: str | Path) -> None:
        """Whole or not at all (a full disk must not leave a model folder with half a config)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.to_json(), indent=2))
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> "ModelConfig":
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read model config {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw)  # bytes: UTF-8 (a BOM too), UTF-16 or UTF-32
        except UnicodeDecodeError:
            raise UserError(f"model config {path} is not a JSON text file (not UTF-8)") from None
        except json.JSONDecodeError as exc:
            raise UserError(f"model config {path} is not valid JSON: {exc}") from None
        except RecursionError:
            raise UserError(f"model config {path} is not a model config (JSON nested too deep)") from None
        return cls.from_json(data, f"model config {path}")


# Numbers the architecture can build, by field: (low, high). The highs are far beyond any preset (the large one has
# width 1024); they keep a mistyped value from asking for terabytes while the model is built.
_LIMITS = {
    "autoencoder.latent_channels": (1, 1024), "autoencoder.encoder_channels": (1, 16384),
    "autoencoder.decoder_width": (2, 16384), "autoencoder.decoder_depth": (0, 256),
    "autoencoder.decoder_heads": (1, 1024), "autoencoder.decoder_channels": (1, 16384),
    "transformer.width": (2, 16384), "transformer.heads": (1, 1024), "transformer.double_blocks": (0, 256),
    "transformer.single_blocks": (0, 256), "transformer.mlp_ratio": (1e-3, 64.0),
    "text.width": (1, 16384), "text.depth": (1, 256), "text.heads": (1, 1024), "text.max_tokens": (2, 65536),
    # composite + background + every foreground box a layout may have
    "max_layers": (MAX_FOREGROUND_BOXES + 2, 65536),
    "default_steps": (1, 1000),  # as a request's steps
    "guidance": (0.0, 1e6), "schedule_shift": (1e-6, 1e6), "noise_offset": (0.0, 1e6),
}


def _bounds(cfg: "ModelConfig"):
    """(field, value, low, high) for every number _LIMITS bounds (each entry of a channel list on its own)."""
    for where, (low, high) in _LIMITS.items():
        value = cfg
        for part in where.split("."):
            value = getattr(value, part)
        if isinstance(value, tuple):
            for i, v in enumerate(value):
                yield f"{where}[{i}]", v, low, high
        else:
            yield where, value, low, high


def _range(low, high) -> str:
    kind = "a number" if isinstance(low, float) else "an integer"
    return f"{kind} from {low:g} to {high:g}"


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return text if len(text) <= 60 else text[:57] + "..."


_NOUNS = {bool: ("true or false", "true or false values"), int: ("an integer", "integers"),
          float: ("a number", "numbers"), str: ("a string", "strings")}


def _describe(tp, plural: bool = False) -> str:
    """The JSON a type hint wants, in words ("a list of 2 integers")."""
    if dataclasses.is_dataclass(tp):
        return "objects" if plural else "an object"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (list, tuple):
        count = "" if origin is list or args[1:] == (Ellipsis,) else f"{len(args)} "
        return f"{'lists' if plural else 'a list'} of {count}{_describe(args[0], plural=True)}"
    return _NOUNS[tp][plural] if tp in _NOUNS else str(tp)


def _from_json(tp, value, source: str, where: str):
    """`value` (parsed JSON) as type hint `tp`, checked recursively; UserError naming the field if it is not."""
    def wrong():
        label = f"'{where}'" if where else "the whole config"
        return UserError(f"{source}: {label} is {_show(value)}, expected {_describe(tp)}")

    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise wrong()
        hints = typing.get_type_hints(tp)
        known = [f.name for f in fields(tp)]
        unknown = sorted(set(value) - set(known))
        if unknown:
            names = ", ".join(f"'{where + '.' if where else ''}{k}'" for k in unknown)
            raise UserError(f"{source}: unknown key{'s' if len(unknown) > 1 else ''} {names} (expected keys"
                            f"{' of ' + repr(where) if where else ''}: {', '.join(known)})")
        return tp(**{k: _from_json(hints[k], v, source, f"{where}.{k}" if where else k) for k, v in value.items()})
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):  # JSON has lists; a config's to_json() keeps tuples
            raise wrong()
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                raise wrong()
            return tuple(_from_json(a, v, source, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
        items = [_from_json(args[0], v, source, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if tp is bool:
        if not isinstance(value, bool):
            raise wrong()
        return value
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise wrong()
        return value
    if tp is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise wrong()
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise wrong()
        return value
    raise TypeError(f"config field type {tp} is not handled")  # a new kind of field: teach _from_json


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
