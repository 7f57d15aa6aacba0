"""`layerstudio bench export`: PSD export and import of 50 layers on a 2048 x 2048 canvas, against the
export psd-tools gives by itself (PSDImage.save() recomposing the merged image), measured in one run."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..bench import best_time
from ..document import Box, Document, Layer

CANVAS = 2048
LAYERS = 50


def bench_document(width: int = CANVAS, height: int = CANVAS, layers: int = LAYERS, seed: int = 0) -> Document:
    """A seeded design: an opaque gradient background and `layers` foreground layers of soft-edged
    discs and gradients (alpha ramps, flat runs and noise, like generated layers), some overflowing."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    bg = np.empty((height, width, 4), np.uint8)
    bg[..., 0] = (xx / width * 255).astype(np.uint8)
    bg[..., 1] = (yy / height * 255).astype(np.uint8)
    bg[..., 2] = 128
    bg[..., 3] = 255
    doc = Document(width, height, "benchmark", [Layer(Box(0, 0, width, height), bg, name="Background")])
    for i in range(layers):
        w, h = (int(v) for v in rng.integers(64, width // 3, 2) // 16 * 16 + 16)
        x0 = int(rng.integers(-w // 4, width - 3 * w // 4))
        y0 = int(rng.integers(-h // 4, height - 3 * h // 4))
        ly, lx = np.mgrid[0:h, 0:w].astype(np.float32)
        r = np.hypot((lx - w / 2) / (w / 2), (ly - h / 2) / (h / 2))
        pix = np.empty((h, w, 4), np.uint8)
        colour = rng.integers(0, 256, 3)
        pix[..., :3] = colour
        pix[..., 0] = np.clip(colour[0] + lx / w * 60, 0, 255).astype(np.uint8)
        pix[..., 3] = (np.clip((1.0 - r) * 4.0, 0, 1) * 255).astype(np.uint8)
        if i % 5 == 0:  # some texture: RLE must cope with noisy runs too
            pix[..., 2] = rng.integers(0, 256, (h, w), dtype=np.uint8)
        doc.layers.append(Layer(Box(x0, y0, x0 + w, y0 + h), pix, name=f"Layer {i + 1} ✦",
                                opacity=0.5 + 0.5 * (i % 2), visible=i % 7 != 3, seed=i))
    return doc


def psd_tools_export(doc: Document, path: Path) -> None:
    """The export psd-tools' documented API gives: RGBA document, pixel layers, save() composes the
    merged image with psd-tools' own compositor. (ASCII names first: a Unicode name crashes save().)"""
    from PIL import Image
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer
    from psd_tools.constants import Compression

    psd = PSDImage.new("RGBA", (doc.width, doc.height))
    for i, layer in enumerate(doc.layers):
        pl = PixelLayer.frompil(Image.fromarray(layer.pixels, "RGBA"), psd, name=f"Layer {i}",
                                top=layer.box.y0, left=layer.box.x0, compression=Compression.RLE)
        pl.name = layer.name
        pl.visible = layer.visible
        pl.opacity = int(round(layer.opacity * 255))
    psd.save(path)


def bench_export(args=None) -> dict:
    from PIL import Image

    from .project import load_project, save_project
    from .psd import export_psd, import_psd

    size = int(getattr(args, "size", None) or CANVAS)
    count = int(getattr(args, "layers", None) or LAYERS)
    doc = bench_document(size, size, count)
    with tempfile.TemporaryDirectory() as tmp:
        ours = Path(tmp) / "ours.psd"
        naive = Path(tmp) / "naive.psd"
        export_s = best_time(lambda: export_psd(doc, ours), repeats=2)
        import_s = best_time(lambda: import_psd(ours))
        compose_s = best_time(doc.compose)
        project = Path(tmp) / "ours.lsproj"
        project_save_s = best_time(lambda: save_project(doc, project))  # what one autosave costs
        project_load_s = best_time(lambda: load_project(project))

        naive_s = best_time(lambda: psd_tools_export(doc, naive))
        # The merged image as a plain reader (Pillow, thumbnailers) sees it.
        with Image.open(ours) as im:
            merged_alpha = int(np.asarray(im.convert("RGBA"))[..., 3].max())
        with Image.open(naive) as im:
            naive_alpha = int(np.asarray(im.convert("RGBA"))[..., 3].max())
        return {
            "canvas": f"{size}x{size}", "layers": count + 1,
            "export_s": round(export_s, 3), "import_s": round(import_s, 3),
            "compose_s": round(compose_s, 3),
            "project_save_s": round(project_save_s, 3), "project_load_s": round(project_load_s, 3),
            "psd_tools_save_s": round(naive_s, 3),
            "speedup_vs_psd_tools": round(naive_s / export_s, 1),
            "file_mb": round(ours.stat().st_size / 1e6, 2),
            "psd_tools_file_mb": round(naive.stat().st_size / 1e6, 2),
            "merged_alpha_max": merged_alpha,
            "psd_tools_merged_alpha_max": naive_alpha,
        }
