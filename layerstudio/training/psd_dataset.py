"""Train on your own designs: a folder of layered PSDs read as corpus designs.

Every visible layer with pixels (pixel, type, shape or smart-object layers; groups flattened in stacking
order) becomes one layer whose box is its bounds snapped outward to the 16 px grid; its pixels are padded
into that box. Layer opacity and an enabled user mask are baked into alpha; blend modes other than normal
and adjustment layers are not reproduced. If the bottom-most layer covers the whole canvas it is the
background, otherwise the background is transparent. The canvas is cropped or padded (at the right and
bottom) to the nearest multiple of 16. The caption comes from NAME.txt next to NAME.psd, else from the prompt
LayerStudio stored in the file when it exported it, else from the layer names; the layer captions are the
layer names.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from layerstudio.document import GRID, MAX_CANVAS_SIDE, MAX_FOREGROUND_BOXES, Box, Document, Layer
from layerstudio.errors import UserError
from layerstudio.io.psd import stored_prompt

from .corpus import Design


class PsdFolderDataset:
    """The readable PSDs under `folder` (searched recursively, sorted by path), each as a `Design`.

    Files that cannot be parsed, or that do not fit the engine's limits, are skipped with a warning and
    listed in `skipped` as (path, reason). `max_side` scales large documents down so their longer side
    is at most that many pixels (before the snap to `canvas_multiple`).
    """

    def __init__(self, folder: str | Path, canvas_multiple: int = GRID, max_side: int | None = None,
                 max_layers: int = MAX_FOREGROUND_BOXES):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise UserError(f"PSD folder {self.folder} does not exist or is not a folder")
        if canvas_multiple <= 0 or canvas_multiple % GRID:
            raise UserError(f"canvas_multiple {canvas_multiple} must be a positive multiple of {GRID}")
        self.canvas_multiple = canvas_multiple
        self.max_side = max_side
        self.max_layers = max_layers
        self.skipped: list[tuple[Path, str]] = []
        self.paths: list[Path] = []
        self.sizes: list[tuple[int, int]] = []  # each file's canvas, before scaling
        for path in psd_files(self.folder):
            try:
                psd = _usable(path, max_layers)
            except UserError as exc:
                self._skip(path, str(exc))
                continue
            self.paths.append(path)
            self.sizes.append((psd.width, psd.height))

    def _skip(self, path: Path, reason: str) -> None:
        self.skipped.append((path, reason))
        warnings.warn(f"skipping {path}: {reason}", stacklevel=3)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Design:
        """The design of one file; UserError if its pixels cannot be read."""
        path = self.paths[index]
        return read_psd_design(path, self.canvas_multiple, self.max_side, self.max_layers, seed=index)

    def __iter__(self):
        """Every readable design; files that fail while decoding are skipped with a warning."""
        for i, path in enumerate(self.paths):
            try:
                yield self[i]
            except UserError as exc:
                self._skip(path, str(exc))


def psd_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".psd", ".psb"))


def check_folder(folder: str | Path) -> None:
    """UserError unless `folder` holds a readable PSD. Run in the main process before training starts: a data
    worker's error reaches the user wrapped in the worker's traceback. Stops at the first readable file."""
    folder = Path(folder)
    if folder.is_file():
        raise UserError(f"--data {folder}: a file; give the folder that holds the PSD files"
                        if folder.suffix.lower() in (".psd", ".psb") else
                        f"--data must be 'corpus' or a folder of PSD files; {folder} is a file")
    if not folder.is_dir():
        raise UserError(f"--data {folder}: no such folder (give 'corpus' or a folder of PSD files)")
    paths = psd_files(folder)
    if not paths:
        raise UserError(f"--data {folder}: no PSD files in it (looked for .psd and .psb, in subfolders too)")
    reasons = []
    for path in paths:
        try:
            _usable(path)
            return
        except UserError as exc:
            reasons.append(f"{path.name}: {' '.join(str(exc).split())}")
    if len(paths) == 1:
        raise UserError(f"--data {folder}: its one PSD file cannot be trained on ({reasons[0]})")
    raise UserError(f"--data {folder}: none of its {len(paths)} PSD files can be trained on (the first: {reasons[0]})")


def _open(path: Path):
    from psd_tools import PSDImage

    try:
        psd = PSDImage.open(path)
    except Exception as exc:  # psd-tools raises many kinds on damaged files
        raise UserError(f"not a readable PSD ({type(exc).__name__}: {exc})") from None
    if psd.width <= 0 or psd.height <= 0:
        raise UserError(f"empty canvas {psd.width} x {psd.height}")
    return psd


def _usable(path: Path, max_layers: int = MAX_FOREGROUND_BOXES):
    """The opened PSD, or UserError where its layer records alone say it cannot be trained on (checked before
    training: found while decoding in a data worker, a 51-layer file stopped the run hours in)."""
    psd = _open(path)
    layers = sum(1 for layer in psd.descendants()
                 if not layer.is_group() and layer.is_visible() and layer.has_pixels())
    if layers == 0:  # Photoshop saves a flattened image with no layer records: the composite alone
        raise UserError("no visible layers with pixels (a flattened PSD keeps only the composite: save it with "
                        "its layers)")
    if layers > max_layers + 1:
        raise UserError(f"{layers} visible layers; training takes at most {max_layers} besides the background")
    return psd


def _layer_rgba(layer) -> np.ndarray | None:
    """Straight-alpha RGBA uint8 of one layer's own pixels (bbox-sized), opacity and mask applied."""
    img = layer.topil()
    if img is None:
        return None
    if img.mode == "RGBA":
        rgba = np.array(img)
    else:
        # CMYK / Lab have no alpha band in PIL: take the transparency channel separately.
        rgba = np.array(img.convert("RGBA"))
        alpha = layer.topil(channel=-1) if "A" not in img.getbands() else None
        if alpha is not None:
            rgba[..., 3] = np.asarray(alpha.convert("L"))
    a = rgba[..., 3].astype(np.float32) / 255.0
    mask = getattr(layer, "mask", None)
    if mask is not None and not mask.disabled:
        a *= _mask_over(mask, rgba.shape[1], rgba.shape[0])
    opacity = layer.opacity / 255.0
    fill = layer.fill_opacity / 255.0
    parent = layer.parent
    while parent is not None and hasattr(parent, "opacity") and getattr(parent, "kind", "") == "group":
        opacity *= parent.opacity / 255.0
        parent = parent.parent
    a *= opacity * fill
    rgba[..., 3] = np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)
    rgba[rgba[..., 3] == 0, :3] = 0
    return rgba


