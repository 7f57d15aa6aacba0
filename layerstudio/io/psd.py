"""Layered PSD export and import through psd-tools.

Traps of psd-tools 1.26 that shape this module (measured, see issue 6):
- A layer record created with a name outside MacRoman crashes save(): create it with an ASCII name and
  set the real name through `Layer.name`, which writes the Unicode name block ('luni').
- save() of an edited document recomposites the merged image with its own compositor: slow (a 4096^2
  document with 20 layers took 23 s and 2 GB) and, for RGBA, stored with zero alpha. We compose
  ourselves (Document.compose, numpy), store it matted over white as Photoshop does (psd-tools and
  ImageMagick remove that matte on reading), mark the first alpha channel as the merged transparency
  (negative layer count) and write the record directly so save() never recomposites.
- An RGB document turns layer alpha into layer masks: the document is RGBA.
- Every channel is RLE compressed (the merged image defaults to raw).

Our own metadata (prompt, model id, and per layer box, seed, hint, lock, provenance) travels in one
plug-in image resource holding JSON: psd-tools keeps unknown resources as raw bytes and other editors
skip resources they do not know.
"""
from __future__ import annotations

import json
import logging
import os
import struct
import unicodedata
import warnings as py_warnings  # `warnings` is the name of the list for the user
from pathlib import Path

import numpy as np
from PIL import Image

from ..document import Box, Document, Layer, LayoutError, Provenance
from ..document.layout import GRID, MAX_CANVAS_SIDE
from ..errors import UserError
from .atomic import atomic_write, os_error_message

# Photoshop reserves image resource ids 4000-4999 for plug-ins; ours is marked inside by FORMAT.
RESOURCE_ID = 4711
RESOURCE_NAME = "LayerStudio"
FORMAT = "layerstudio-psd"
FORMAT_VERSION = 1

MAX_PSD_BYTES = 2 << 30  # refuse bigger files before parsing
MAX_IMPORT_LAYERS = 1000
MAX_LAYER_SIDE = 3 * MAX_CANVAS_SIDE  # a layer may overflow the canvas, but not absurdly
MAX_PIXEL_BYTES = 3 << 30  # decoded RGBA over all layers

_PSD_LOGGER = "psd_tools"


# ----------------------------------------------------------------------------------------- export
def export_psd(document: Document, path: str | os.PathLike) -> None:
    """Write `document` as a layered RGBA PSD at `path`, atomically."""
    psd = build_psd(document)
    try:
        with atomic_write(path) as f:
            # The record, not PSDImage.save(): save() would recomposite with psd-tools' slow compositor.
            psd._record.write(f)
    except OSError as exc:
        raise UserError(os_error_message(exc, path, "export")) from None


