"""Engine benchmarks: region crop vs full-canvas attention, and regenerate-one vs generate-all. Ratios measured
in one run on one machine; the absolute seconds depend on it."""
from __future__ import annotations

import numpy as np
import torch

from ..bench import best_time
from ..document import Box, Layout
from .config import BACKGROUND
from .device import autocast_for
from .model import LayerModel
from .packing import LayerSlot, pack
from .pipeline import Pipeline
from .transformer import Conditioning

CANVAS = 512


def benchmark_layout(boxes: int, seed: int = 0, size: int = CANVAS) -> Layout:
    """A fixed, seeded layout family: boxes of 2-15% of the canvas area, aspect 1:2 to 2:1, anywhere on it."""
    rng = np.random.default_rng(seed * 1000 + boxes)
    out = []
    for _ in range(boxes):
        area = rng.uniform(0.02, 0.15) * size * size
        aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
        w = int(min(size, np.sqrt(area * aspect)))
        h = int(min(size, area / max(w, 1)))
        x, y = rng.integers(0, size - w + 1), rng.integers(0, size - h + 1)
        out.append([int(x), int(y), int(x + w), int(y + h)])
    return Layout(size, size, "benchmark", out, seed).validate()


def _model(args, default_preset: str):
    from .config import preset

    if getattr(args, "model", None):
        return Pipeline.load(args.model, args.device)
    torch.manual_seed(0)
    return Pipeline(LayerModel(preset(args.preset or default_preset)), "bench", args.device)


def _timed(fn, repeats: int = 2) -> float:
    """Best of `repeats` runs after a warm-up; a single run (for the slowest cases) goes without one."""
    return best_time(fn, repeats, warmup=repeats > 1)


def bench_attention(args) -> dict:
    pipe = _model(args, "default")
    model, cfg = pipe.model, pipe.config
    c = model.autoencoder.latent_channels
    device = pipe.device
    rows = []
    for n in (1, 5, 10, 25, 50):
        layout = benchmark_layout(n)
        canvas = Box(0, 0, layout.width, layout.height)
        boxes = [canvas] + [b.snapped() for b in layout.boxes]

        def slots(full: bool):
            return [LayerSlot(BACKGROUND + i, canvas if full else b,
                              torch.randn(c, (canvas if full else b).height // 8, (canvas if full else b).width // 8))
                    for i, b in enumerate(boxes)]

        def run(packed):
            layers = len(boxes)
            text, mask, pooled = model.text([layout.prompt])
            cond = Conditioning(text, mask, pooled, torch.full((1, layers), 0.5, device=device),
                                torch.zeros(1, layers, dtype=torch.bool, device=device),
                                torch.zeros(1, layers, pooled.shape[-1], device=device, dtype=pooled.dtype))
            with torch.inference_mode(), autocast_for(device):
                model.transformer(packed, cond)
            if device.type == "cuda":  # the GPU runs behind the host: time the work, not its launch
                torch.cuda.synchronize(device)

        crop = pack([slots(False)], 4 * c, cfg.grid, device)
        full = pack([slots(True)], 4 * c, cfg.grid, device)
        seconds_crop = _timed(lambda: run(crop), 3)
        seconds_full = _timed(lambda: run(full), 2 if n <= 10 else 1)  # the smaller sizes have warmed up
        rows.append({"boxes": n, "tokens_crop": int(crop.valid.sum()), "tokens_full": int(full.valid.sum()),
                     "seconds_crop": round(seconds_crop, 4), "seconds_full": round(seconds_full, 4),
                     "ratio": round(seconds_full / seconds_crop, 2)})
    return {"model": pipe.model_id, "device": str(pipe.device), "canvas": [CANVAS, CANVAS], "rows": rows}


def bench_regenerate(args) -> dict:
    pipe = _model(args, "default")
    rows = []
    for n in (5, 20):
        layout = benchmark_layout(n, seed=1)
        steps = pipe.config.default_steps
        document = pipe.generate(layout, steps=steps)
        seconds_generate = _timed(lambda: pipe.generate(layout, steps=steps), 1)
        layer = n // 2 + 1

        def first_regeneration():  # nothing cached: every other layer is encoded, the context pass runs
            pipe.clear_caches()
            pipe.regenerate(document, layer, seed=7, steps=steps)

        seconds_first = _timed(first_regeneration, 2)
        pipe.regenerate(document, layer, seed=7, steps=steps)
        seeds = iter(range(8, 100))  # the user asks again: another seed, the same context
        seconds_again = _timed(lambda: pipe.regenerate(document, layer, seed=next(seeds), steps=steps), 2)
        rows.append({"boxes": n, "seconds_generate": round(seconds_generate, 4),
                     "seconds_regenerate_first": round(seconds_first, 4),
                     "seconds_regenerate_again": round(seconds_again, 4),
                     "ratio_first": round(seconds_first / seconds_generate, 3),
                     "ratio_again": round(seconds_again / seconds_generate, 3)})
    return {"model": pipe.model_id, "device": str(pipe.device), "steps": pipe.config.default_steps,
            "guidance": pipe.config.guidance, "rows": rows}
