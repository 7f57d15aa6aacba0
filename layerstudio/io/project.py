"""The .lsproj project file: a zip holding a versioned JSON manifest, one PNG per layer and one per kept
variation. Saved atomically; loading checks everything and raises only UserError.
open_project, the reader for a user opening a file, is kinder to damage inside one image: a layer whose PNG is
damaged opens empty (transparent, its box and settings kept) and a damaged variation is dropped, each with a
warning; damage to the manifest, the archive or the layout still refuses the file.

    manifest.json  {"format": "layerstudio-project", "version": 1, "canvas": [W, H], "prompt", "model_id",
                    "layers": [{"name", "box", "visible", "opacity", "locked", "seed", "hint",
                                "provenance": {...} | null, "image": "layers/000.png",
                                "variations": [{"image": "variations/000-00.png", "seed", "hint",
                                                "provenance"}],
                                "shown_at": where the layer's own image stands among its variations | null (last)}]}
    layers/NNN.png     box-sized RGBA, bottom to top (000 = background)
    variations/NNN-MM.png
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from ..document import Box, Document, Layer, LayoutError, Provenance, Variation
from ..document.layout import MAX_CANVAS_SIDE, check_canvas
from ..errors import UserError
from .atomic import atomic_write, os_error_message

FORMAT = "layerstudio-project"
VERSION = 1
MANIFEST = "manifest.json"

# Hostile-file limits: far above anything the app makes, far below what would hurt the machine.
MAX_FILE_BYTES = 4 << 30
MAX_MANIFEST_BYTES = 8 << 20
MAX_MEMBERS = 20_000
MAX_LAYERS = 1000
MAX_VARIATIONS = 100  # per layer
MAX_LAYER_SIDE = 3 * MAX_CANVAS_SIDE
MAX_PIXEL_BYTES = 3 << 30  # decoded RGBA over all layers and variations
MAX_RATIO = 1200  # declared uncompressed / compressed size of one member (PNG data hardly compresses)
MAX_TEXT = 100_000  # characters in a prompt, name or hint
_IMAGE_NAME = re.compile(r"^(layers/\d{3,4}|variations/\d{3,4}-\d{2,3})\.png$")
PNG_LEVEL = 1  # fast: autosave writes projects every few seconds


# ------------------------------------------------------------------------------------------ save
def save_project(document: Document, path: str | os.PathLike) -> None:
    """Write `document` (variations included) to `path` atomically: the old file stays until the new one
    is complete and synced. A document that load_project would refuse is refused here first (UserError,
    nothing written), so every saved file opens again."""
    path = Path(path)
    manifest, images = _manifest(document)
    raw = _check_savable(manifest, images, path)
    try:
        with atomic_write(path) as f:
            _write_zip(f, raw, images)
            if f.tell() > MAX_FILE_BYTES:
                raise UserError(f"cannot save {path}: {f.tell() / 2**30:.1f} GiB is larger than LayerStudio opens")
    except OSError as exc:
        raise UserError(os_error_message(exc, path)) from None


def project_bytes(document: Document, what: str) -> bytes:
    """The project file for `document`, in memory (the app's layer clipboard); checked as save_project
    checks, with `what` naming it in messages."""
    manifest, images = _manifest(document)
    raw = _check_savable(manifest, images, what)
    buf = io.BytesIO()
    _write_zip(buf, raw, images)
    return buf.getvalue()


def _manifest(document: Document) -> tuple[dict, dict[str, np.ndarray]]:
    """The manifest and its images by member name."""
    manifest = {"format": FORMAT, "version": VERSION, "canvas": [document.width, document.height],
                "prompt": document.prompt, "model_id": document.model_id, "layers": []}
    images = {}
    for i, layer in enumerate(document.layers):
        entry = {"name": layer.name, "box": list(layer.box.as_tuple()), "visible": layer.visible,
                 "opacity": layer.opacity, "locked": layer.locked, "seed": layer.seed, "hint": layer.hint,
                 "provenance": _prov_json(layer.provenance), "image": f"layers/{i:03d}.png",
                 "variations": [], "shown_at": None if layer.shown_at is None else layer.place_in_strip}
        images[entry["image"]] = layer.pixels
        for j, var in enumerate(layer.variations):
            name = f"variations/{i:03d}-{j:02d}.png"
            images[name] = var.pixels
            entry["variations"].append({"image": name, "seed": var.seed, "hint": var.hint,
                                        "provenance": _prov_json(var.provenance)})
        manifest["layers"].append(entry)
    return manifest, images


def _check_savable(manifest: dict, images: dict[str, np.ndarray], path: Path | str) -> bytes:
    """The manifest as it will be written, run through the very checks load_project applies (with the
    in-memory images standing in for the PNG members). Raises UserError naming the problem."""
    try:
        raw = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise UserError(f"cannot save {path}: the design holds a value a project cannot store ({exc})") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise UserError(f"cannot save {path}: the layer texts add up to more than a project can hold")
    if len(images) + 1 > MAX_MEMBERS:
        raise UserError(f"cannot save {path}: {len(images)} images are more than a project can hold")

    def given(name, box: Box, where: str) -> np.ndarray:
        pixels = images.get(name) if isinstance(name, str) else None
        if pixels is None:
            raise _Bad(f"{where}: image {name!r} is missing")
        if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or \
                pixels.shape != (box.height, box.width, 4):
            shape = getattr(pixels, "shape", None)
            raise _Bad(f"{where}: its image is {shape[1] if shape and len(shape) > 1 else '?'} x "
                       f"{shape[0] if shape else '?'} but the box {box} is {box.width} x {box.height}")
        return pixels

    try:
        _build(json.loads(raw.decode("utf-8")), given)
    except (_Bad, LayoutError) as exc:
        raise UserError(f"cannot save {path}: {exc}") from None
    return raw


def _write_zip(f, manifest: bytes, images: dict[str, np.ndarray]) -> None:
    # PNG is already compressed: store members rather than deflate them a second time.
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, pixels in images.items():
            zf.writestr(name, encode_png(pixels))
        # The manifest last: a reader of a cut-off file finds no manifest rather than a partial one.
        zf.writestr(MANIFEST, manifest, compress_type=zipfile.ZIP_DEFLATED)


def _prov_json(prov: Provenance | None) -> dict | None:
    return prov.to_json() if prov is not None else None


def encode_png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), "RGBA").save(buf, "PNG", compress_level=PNG_LEVEL)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ load
def load_project(path: str | os.PathLike) -> Document:
    """Read a project, all of it: any damage refuses the file. Raises UserError naming the file and the
    problem, never anything else."""
    path = Path(path)
    return _one_line(lambda: _load(path, None), path)


def open_project(path: str | os.PathLike) -> tuple[Document, list[str]]:
    """Read a project as a user opens it: returns the document and warnings for the user. A layer image that
    is damaged (cut short, its bytes broken) does not cost the rest of the file: the layer opens empty with its
    box, name, hint, seed, lock and variations kept, and a damaged variation is dropped, each with a warning.
    Everything else (the manifest, the archive, an image of the wrong size) is checked as load_project checks it
    and refused with UserError."""
    path = Path(path)
    warnings: list[str] = []
    document = _one_line(lambda: _load(path, warnings), path)
    return document, warnings


def project_from_bytes(data: bytes, what: str) -> Document:
    """A project held in memory (the app's layer clipboard); errors as load_project's, naming `what`."""
    def read():
        try:
            return read_project(data)
        except _Bad as exc:
            raise UserError(f"{what}: {exc}") from None
    return _one_line(read, what)


def _one_line(read, what) -> Document:
    try:
        return read()
    except UserError:
        raise
    except MemoryError:
        raise UserError(f"{what}: the project is too large to open") from None
    except Exception as exc:  # any other failure of a damaged file must still read as one line
        raise UserError(f"{what}: damaged project file ({type(exc).__name__}: {str(exc)[:160]})") from None


class _Bad(Exception):
    """A problem with the file's contents; load_project prefixes the path."""


class _Damaged(_Bad):
    """The bytes of one archive member are damaged (cut short, failing their CRC, not decoding), though the archive
    and the manifest describe it well: open_project survives this in a layer image or variation."""


def _load(path: Path, warnings: list[str] | None) -> Document:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UserError(f"{path} is not a file")
        if size > MAX_FILE_BYTES:
            raise UserError(f"{path}: {size / 2**30:.1f} GiB is larger than LayerStudio opens")
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return read_project(data, warnings)
    except _Bad as exc:
        raise UserError(f"{path}: {exc}") from None


def read_project(data: bytes, warnings: list[str] | None = None) -> Document:
    """The project in `data`. Given a `warnings` list, damaged images are survived as open_project says and
    described there; without one, they refuse the file."""
    if not data:
        raise _Bad("the file is empty")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        if data[:4] == b"PK\x03\x04":
            raise _Bad("the project is truncated or damaged (its zip directory is missing)") from None
        raise _Bad("not a LayerStudio project (not a zip archive)") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _Bad(f"the archive holds {len(infos)} entries; a project has far fewer")
        members = {}
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or ":" in name:
                raise _Bad(f"refusing unsafe entry name {name!r}")
            if info.flag_bits & 0x1:
                raise _Bad(f"entry {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _Bad(f"entry {name!r} uses an unsupported compression method")
            if name in members:
                raise _Bad(f"entry {name!r} appears twice")
            members[name] = info
        if MANIFEST not in members:
            raise _Bad("not a LayerStudio project (no manifest.json)")
        manifest = _read_manifest(zf, members[MANIFEST])
        return _build(manifest, lambda name, box, where: _image(zf, members, name, box, where), warnings)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one entry, checking its declared sizes first and its real size while reading (zip bombs)."""
    name = info.filename
    if info.file_size > limit:
        raise _Bad(f"entry {name!r} declares {info.file_size} bytes; at most {limit} are allowed")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise _Bad(f"entry {name!r} expands {info.file_size // max(info.compress_size, 1)}-fold (a zip bomb?)")
    try:
        with zf.open(info) as f:
            content = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise _Damaged(f"entry {name!r} is damaged ({exc})") from None
    except Exception as exc:  # zlib.error and friends
        raise _Damaged(f"entry {name!r} is damaged ({type(exc).__name__})") from None
    if len(content) != info.file_size:
        raise _Damaged(f"entry {name!r} is not the size its header declares")
    return content


def _read_manifest(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict:
    raw = _read_member(zf, info, MAX_MANIFEST_BYTES)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Bad("manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _Bad("not a LayerStudio project (manifest has the wrong format marker)")
    version = manifest.get("version")
    if not _is_int(version):
        raise _Bad("manifest.json has no format version")
    if version > VERSION:
        raise _Bad(f"made by a newer LayerStudio (project format {version}; this version reads up to {VERSION})")
    if version < 1:
        raise _Bad(f"unknown project format version {version}")
    return manifest


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(obj: dict, key: str, where: str, default=None, lo=-(2**63), hi=2**63 - 1) -> int:
    value = obj.get(key, default)
    if not _is_int(value) or not lo <= value <= hi:
        wanted = "a whole number of at most 64 bits" if (lo, hi) == (-(2**63), 2**63 - 1) else \
            f"an integer between {lo} and {hi}"
        raise _Bad(f"{where}: {key!r} must be {wanted}, got {str(value)[:40]!r}")
    return value


def _place_in_strip(obj: dict, where: str, variations: int) -> int | None:
    """Where the result in use stands among the layer's variations; None (last) where not said (older files)."""
    return None if obj.get("shown_at") is None else _int(obj, "shown_at", where, None, 0, variations)


def _str(obj: dict, key: str, where: str, default: str = "") -> str:
    value = obj.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise _Bad(f"{where}: {key!r} must be text")
    if len(value) > MAX_TEXT:
        raise _Bad(f"{where}: {key!r} is {len(value)} characters long")
    return value


def _bool(obj: dict, key: str, where: str, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise _Bad(f"{where}: {key!r} must be true or false")
    return value


def _provenance(value, where: str) -> Provenance | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Bad(f"{where}: provenance must be an object")
    return Provenance(_str(value, "model_id", where), _str(value, "prompt", where),
                      _int(value, "seed", where, 0), _int(value, "steps", where, 0, 0, 1_000_000),
                      _str(value, "phrase", where), _str(value, "hint", where))


def _box(value, where: str) -> Box:
    if not isinstance(value, list) or len(value) != 4 or not all(_is_int(v) for v in value):
        raise _Bad(f"{where}: box must be four integers [x0, y0, x1, y1]")
    box = Box(*value)
    if not all(-MAX_LAYER_SIDE <= v <= 2 * MAX_LAYER_SIDE for v in value):
        raise _Bad(f"{where}: box {box} lies absurdly far from the canvas")
    if box.width <= 0 or box.height <= 0:
        raise _Bad(f"{where}: box {box} has zero or negative area")
    if box.width > MAX_LAYER_SIDE or box.height > MAX_LAYER_SIDE:
        raise _Bad(f"{where}: box {box} is {box.width} x {box.height} px; at most {MAX_LAYER_SIDE} per side")
    return box


class _Budget:
    def __init__(self):
        self.left = MAX_PIXEL_BYTES

    def take(self, box: Box, where: str) -> None:
        self.left -= box.width * box.height * 4
        if self.left < 0:
            raise _Bad(f"{where}: the layers add up to more pixels than LayerStudio opens")


def _image(zf, members: dict, name, box: Box, where: str) -> np.ndarray:
    if not isinstance(name, str) or not _IMAGE_NAME.match(name):
        raise _Bad(f"{where}: image name {str(name)[:80]!r} is not a project image path")
    info = members.get(name)
    if info is None:
        raise _Bad(f"{where}: image {name!r} is missing from the archive")
    # A PNG of the box can exceed raw RGBA only by a small overhead (stored blocks, headers).
    limit = box.width * box.height * 4 * 2 + box.height * 16 + (1 << 16)
    raw = _read_member(zf, info, limit)
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as im:
            # The header says the size before any pixel is decoded: refuse before allocating.
            if im.size != (box.width, box.height):
                raise _Bad(f"{where}: image {name!r} is {im.size[0]} x {im.size[1]} but the box "
                           f"{box} is {box.width} x {box.height}")
            pixels = np.array(im.convert("RGBA"), dtype=np.uint8)  # a writable copy
    except _Bad:
        raise
    except Image.DecompressionBombError:
        raise _Bad(f"{where}: image {name!r} is too large") from None
    except Exception as exc:  # Pillow raises a zoo of types on broken PNGs
        raise _Damaged(f"{where}: image {name!r} is damaged ({type(exc).__name__})") from None
    if pixels.shape != (box.height, box.width, 4):
        raise _Bad(f"{where}: image {name!r} did not decode to {box.width} x {box.height} RGBA")
    return np.ascontiguousarray(pixels)


def _build(m: dict, image, warnings: list[str] | None = None) -> Document:
    """The document a manifest describes; `image(name, box, where)` gives each image's pixels. With a
    `warnings` list, an image `image` finds damaged (_Damaged) costs only itself: a layer's opens empty, a
    variation is dropped, and a sentence for the user goes to `warnings`."""
    canvas = m.get("canvas")
    if not isinstance(canvas, list) or len(canvas) != 2 or not all(_is_int(v) for v in canvas):
        raise _Bad("manifest canvas must be [width, height]")
    width, height = canvas
    try:
        check_canvas(width, height)
    except LayoutError as exc:
        raise _Bad(f"manifest: {exc}") from None
    prompt = _str(m, "prompt", "manifest")
    model_id = _str(m, "model_id", "manifest")
    entries = m.get("layers")
    if not isinstance(entries, list) or not entries:
        raise _Bad("manifest has no layers (a project has at least its background)")
    if len(entries) > MAX_LAYERS:
        raise _Bad(f"manifest lists {len(entries)} layers; at most {MAX_LAYERS} are allowed")
    canvas_box = Box(0, 0, width, height)
    budget = _Budget()
    layers = []
    for i, e in enumerate(entries):
        where = f"layer {i}"
        if not isinstance(e, dict):
            raise _Bad(f"{where} must be an object")
        box = _box(e.get("box"), where)
        if box.intersection(canvas_box) is None:
            raise _Bad(f"{where}: box {box} lies entirely outside the {width} x {height} canvas")
        opacity = e.get("opacity", 1.0)
        if isinstance(opacity, bool) or not isinstance(opacity, (int, float)) or not math.isfinite(opacity) \
                or not 0.0 <= opacity <= 1.0:
            raise _Bad(f"{where}: opacity must be a number from 0 to 1")
        name = _str(e, "name", where, "Layer")
        locked = _bool(e, "locked", where, False)
        budget.take(box, where)
        try:
            pixels = image(e.get("image"), box, where)
            damaged = False
        except _Damaged:
            if warnings is None:
                raise
            pixels = np.zeros((box.height, box.width, 4), np.uint8)
            damaged = True
        variations = []
        vars_ = e.get("variations", [])
        if not isinstance(vars_, list) or len(vars_) > MAX_VARIATIONS:
            raise _Bad(f"{where}: variations must be a list of at most {MAX_VARIATIONS}")
        shown_at = _place_in_strip(e, where, len(vars_))
        dropped = []
        for j, v in enumerate(vars_):
            vwhere = f"{where} variation {j}"
            if not isinstance(v, dict):
                raise _Bad(f"{vwhere} must be an object")
            budget.take(box, vwhere)
            seed, hint, prov = _int(v, "seed", vwhere, 0), _str(v, "hint", vwhere), \
                _provenance(v.get("provenance"), vwhere)
            try:
                variations.append(Variation(image(v.get("image"), box, vwhere), seed, hint, prov))
            except _Damaged:
                if warnings is None:
                    raise
                dropped.append(j)
                if shown_at is not None and j < shown_at:
                    shown_at -= 1  # the result in use keeps its place among the variations left
        label = f"{where} “{name if len(name) <= 60 else name[:59] + '…'}”"
        if damaged:
            redo = "unlock and regenerate it" if locked else "regenerate it"
            if variations:
                kept = "its kept variation" if len(variations) == 1 else f"one of its {len(variations)} kept variations"
                redo = f"pick {kept} or {redo}"
            warnings.append(f"{label}: its image is damaged, so it opens empty (its box, name and settings are kept); "
                            f"{redo} to draw it again")
        if dropped:
            warnings.append(f"{label}: {len(dropped)} of its {len(vars_)} kept variations "
                            f"{'was' if len(dropped) == 1 else 'were'} damaged and dropped" if len(vars_) > 1 else
                            f"{label}: its kept variation was damaged and dropped")
        layers.append(Layer(box, pixels, name=name, visible=_bool(e, "visible", where, True), opacity=float(opacity),
                            locked=locked, seed=_int(e, "seed", where, 0),
                            hint=_str(e, "hint", where), provenance=_provenance(e.get("provenance"), where),
                            variations=variations, shown_at=shown_at))
    return Document(width, height, prompt, layers, model_id)