def _mask_over(mask, w: int, h: int) -> np.ndarray:
    """The user mask as a 0..1 factor over the layer's own pixels (its default colour where it has no data)."""
    img = mask.topil(layer_sized=True)
    if img is None or img.size != (w, h):
        return np.full((h, w), float(mask.background_color) / 255.0, np.float32)
    return np.asarray(img.convert("L"), np.float32) / 255.0


def _pad_to_box(rgba: np.ndarray, left: int, top: int, box: Box) -> np.ndarray:
    out = np.zeros((box.height, box.width, 4), np.uint8)
    out[top - box.y0: top - box.y0 + rgba.shape[0], left - box.x0: left - box.x0 + rgba.shape[1]] = rgba
    return out


def _scaled(rgba: np.ndarray, left: int, top: int, s: float):
    """Scale a layer by s about the canvas origin; returns (rgba, left, top)."""
    x0, y0 = left * s, top * s
    x1, y1 = (left + rgba.shape[1]) * s, (top + rgba.shape[0]) * s
    nl, nt = math.floor(x0), math.floor(y0)
    nw, nh = max(1, math.ceil(x1) - nl), max(1, math.ceil(y1) - nt)
    # Pillow premultiplies RGBA while resampling, so colours under transparency do not bleed.
    img = Image.fromarray(rgba, "RGBA").resize((nw, nh), Image.Resampling.LANCZOS)
    return np.array(img), nl, nt


def _mean_colour(rgba: np.ndarray) -> tuple[int, int, int]:
    a = rgba[..., 3].astype(np.float64)
    total = a.sum()
    if total <= 0:
        return (0, 0, 0)
    rgb = (rgba[..., :3].astype(np.float64) * a[..., None]).sum(axis=(0, 1)) / total
    return tuple(int(round(v)) for v in rgb)


def _round_side(side: int, multiple: int) -> int:
    return max(multiple, math.floor(side / multiple + 0.5) * multiple)


