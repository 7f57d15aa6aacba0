"""Device and precision choice: CUDA, then MPS, then CPU, unless the user names one."""
from __future__ import annotations

import time
from contextlib import nullcontext
from functools import lru_cache

import torch

from ..errors import UserError


def pick_device(name: str | None = None) -> torch.device:
    if name:
        try:
            device = torch.device(name)
        except RuntimeError:
            raise UserError(f"unknown device '{name}' (use cpu, cuda, cuda:N or mps)") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise UserError(f"device '{name}' asked for, but CUDA is not available here")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise UserError("device 'mps' asked for, but MPS is not available here")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def autocast_for(device: torch.device):
    """Mixed precision where it pays. Weights stay fp32 on every device, so there is one code path: bf16 weights
    without autocast (how GPUs ran before) broke wherever a float input met a bf16 layer, the planner first."""
    if device.type == "cuda":
        native_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)  # emulated on T4 / V100: slow
        return torch.autocast("cuda", dtype=torch.bfloat16 if native_bf16 else torch.float16)
    if device.type == "cpu" and cpu_bf16_pays():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext()


@lru_cache(maxsize=1)
def cpu_bf16_pays() -> bool:
    """Whether bf16 matrix products beat fp32 on this CPU. With AMX or AVX512-BF16 they are several times faster
    (255 against 50 GFLOP/s on one machine); without, several times slower (48 against 204 on another, which
    made training and generation 3-4x slower under autocast). Measured once, in about 30 ms; only a clear win
    counts, so a CPU near even does not flip between runs (and so between slightly different pixels)."""
    if not torch.backends.mkldnn.is_available():
        return False
    own = torch.Generator().manual_seed(0)  # the global generator, which seeds training, stays untouched
    a, b = torch.randn(512, 512, generator=own), torch.randn(512, 512, generator=own)

    def fastest(x, y) -> float:
        x @ y
        times = []
        for _ in range(3):
            start = time.perf_counter()
            x @ y
            times.append(time.perf_counter() - start)
        return min(times)

    return fastest(a.bfloat16(), b.bfloat16()) < 0.5 * fastest(a, b)
