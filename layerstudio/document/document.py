"""Layers and documents. Python, numpy and Pillow (resampling): no Qt, no torch."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from .layout import Box, Layout, LayoutError, check_box, check_canvas


@dataclass(frozen=True)
class Provenance:
    """Where a layer's pixels came from."""

    model_id: str = ""
    prompt: str = ""
    seed: int = 0
    steps: int = 0
    phrase: str = ""  # the part of the prompt this layer was drawn from (the planner's pick), if any
    hint: str = ""  # the layer's hint it was drawn with, if any (its name follows both)

    def to_json(self) -> dict:
        return {"model_id": self.model_id, "prompt": self.prompt, "seed": self.seed, "steps": self.steps,
                "phrase": self.phrase, "hint": self.hint}

    @classmethod
    def from_json(cls, data: dict | None) -> "Provenance | None":
        if not data:
            return None
        return cls(str(data.get("model_id", "")), str(data.get("prompt", "")),
                   int(data.get("seed", 0)), int(data.get("steps", 0)), str(data.get("phrase", "")),
                   str(data.get("hint", "")))


@dataclass
class Variation:
    """An earlier result of one layer, kept so the user can flip back to it."""

    pixels: np.ndarray
    seed: int = 0
    hint: str = ""
    provenance: Provenance | None = None
    # the pixels these were resampled from when the box was resized (kept in memory, not saved): resized again, or
    # back to that size, the result comes from them, not from a copy already resampled
    original: np.ndarray | None = field(default=None, repr=False, compare=False)


def empty_pixels(box: Box) -> np.ndarray:
    return np.zeros((box.height, box.width, 4), np.uint8)


@dataclass
class Layer:
    """One RGBA layer; `pixels` is (box.height, box.width, 4) uint8, straight (unpremultiplied) alpha."""

    box: Box
    pixels: np.ndarray | None = None
    name: str = "Layer"
    visible: bool = True
    opacity: float = 1.0
    locked: bool = False
    seed: int = 0
    hint: str = ""
    provenance: Provenance | None = None
    variations: list[Variation] = field(default_factory=list)  # earlier results on this same box
    shown_at: int | None = None  # where the result in use stands among them, as the strip shows it (None: last)
    # the pixels resampled into these when the box was resized (in memory, not saved; checked, since other changes
    # carry it along): shrinking and growing back gave a blocky copy with grey fringes (review 31b)
    original: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.box = Box.of(self.box)
        if self.pixels is None:
            self.pixels = empty_pixels(self.box)
        pixels = np.asarray(self.pixels)
        if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
            raise LayoutError(f"layer “{self.name}”: pixels must be H x W x 4 uint8, got {pixels.shape} {pixels.dtype}")
        if pixels.shape[:2] != (self.box.height, self.box.width):
            raise LayoutError(
                f"layer “{self.name}”: pixels are {pixels.shape[1]} x {pixels.shape[0]} "
                f"but its box {self.box} is {self.box.width} x {self.box.height}"
            )
        self.pixels = pixels
        self.opacity = float(min(1.0, max(0.0, self.opacity)))

    @property
    def is_empty(self) -> bool:
        return not self.pixels[..., 3].any()

    @property
    def place_in_strip(self) -> int:
        """Where the result in use stands among the variations: they come before it up to here."""
        return len(self.variations) if self.shown_at is None else max(0, min(self.shown_at, len(self.variations)))

    def copy(self) -> "Layer":
        # Variation pixels are never mutated in place, so sharing them is safe.
        return replace(self, pixels=self.pixels.copy(), variations=list(self.variations))

    def with_pixels(self, pixels: np.ndarray, **changes) -> "Layer":
        return replace(self, pixels=pixels, **changes)

    def moved_to(self, box: Box) -> "Layer":
        """The layer with a new box. Same size: pixels move along; new size: pixels and the earlier variations
        resample smoothly from the pixels they were first resampled from, so every image of the layer keeps
        matching its box and a resize undone by another loses nothing."""
        box = Box.of(box)
        if (box.width, box.height) == (self.box.width, self.box.height):
            return replace(self, box=box, pixels=self.pixels.copy(), variations=list(self.variations))
        size = (box.width, box.height)
        source = self.original if resampled_from(self.original, self.pixels) else self.pixels
        variations = []
        for v in self.variations:  # never changed in place: their original stays theirs
            first = v.original if v.original is not None else v.pixels
            variations.append(replace(v, pixels=resampled(first, *size), original=first))
        return replace(self, box=box, pixels=resampled(source, *size), original=source, variations=variations)


