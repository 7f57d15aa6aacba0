"""`layerstudio bench train`: seconds of one transformer training step (and of the decoder step that runs every
other step) at several batch sizes, on designs rendered beforehand, so the data workers are out of it. Each timed step
takes designs no step has seen, as in training: their shapes are new to the GPU's allocator and kernels (steps on the
same designs again ran 3-10x faster on an H200 than the training loop did). Designs per second tell which batch uses
a lent GPU best."""
from __future__ import annotations

import random
import tempfile
from argparse import Namespace

import torch

from ..bench import best_time
from ..errors import UserError
from .train import DesignStream, Trainer


def bench_train(args) -> dict:
    from .. import DEFAULT_MODEL_DIR

    sizes = None
    if args.batches:  # checked before the model is built
        try:
            sizes = [int(b) for b in args.batches.split(",")]
        except ValueError:
            sizes = []
        if not sizes or min(sizes) < 1:
            raise UserError(f"--batches {args.batches}: expected batch sizes of 1 or more, e.g. 4,8,16")
    # --model alone: its own architecture; --preset alone: that preset, random, or the shipped model for 'default'
    preset = args.preset
    init = args.model or (str(DEFAULT_MODEL_DIR) if preset in (None, "default") else None)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(Namespace(out=out, preset=preset, data="corpus", steps=1, ae_steps=0, planner_steps=0,
                                    batch=1, lr=1e-5, seed=0, checkpoint_every=1, time_limit=None, resume=False,
                                    init=init, device=args.device))
    device = trainer.device
    sizes = sizes or ([48, 96, 192] if device.type == "cuda" else [4, 8, 16])
    trainer.enter_transformer_phase()
    stream = iter(DesignStream("corpus", 1, 0, trainer.cfg.canvas_presets))
    rng = random.Random(0)

    def fresh(count: int):  # the next `count` designs, rendered before the timing starts
        pool = [next(stream) for _ in range(3 * count)]  # a warm-up call, then two timed ones
        return lambda: [pool.pop() for _ in range(count)]

    def synced(fn):
        def run():
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
        return run

    def transformer_step(samples):
        trainer.model.train()
        with trainer.autocast:
            loss, _ = trainer.dit_loss(samples, rng)
        trainer._update(loss, trainer.optim, trainer._trainable().parameters())

    rows, result = [], {"model": init or f"random {preset}", "device": str(device)}
    for size in sizes:
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        try:
            batch, half = fresh(size), fresh(max(1, size // 2))
            step = best_time(synced(lambda: transformer_step(batch())), 2, warmup=True)
            decoder = best_time(synced(lambda: trainer.train_decoder(half(), rng)), 2, warmup=True)
        except torch.OutOfMemoryError:  # the sizes that fit are the answer; larger ones would not fit either
            result["out_of_memory"] = f"a batch of {size} did not fit in {device}'s memory"
            break
        per_second = size / (step + decoder / 2)  # the decoder trains every other step, on half a batch
        rows.append({"batch": size, "seconds_step": round(step, 4), "seconds_decoder_step": round(decoder, 4),
                     "designs_per_second": round(per_second, 2),
                     "speedup": round(per_second / rows[0]["designs_per_second"], 2) if rows else 1.0})
        if device.type == "cuda":
            rows[-1]["peak_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 1)
    return {**result, "rows": rows}
