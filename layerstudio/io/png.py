"""PNG export: composite.png, layers/NN Name.png (each layer on the full canvas, 00 = background, bottom to
top, named after the layer so a folder of them reads like the Layers panel) and layout.json (canvas, prompt,
and per layer name, box, seed). layout.json is also a valid layout
file for `layerstudio generate --layout`: it carries "boxes" and "seed" as that format has them."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
from PIL import Image

from ..document import Document
from ..errors import UserError
from .atomic import atomic_directory, os_error_message

OWNED = ("composite.png", "layers", "layout.json")
# what Windows, macOS and Linux file names cannot hold (and '.' or ' ' at the end: Windows drops them)
_NOT_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
NAME_IN_FILE = 60  # characters of a layer's name its file keeps
# an export's layer files: layers/NN.png (before names were added), layers/NN Name.png
_LAYER_FILE = re.compile(r"layers/\d{2,}(?: [^/\\]+)?\.png")


def layer_file(index: int, name: str) -> str:
    """The file of layer `index` named `name` in an export: 'layers/01 Red star.png'."""
    shown = _NOT_IN_FILE_NAMES.sub("_", name)[:NAME_IN_FILE].rstrip(". ")
    return f"layers/{index:02d} {shown}.png" if shown.strip(" _") else f"layers/{index:02d}.png"


def layout_json(document: Document) -> dict:
    layers = []
    for i, layer in enumerate(document.layers):
        entry = {"file": layer_file(i, layer.name), "name": layer.name, "box": list(layer.box.as_tuple()),
                 "seed": layer.seed, "visible": layer.visible, "opacity": layer.opacity}
        if layer.hint:
            entry["hint"] = layer.hint
        if layer.provenance is not None:
            entry["provenance"] = layer.provenance.to_json()
        layers.append(entry)
    return {
        "canvas": [document.width, document.height],
        "prompt": document.prompt,
        "model_id": document.model_id,
        "boxes": [list(l.box.as_tuple()) for l in document.layers[1:]],
        "seed": document.layers[0].seed if document.layers else 0,
        "layers": layers,
    }


def earlier_export(directory: str | os.PathLike) -> bool:
    """Whether `directory` holds an earlier PNG export, which a new one replaces (False: none of its names are
    there). UserError where files of those names are there that no export wrote: a composite.png or layout.json of
    the user's, or a layers folder with files the earlier export's layout.json does not list (they were
    overwritten or deleted with no word: a user's layers/99.png was)."""
    directory = Path(directory)
    try:
        present = [name for name in OWNED if (directory / name).exists() or (directory / name).is_symlink()]
        if not present:
            return False
        listed = _files_listed(directory / "layout.json")
        layers = directory / "layers"
        if listed is not None and (layers.is_symlink() or (layers.exists() and not layers.is_dir())):
            listed = None
        foreign = sorted(p.name for p in layers.iterdir() if listed is None or f"layers/{p.name}" not in listed
                         ) if layers.is_dir() and not layers.is_symlink() else []
    except OSError as exc:
        raise UserError(os_error_message(exc, directory, "export")) from None
    if listed is None:
        present = [f"{name} ({_some(foreign)})" if name == "layers" and foreign else name for name in present]
        raise UserError(f"cannot export to {directory}: it holds {', '.join(present)} that no export wrote (an "
                        "export writes those names); choose another folder")
    if foreign:
        raise UserError(f"cannot export to {directory}: its layers folder holds files an export did not write "
                        f"({_some(foreign)}), and an export replaces that folder whole; choose another folder")
    return True


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _files_listed(layout: Path) -> set[str] | None:
    """The layer files an export's layout.json lists, or None where it is missing or no export's."""
    try:
        data = json.loads(layout.read_bytes())
        files = {entry["file"] for entry in data["layers"]}
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    if not isinstance(data.get("canvas"), list) or not all(
            isinstance(f, str) and _LAYER_FILE.fullmatch(f) for f in files):
        return None
    return files


def _save_png(pixels: np.ndarray, path: Path) -> None:
    Image.fromarray(np.ascontiguousarray(pixels), "RGBA").save(path, "PNG", compress_level=6)


def export_pngs(document: Document, directory: str | os.PathLike) -> Path:
    """Write the PNG set into `directory` (created if needed). All files appear together: they are written
    to a temporary directory and moved into place at the end (see atomic_directory)."""
    directory = Path(directory)
    earlier_export(directory)
    try:
        with atomic_directory(directory, OWNED) as tmp:
            (tmp / "layers").mkdir()
            _save_png(document.compose(), tmp / "composite.png")
            for i, layer in enumerate(document.layers):
                _save_png(document.layer_on_canvas(i), tmp / layer_file(i, layer.name))
            (tmp / "layout.json").write_text(
                json.dumps(layout_json(document), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:  # named after the folder the user chose, not our temporary one
        raise UserError(os_error_message(exc, directory / "composite.png", "export")) from None
    return directory
