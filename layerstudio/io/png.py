"""PNG export: composite.png, layers/NN.png (each layer on the full canvas, 00 = background, bottom to
top) and layout.json (canvas, prompt, and per layer name, box, seed). layout.json is also a valid layout
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


def layout_json(document: Document) -> dict:
    layers = []
    for i, layer in enumerate(document.layers):
        entry = {"file": f"layers/{i:02d}.png", "name": layer.name, "box": list(layer.box.as_tuple()),
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


def _check_layers_folder(directory: Path) -> None:
    """An earlier export's layers/ is replaced whole: refuse when it holds anything we did not write there."""
    layers = directory / "layers"
    try:
        if not layers.exists() and not layers.is_symlink():
            return
        if layers.is_symlink() or not layers.is_dir():
            raise UserError(f"cannot export to {directory}: {layers} is not a folder of an earlier export")
        foreign = sorted(p.name for p in layers.iterdir() if not re.fullmatch(r"\d{2,}\.png", p.name))
    except OSError as exc:
        raise UserError(os_error_message(exc, layers, "export")) from None
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise UserError(f"cannot export to {directory}: its layers folder holds files an export did not write "
                        f"({shown}), and an export replaces that folder whole; choose another folder")


def _save_png(pixels: np.ndarray, path: Path) -> None:
    Image.fromarray(np.ascontiguousarray(pixels), "RGBA").save(path, "PNG", compress_level=6)


def export_pngs(document: Document, directory: str | os.PathLike) -> Path:
    """Write the PNG set into `directory` (created if needed). All files appear together: they are written
    to a temporary directory and moved into place at the end (see atomic_directory)."""
    directory = Path(directory)
    _check_layers_folder(directory)
    try:
        with atomic_directory(directory, OWNED) as tmp:
            (tmp / "layers").mkdir()
            _save_png(document.compose(), tmp / "composite.png")
            for i in range(len(document.layers)):
                _save_png(document.layer_on_canvas(i), tmp / "layers" / f"{i:02d}.png")
            (tmp / "layout.json").write_text(
                json.dumps(layout_json(document), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:  # named after the folder the user chose, not our temporary one
        raise UserError(os_error_message(exc, directory / "composite.png", "export")) from None
    return directory
