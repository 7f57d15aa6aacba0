"""Boxes and layouts in canvas pixels. Pure Python: no Qt, no torch."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

GRID = 16  # one transformer token covers GRID x GRID canvas pixels
MAX_CANVAS_SIDE = 4096
MAX_BOX_SIDE = 30_000  # the PSD format's largest layer
MAX_FOREGROUND_BOXES = 50
# The user's seed; box k takes seed + k, which must still fit a project's int64 and the app's seed box.
MAX_SEED = 2**31 - 1


class LayoutError(ValueError):
    """A layout the engine cannot take; the message names the box and the problem."""


@dataclass(frozen=True)
class Box:
    """A rectangle in canvas pixels, end-exclusive: (x0, y0) inclusive, (x1, y1) exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def of(cls, value) -> "Box":
        if isinstance(value, Box):
            return value
        try:
            x0, y0, x1, y1 = (int(round(float(v))) for v in value)
        except (TypeError, ValueError):
            raise LayoutError(f"box {value!r} is not four numbers x0, y0, x1, y1") from None
        return cls(x0, y0, x1, y1)

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def snapped(self, grid: int = GRID) -> "Box":
        """Outward to the grid: floor the start, ceil the end."""
        return Box(
            math.floor(self.x0 / grid) * grid,
            math.floor(self.y0 / grid) * grid,
            math.ceil(self.x1 / grid) * grid,
            math.ceil(self.y1 / grid) * grid,
        )

    def translated(self, dx: int, dy: int) -> "Box":
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    def intersection(self, other: "Box") -> "Box | None":
        x0, y0 = max(self.x0, other.x0), max(self.y0, other.y0)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        if x1 <= x0 or y1 <= y0:
            return None
        return Box(x0, y0, x1, y1)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)

    def __str__(self) -> str:
        return f"({self.x0}, {self.y0}, {self.x1}, {self.y1})"


def check_canvas(width: int, height: int) -> None:
    for side_name, side in (("width", width), ("height", height)):
        if side <= 0 or side % GRID or side > MAX_CANVAS_SIDE:
            raise LayoutError(
                f"canvas {side_name} {side} must be a positive multiple of {GRID} "
                f"and at most {MAX_CANVAS_SIDE}"
            )


def check_box(box: Box, width: int, height: int, label: str) -> None:
    if box.width <= 0 or box.height <= 0:
        raise LayoutError(f"{label} {box} has zero or negative area ({box.width} x {box.height} px)")
    if box.intersection(Box(0, 0, width, height)) is None:
        raise LayoutError(f"{label} {box} lies entirely outside the {width} x {height} canvas")
    if max(box.width, box.height) > MAX_BOX_SIDE:  # a 1e11 px box asked for terabytes
        raise LayoutError(f"{label} {box} is {box.width} x {box.height} px: a layer's side is at most "
                          f"{MAX_BOX_SIDE} px (what a PSD can hold)")


@dataclass
class Layout:
    """What the user asks for: a canvas, one prompt and anonymous foreground boxes, bottom to top."""

    width: int
    height: int
    prompt: str = ""
    boxes: list[Box] = field(default_factory=list)
    seed: int = 0

    def __post_init__(self) -> None:
        self.boxes = [Box.of(b) for b in self.boxes]

    @property
    def canvas(self) -> tuple[int, int]:
        return (self.width, self.height)

    def validate(self) -> "Layout":
        check_canvas(self.width, self.height)
        if not 0 <= self.seed <= MAX_SEED:
            raise LayoutError(f"seed {self.seed}: must be between 0 and {MAX_SEED}")
        if len(self.boxes) > MAX_FOREGROUND_BOXES:
            raise LayoutError(
                f"{len(self.boxes)} foreground boxes; at most {MAX_FOREGROUND_BOXES} are allowed"
            )
        for i, box in enumerate(self.boxes):
            check_box(box, self.width, self.height, f"box {i + 1}")
        return self

    def snapped(self) -> "Layout":
        return Layout(self.width, self.height, self.prompt, [b.snapped() for b in self.boxes], self.seed)

    # -- JSON layout file: {"canvas": [W, H], "prompt": "...", "boxes": [[x0, y0, x1, y1], ...], "seed": S}
    def to_json(self) -> dict:
        return {
            "canvas": [self.width, self.height],
            "prompt": self.prompt,
            "boxes": [list(b.as_tuple()) for b in self.boxes],
            "seed": self.seed,
        }

    @classmethod
    def from_json(cls, data) -> "Layout":
        if not isinstance(data, dict):
            raise LayoutError("layout must be a JSON object with canvas, prompt and boxes")
        try:
            width, height = (int(v) for v in data["canvas"])
        except (KeyError, TypeError, ValueError):
            raise LayoutError('layout needs "canvas": [width, height]') from None
        boxes = data.get("boxes", [])
        if not isinstance(boxes, list):
            raise LayoutError('layout "boxes" must be a list of [x0, y0, x1, y1]')
        prompt = data.get("prompt", "")
        if not isinstance(prompt, str):
            raise LayoutError('layout "prompt" must be a string')
        try:
            seed = int(data.get("seed", 0))
        except (TypeError, ValueError):
            raise LayoutError('layout "seed" must be an integer') from None
        return cls(width, height, prompt, [Box.of(b) for b in boxes], seed).validate()

    @classmethod
    def load(cls, path: str | Path) -> "Layout":
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise LayoutError(f"cannot read layout file {path}: {exc.strerror or exc}") from None
        try:
            # bytes: json finds UTF-8 (with or without the BOM some Windows editors write), UTF-16 or UTF-32
            data = json.loads(raw)
        except UnicodeDecodeError as exc:
            raise LayoutError(f"layout file {path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                              f"{exc.start}): save it as UTF-8") from None
        except json.JSONDecodeError as exc:
            raise LayoutError(f"layout file {path} is not valid JSON: {exc}") from None
        except RecursionError:
            raise LayoutError(f"layout file {path} is not a layout (JSON nested too deep)") from None
        return cls.from_json(data)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