def build_psd(document: Document):
    """The psd-tools PSDImage for `document`, merged image included (ready to be written)."""
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer
    from psd_tools.constants import Compression, ProtectedFlags, Tag
    from psd_tools.psd.image_resources import ImageResource

    psd = PSDImage.new("RGBA", (document.width, document.height))
    entries = []
    for i, layer in enumerate(document.layers):
        image = Image.fromarray(np.ascontiguousarray(layer.pixels), "RGBA")
        pl = PixelLayer.frompil(image, psd, name=f"Layer {i}", top=layer.box.y0, left=layer.box.x0,
                                compression=Compression.RLE)
        pl.name = layer.name[:255]
        # The setter leaves "?" as the legacy (MacRoman) name when any character is outside MacRoman;
        # readers of that name only (ImageMagick 6) deserve a readable approximation.
        pl._record.name = legacy_name(layer.name[:255])
        pl.visible = layer.visible
        pl.opacity = int(round(layer.opacity * 255))
        if layer.locked:
            # Our lock keeps the pixels, not the place: other editors lock image and transparent pixels.
            # (PixelLayer.lock() sets a copy of the block, so the flags never reached the file.)
            pl.tagged_blocks.set_data(Tag.PROTECTED_SETTING, int(ProtectedFlags.COMPOSITE | ProtectedFlags.TRANSPARENCY))
        entries.append(_layer_entry(layer))

    info = psd._record.layer_and_mask_information.layer_info
    # Negative count: the merged image's alpha channel is the composite's transparency.
    info.layer_count = -len(document.layers)
    psd._merged_alpha = True

    merged = document.compose()
    alpha = merged[..., 3:4].astype(np.uint16)
    # Photoshop stores a transparent document's merged colour over white; readers remove the matte.
    matted = ((merged[..., :3].astype(np.uint16) * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    image_data = psd._record.image_data
    image_data.compression = Compression.RLE
    image_data.set_data([matted[..., 0].tobytes(), matted[..., 1].tobytes(), matted[..., 2].tobytes(),
                         merged[..., 3].tobytes()], psd._record.header)

    meta = {"format": FORMAT, "version": FORMAT_VERSION, "prompt": document.prompt,
            "model_id": document.model_id, "canvas": [document.width, document.height], "layers": entries}
    psd.image_resources[RESOURCE_ID] = ImageResource(
        key=RESOURCE_ID, name=RESOURCE_NAME, data=json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    return psd


def legacy_name(name: str) -> str:
    """The name for readers of the legacy Pascal name only: ASCII, accents dropped, anything else '?'.
    ASCII because MacRoman bytes above 127 show as garbage in readers that take them as UTF-8
    (ImageMagick 6 does)."""
    out = []
    for ch in name:
        if " " <= ch < "\x7f":
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
        out.append(base if base.isprintable() and base else "?")
    return "".join(out)[:255]


def _layer_entry(layer: Layer) -> dict:
    return {"name": layer.name, "box": list(layer.box.as_tuple()), "seed": layer.seed, "hint": layer.hint,
            "locked": layer.locked,
            "provenance": layer.provenance.to_json() if layer.provenance else None}


# ----------------------------------------------------------------------------------------- import
def import_psd(path: str | os.PathLike) -> tuple[Document, list[str]]:
    """Read a PSD (or PSB) into a Document. Returns the document and warnings for the user.

    Pixel layers (groups flattened in order, with a warning) become layers with their bounds as boxes; other kinds
    are rasterised where psd-tools can, else skipped and listed in one warning. Raises only UserError."""
    path = Path(path)
    logger = logging.getLogger(_PSD_LOGGER)
    level = logger.level
    # psd-tools logs every unknown block at WARNING; our messages go to the user instead.
    logger.setLevel(logging.ERROR + 10)
    try:
        return _import(path)
    except UserError:
        raise
    except MemoryError:
        raise UserError(f"{path}: the PSD is too large to open") from None
    except (EOFError, struct.error, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:  # the disk's error, not the file's content
            raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
        # psd-tools' reads past the end of a section (a length field that lies)
        raise UserError(f"{path}: the PSD file is truncated or corrupt ({_describe(exc)})") from None
    except Exception as exc:  # any parser failure on a damaged file is the file's fault, not a crash
        raise UserError(f"{path}: cannot read this PSD file ({_describe(exc)})") from None
    finally:
        logger.setLevel(level)


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _import(path: Path) -> tuple[Document, list[str]]:
    from psd_tools import PSDImage
    from psd_tools.psd.parse_limits import ParseLimits

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise UserError(f"{path} is not a file")
    if size > MAX_PSD_BYTES:
        raise UserError(f"{path}: {size / 2**30:.1f} GiB is larger than LayerStudio opens")
    with open(path, "rb") as f:
        head = f.read(26)
    if len(head) < 26 or head[:4] != b"8BPS":
        raise UserError(f"{path}: not a PSD file (no 8BPS signature)")
    version = int.from_bytes(head[4:6], "big")
    height, width = int.from_bytes(head[14:18], "big"), int.from_bytes(head[18:22], "big")
    if version not in (1, 2) or width <= 0 or height <= 0:
        raise UserError(f"{path}: damaged PSD header")
    if width > MAX_CANVAS_SIDE or height > MAX_CANVAS_SIDE:
        raise UserError(f"{path}: the canvas is {width} x {height}; LayerStudio opens at most "
                        f"{MAX_CANVAS_SIDE} x {MAX_CANVAS_SIDE}")

    merged_whole = _check_sections(path, head, size)
    limits = ParseLimits(max_total_bytes=4 * size + (64 << 20))
    psd = PSDImage.open(path, parse_limits=limits, max_alloc_bytes=1 << 30)
    warnings: list[str] = []
    meta = _read_meta(psd)

    raster, skipped, approximated = [], [], []
    groups = _collect(psd, True, 1.0, raster, skipped, approximated)
    if not merged_whole:  # the merged image is the picture of a flat file; beside layers it is not used
        if not raster:
            raise UserError(f"{path}: the PSD file is truncated or corrupt (its image data runs past the end "
                            f"of the file)")
        warnings.append("the file is truncated or corrupt: its merged image runs past the end of the file, "
                        "but every layer was read whole")
    if len(raster) > MAX_IMPORT_LAYERS:
        raise UserError(f"{path}: {len(raster)} layers; LayerStudio opens at most {MAX_IMPORT_LAYERS}")

    budget = MAX_PIXEL_BYTES
    for item in raster:
        left, top, right, bottom = (int(v) for v in item[0].bbox)
        budget -= max(0, right - left) * max(0, bottom - top) * 4
        if budget < 0:
            raise UserError(f"{path}: the layers add up to more pixels than LayerStudio opens")

    layers: list[Layer] = []
    for item in raster:
        layer = _to_layer(item, skipped)
        if layer is not None:
            layers.append(layer)
    if not raster and psd.has_preview():
        # A flat PSD (no layer records): its merged image is the whole picture. psd-tools fills what it
        # cannot decode (damaged RLE rows) with black and only warns: make that an error.
        from psd_tools.compression import PSDDecompressionWarning

        try:
            with py_warnings.catch_warnings():
                py_warnings.simplefilter("error", PSDDecompressionWarning)
                image = psd.topil()
        except PSDDecompressionWarning:
            raise UserError(f"{path}: the PSD file is truncated or corrupt (its image data cannot be "
                            f"decoded)") from None
        if image is not None:
            layers.append(Layer(Box(0, 0, width, height), np.array(image.convert("RGBA"), dtype=np.uint8),
                                name="Background"))

    # Canvas sides must be multiples of the 16 px grid: pad right and bottom with transparency.
    cw, ch = -(-width // GRID) * GRID, -(-height // GRID) * GRID
    if (cw, ch) != (width, height):
        warnings.append(f"the canvas was {width} x {height}; it was extended to {cw} x {ch} "
                        f"(multiples of {GRID} px) with transparent pixels")
    canvas = Box(0, 0, cw, ch)
    layers = _drop_outside(layers, canvas, skipped)

    _apply_meta(layers, meta)
    if not layers or layers[0].box != canvas:
        if layers and layers[0].box == Box(0, 0, width, height):
            layers[0] = _grow_to(layers[0], canvas)
        else:
            layers.insert(0, Layer(canvas, name="Background"))

    if skipped:
        warnings.append(f"skipped {len(skipped)} layer(s) LayerStudio cannot use: " + ", ".join(skipped))
    if approximated:
        warnings.append("blend modes other than normal were flattened to normal on: " + ", ".join(approximated))
    if groups:  # a Document has no groups: exporting it again loses them, so say so now
        warnings.append("1 layer group was flattened: its layers are kept, its name is not" if groups == 1 else
                        f"{groups} layer groups were flattened: their layers are kept, the group names are not")

    prompt = meta.get("prompt", "") if isinstance(meta.get("prompt"), str) else ""
    model_id = meta.get("model_id", "") if isinstance(meta.get("model_id"), str) else ""
    return Document(cw, ch, prompt, layers, model_id), warnings


def _check_sections(path: Path, head: bytes, size: int) -> bool:
    """The file's section lengths against its size, so a cut-off file fails with a plain message instead of
    psd-tools' 'Invalid data section size'. Returns whether the merged image is whole: psd-tools decodes a
    cut-off one without a word, with the missing rows black."""
    version, channels = int.from_bytes(head[4:6], "big"), int.from_bytes(head[12:14], "big")
    height, width = int.from_bytes(head[14:18], "big"), int.from_bytes(head[18:22], "big")
    depth = int.from_bytes(head[22:24], "big")
    position = 26
    with open(path, "rb") as f:
        for name, field_size in (("colour mode", 4), ("image resources", 4), ("layer", 4 if version == 1 else 8)):
            f.seek(position)
            field = f.read(field_size)
            end = position + field_size + int.from_bytes(field, "big")
            if len(field) < field_size or end > size:
                raise UserError(f"{path}: the PSD file is truncated or corrupt (its {name} section runs past "
                                f"the end of the file)")
            position = end
        f.seek(position)
        field = f.read(2)
        if len(field) < 2:
            raise UserError(f"{path}: the PSD file is truncated (it ends before its image data)")
        compression = int.from_bytes(field, "big")
        rows = channels * height
        if compression == 0:  # raw
            end = position + 2 + rows * -(-width * depth // 8)
        elif compression == 1:  # RLE: a table of each row's byte count, then the rows
            count_size = 2 if version == 1 else 4
            table = f.read(rows * count_size)
            if len(table) < rows * count_size:
                return False
            counts = np.frombuffer(table, dtype=">u2" if count_size == 2 else ">u4")
            end = position + 2 + len(table) + int(counts.sum(dtype=np.int64))
        else:  # zip: its length is not known without inflating it
            end = position + 2
    return end <= size


def _drop_outside(layers: list[Layer], canvas: Box, skipped: list[str]) -> list[Layer]:
    kept = []
    for layer in layers:
        if layer.box.intersection(canvas) is None:
            skipped.append(f"'{layer.name}' (entirely outside the canvas)")
        else:
            kept.append(layer)
    return kept


def _grow_to(layer: Layer, canvas: Box) -> Layer:
    pixels = np.zeros((canvas.height, canvas.width, 4), np.uint8)
    pixels[:layer.box.height, :layer.box.width] = layer.pixels
    return layer.with_pixels(pixels, box=canvas)


def _collect(group, visible: bool, opacity: float, out: list, skipped: list, approximated: list) -> int:
    """Depth-first, bottom to top: groups flatten into their children, visibility and opacity inherited.
    Returns how many groups were flattened."""
    groups = 0
    for layer in group:
        name = _safe_name(layer)
        if layer.is_group():
            # A pass-through or normal group's opacity multiplies into its children (an approximation
            # for groups with other blend modes).
            groups += 1 + _collect(layer, visible and layer.visible, opacity * layer.opacity / 255.0, out, skipped,
                                   approximated)
            continue
        if getattr(layer, "clipping", False):
            # Clipping layers are painted into their base layer by its composite; counting them twice
            # would double them.
            continue
        if _is_adjustment(layer) or not hasattr(layer, "composite"):
            # An adjustment changes the layers below it; it has no pixels of its own to become a layer.
            skipped.append(f"'{name}' ({layer.kind} adjustment)")
            continue
        blend = getattr(layer.blend_mode, "name", str(layer.blend_mode))
        if blend not in ("NORMAL", "PASS_THROUGH"):
            approximated.append(f"'{name}' ({blend.lower()})")
        out.append((layer, name, visible and layer.visible, opacity * layer.opacity / 255.0))
    return groups


def _is_adjustment(layer) -> bool:
    from psd_tools.api.layers import AdjustmentLayer

    return isinstance(layer, AdjustmentLayer)


def _is_fill(layer) -> bool:
    from psd_tools.api.layers import FillLayer

    return isinstance(layer, FillLayer)


def _safe_name(layer) -> str:
    try:
        name = layer.name
    except Exception:
        name = ""
    if not isinstance(name, str):
        name = ""
    return _printable(name)


def _printable(name: str) -> str:
    return "".join(ch for ch in name if ch.isprintable())[:255] or "Layer"


def _to_layer(item, skipped: list[str]) -> Layer | None:
    layer, name, visible, opacity = item
    left, top, right, bottom = (int(v) for v in layer.bbox)
    if (right <= left or bottom <= top) and _is_fill(layer):
        left, top, right, bottom = (int(v) for v in layer._psd.viewbox)  # an unmasked fill covers the canvas
    if right - left <= 0 or bottom - top <= 0:
        if layer.kind == "pixel":
            return None  # an empty pixel layer carries nothing
        skipped.append(f"'{name}' ({layer.kind}, no bounds)")
        return None
    if right - left > MAX_LAYER_SIDE or bottom - top > MAX_LAYER_SIDE:
        skipped.append(f"'{name}' ({right - left} x {bottom - top} px, too large)")
        return None
    plain = (layer.kind == "pixel" and not layer.has_mask() and not layer.has_vector_mask()
             and not layer.has_effects() and not layer.has_clip_layers())
    image = None
    if plain:
        image = layer.topil()
    else:
        try:
            image = layer.composite(viewport=(left, top, right, bottom),
                                    layer_filter=lambda l: l is layer or l.visible)
        except Exception:
            image = None
        if image is None and layer.has_pixels():
            image = layer.topil()  # masks and effects cannot be drawn: keep the bare pixels
    if image is None:
        if layer.kind == "pixel":
            return None
        skipped.append(f"'{name}' ({layer.kind})")
        return None
    pixels = np.array(image.convert("RGBA"), dtype=np.uint8)  # a writable copy
    if pixels.shape[:2] != (bottom - top, right - left):
        fixed = np.zeros((bottom - top, right - left, 4), np.uint8)
        h, w = min(pixels.shape[0], fixed.shape[0]), min(pixels.shape[1], fixed.shape[1])
        fixed[:h, :w] = pixels[:h, :w]
        pixels = fixed
    locked = False
    locks = getattr(layer, "locks", None)
    if locks is not None:
        try:
            locked = bool(int(getattr(locks, "value", locks)) & 0x80000002)
        except (TypeError, ValueError):
            locked = False
    return Layer(Box(left, top, right, bottom), np.ascontiguousarray(pixels), name=name, visible=visible,
                 opacity=opacity, locked=locked)


def _read_meta(psd) -> dict:
    try:
        raw = psd.image_resources.get_data(RESOURCE_ID)
        if not isinstance(raw, (bytes, bytearray)) or len(raw) > 16 << 20:
            return {}
        meta = json.loads(bytes(raw).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, KeyError, AttributeError, RecursionError):  # deep nesting
        return {}
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("layers"), list):
        return {}
    return meta


def stored_prompt(psd) -> str:
    """The prompt our export stored in `psd` (a psd-tools PSDImage), "" when it has none. Never raises on
    a foreign or damaged resource: the training PSD folder reads captions with it."""
    prompt = _read_meta(psd).get("prompt")
    return prompt if isinstance(prompt, str) else ""


def _apply_meta(layers: list[Layer], meta: dict) -> None:
    """Give each layer our metadata, matched by name and box (order alone would mislabel layers that
    another editor reordered or removed)."""
    entries = [e for e in meta.get("layers", []) if isinstance(e, dict)]
    if not entries:
        return
    unused = list(range(len(entries)))
    for layer in layers:
        for n in unused:
            entry = entries[n]
            try:
                box = Box.of(entry.get("box"))
            except LayoutError:
                continue
            # the PSD's own name lost what is not printable (a newline, NBSP): ours has it whole
            name = entry.get("name")
            if isinstance(name, str) and _printable(name) == layer.name and box == layer.box:
                layer.name = name
                _restore(layer, entry)
                unused.remove(n)
                break


def _restore(layer: Layer, entry: dict) -> None:
    def as_int(value, default=0):
        return value if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63 else default

    layer.seed = as_int(entry.get("seed"))
    hint = entry.get("hint")
    layer.hint = hint if isinstance(hint, str) else ""
    if isinstance(entry.get("locked"), bool):
        layer.locked = entry["locked"]
    prov = entry.get("provenance")
    if isinstance(prov, dict):
        try:
            layer.provenance = Provenance.from_json(prov)
        except (TypeError, ValueError, OverflowError):
            layer.provenance = None