def _clean_name(name: str, fallback: str) -> str:
    name = " ".join(str(name or "").split())
    return name or fallback


def read_psd_design(path: str | Path, canvas_multiple: int = GRID, max_side: int | None = None,
                    max_layers: int = MAX_FOREGROUND_BOXES, seed: int = 0) -> Design:
    """One PSD as a Design (see the module docstring); UserError naming the problem if it cannot be used."""
    path = Path(path)
    psd = _open(path)
    scale = 1.0
    if max_side and max(psd.width, psd.height) > max_side:
        scale = max_side / max(psd.width, psd.height)
    src_w, src_h = round(psd.width * scale), round(psd.height * scale)
    width, height = _round_side(src_w, canvas_multiple), _round_side(src_h, canvas_multiple)
    if max(width, height) > MAX_CANVAS_SIDE:
        raise UserError(f"canvas {psd.width} x {psd.height} is larger than {MAX_CANVAS_SIDE} px a side")
    canvas = Box(0, 0, width, height)

    items = []  # (name, rgba, left, top), bottom to top
    try:
        for layer in psd.descendants():
            if layer.is_group() or not layer.is_visible() or not layer.has_pixels():
                continue
            rgba = _layer_rgba(layer)
            if rgba is None or rgba.shape[0] == 0 or rgba.shape[1] == 0 or not rgba[..., 3].any():
                continue
            left, top = layer.left, layer.top
            if scale != 1.0:
                rgba, left, top = _scaled(rgba, left, top, scale)
            items.append((_clean_name(layer.name, f"layer {len(items) + 1}"), rgba, left, top))
    except UserError:
        raise
    except Exception as exc:  # damaged channel data shows up only while decoding
        raise UserError(f"cannot decode the layers of {path.name} ({type(exc).__name__}: {exc})") from None

    background = None
    if items:
        name, rgba, left, top = items[0]
        if left <= 0 and top <= 0 and left + rgba.shape[1] >= src_w and top + rgba.shape[0] >= src_h:
            background = items.pop(0)
    if background is not None:
        name, rgba, left, top = background
        bg_pixels = _pad_to_box(rgba, left, top, Box(left, top, left + rgba.shape[1], top + rgba.shape[0]))
        bg_pixels = bg_pixels[-top: -top + height, -left: -left + width]
        bg_pixels = np.ascontiguousarray(np.pad(
            bg_pixels, ((0, height - bg_pixels.shape[0]), (0, width - bg_pixels.shape[1]), (0, 0))))
        bg_caption = name
    else:
        bg_pixels = np.zeros((height, width, 4), np.uint8)
        bg_caption = "a transparent background"

    layers = [Layer(canvas, bg_pixels, name="Background" if background is None else bg_caption)]
    captions = [bg_caption]
    colours = [_mean_colour(bg_pixels)]
    for name, rgba, left, top in items:
        raw = Box(left, top, left + rgba.shape[1], top + rgba.shape[0])
        if raw.intersection(canvas) is None:
            continue  # wholly outside the (cropped) canvas: nothing of it is seen
        box = raw.snapped(GRID)
        pixels = _pad_to_box(rgba, left, top, box)
        layers.append(Layer(box, pixels, name=name))
        captions.append(name)
        colours.append(_mean_colour(rgba))
    if len(layers) - 1 > max_layers:
        raise UserError(f"{len(layers) - 1} foreground layers; at most {max_layers} are used for training")

    sidecar = path.with_suffix(".txt")
    caption = ""
    if sidecar.is_file():
        try:
            raw = sidecar.read_bytes()
        except OSError as exc:
            warnings.warn(f"ignoring caption file {sidecar}: {exc}", stacklevel=2)
            raw = b""
        try:  # utf-8-sig: Notepad's BOM is not whitespace to split(), it would start the caption
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # an older editor's Windows encoding ('café' in Latin-1 was ignored)
            text = raw.decode("cp1252", errors="replace")
        caption = " ".join(text.split())
    if not caption:  # a PSD this app exported keeps its prompt: it names what the layer names may not
        caption = " ".join(stored_prompt(psd).split())
    if not caption:
        names = captions[1:] + ([bg_caption] if background is not None else [])
        caption = ", ".join(names)
    doc = Document(width, height, caption, layers)
    return Design(doc, caption, captions, colours, doc.compose(), seed)