def resampled(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """RGBA `pixels` resized to width x height: bicubic on premultiplied colour (no dark fringe where alpha falls);
    a copy where the size is already that."""
    h, w = pixels.shape[:2]
    if (w, h) == (width, height):
        return pixels.copy()
    if h == 0 or w == 0:
        return np.zeros((height, width, 4), np.uint8)
    image = Image.fromarray(np.ascontiguousarray(pixels), "RGBA").convert("RGBa")
    return np.asarray(image.resize((width, height), Image.BICUBIC).convert("RGBA")).copy()


def resampled_from(original: np.ndarray | None, pixels: np.ndarray) -> bool:
    """Whether `pixels` are `original` resampled to their size (and not since changed)."""
    return original is not None and np.array_equal(resampled(original, pixels.shape[1], pixels.shape[0]), pixels)


def blend_over(dst: np.ndarray, src: np.ndarray, opacity: float = 1.0) -> None:
    """Straight-alpha 'over' of src onto dst, both float32 H x W x 4 in 0..1, in place."""
    sa = src[..., 3:4] * opacity
    da = dst[..., 3:4]
    out_a = sa + da * (1.0 - sa)
    safe = np.where(out_a > 0, out_a, 1.0)
    dst[..., :3] = (src[..., :3] * sa + dst[..., :3] * da * (1.0 - sa)) / safe
    dst[..., 3:4] = out_a


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


@dataclass
class Document:
    """A canvas and its layers bottom to top; layers[0] is the background (whole canvas)."""

    width: int
    height: int
    prompt: str = ""
    layers: list[Layer] = field(default_factory=list)
    model_id: str = ""

    def __post_init__(self) -> None:
        check_canvas(self.width, self.height)

    @property
    def canvas_box(self) -> Box:
        return Box(0, 0, self.width, self.height)

    @classmethod
    def from_layout(cls, layout: Layout) -> "Document":
        """A document of empty layers waiting for content: background + one per snapped box."""
        layout.validate()
        canvas = Box(0, 0, layout.width, layout.height)
        layers = [Layer(canvas, name="Background", seed=layout.seed)]
        for i, box in enumerate(layout.boxes):
            layers.append(Layer(box.snapped(), name=f"Layer {i + 1}", seed=layout.seed + i + 1))
        return cls(layout.width, layout.height, layout.prompt, layers)

    def layout(self) -> Layout:
        seed = self.layers[0].seed if self.layers else 0
        return Layout(self.width, self.height, self.prompt, [l.box for l in self.layers[1:]], seed)

    def copy(self) -> "Document":
        return Document(self.width, self.height, self.prompt, [l.copy() for l in self.layers], self.model_id)

    # -- editing
    def _check_index(self, index: int, allow_end: bool = False) -> None:
        top = len(self.layers) + (1 if allow_end else 0)
        if not 0 <= index < top:
            raise IndexError(f"layer index {index} out of range 0..{top - 1}")

    def add_layer(self, layer: Layer, index: int | None = None) -> int:
        check_box(layer.box, self.width, self.height, f"layer “{layer.name}” box")
        index = len(self.layers) if index is None else index
        self._check_index(index, allow_end=True)
        self.layers.insert(index, layer)
        return index

    def remove_layer(self, index: int) -> Layer:
        self._check_index(index)
        return self.layers.pop(index)

    def move_layer(self, index: int, new_index: int) -> None:
        self._check_index(index)
        self._check_index(new_index)
        self.layers.insert(new_index, self.layers.pop(index))

    def replace_layer(self, index: int, layer: Layer) -> Layer:
        self._check_index(index)
        check_box(layer.box, self.width, self.height, f"layer “{layer.name}” box")
        old, self.layers[index] = self.layers[index], layer
        return old

    # -- rendering
    def compose(self, layers: list[Layer] | None = None) -> np.ndarray:
        """RGBA uint8 canvas of the visible layers, bottom to top, with opacity (straight alpha, over)."""
        canvas = np.zeros((self.height, self.width, 4), np.float32)
        for layer in self.layers if layers is None else layers:
            if not layer.visible or layer.opacity <= 0:
                continue
            part = layer.box.intersection(self.canvas_box)
            if part is None:
                continue
            src = layer.pixels[part.y0 - layer.box.y0: part.y1 - layer.box.y0,
                               part.x0 - layer.box.x0: part.x1 - layer.box.x0].astype(np.float32) / 255.0
            blend_over(canvas[part.y0:part.y1, part.x0:part.x1], src, layer.opacity)
        return to_uint8(canvas)

    def layer_on_canvas(self, index: int) -> np.ndarray:
        """One layer as a full-canvas RGBA image (overflow cut off)."""
        layer = self.layers[index]
        out = np.zeros((self.height, self.width, 4), np.uint8)
        part = layer.box.intersection(self.canvas_box)
        if part is not None:
            out[part.y0:part.y1, part.x0:part.x1] = layer.pixels[
                part.y0 - layer.box.y0: part.y1 - layer.box.y0, part.x0 - layer.box.x0: part.x1 - layer.box.x0]
        return out

