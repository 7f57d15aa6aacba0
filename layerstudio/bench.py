"""`layerstudio bench ...`: each benchmark returns one dict; --json prints it, otherwise a table."""
from __future__ import annotations

import importlib
import json
import time

BENCHMARKS = {
    "attention": "layerstudio.engine.bench:bench_attention",
    "regenerate": "layerstudio.engine.bench:bench_regenerate",
    "ui": "layerstudio.app.bench_ui:bench_ui",
    "export": "layerstudio.io.bench_export:bench_export",
    "train": "layerstudio.training.bench_train:bench_train",
}


def best_time(fn, repeats: int = 1, warmup: bool = False) -> float:
    """Best wall time of `repeats` calls (after one untimed call if `warmup`)."""
    if warmup:
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_bench(args) -> int:
    module_name, func_name = BENCHMARKS[args.which].split(":")
    result = getattr(importlib.import_module(module_name), func_name)(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(result))
    return 0


def format_table(result: dict) -> str:
    rows = result.get("rows")
    if not rows:
        return "\n".join(f"{k:>16}  {v}" for k, v in result.items())
    keys = list(rows[0])
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)
    widths = [max(len(k), *(len(fmt(r[k])) for r in rows)) for k in keys]
    lines = ["  ".join(k.rjust(w) for k, w in zip(keys, widths))]
    lines += ["  ".join(fmt(r[k]).rjust(w) for k, w in zip(keys, widths)) for r in rows]
    extra = {k: v for k, v in result.items() if k != "rows"}
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)
