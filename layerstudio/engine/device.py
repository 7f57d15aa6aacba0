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


# x86 flags of the instructions that make bf16 matrix products fast (oneDNN uses them); without them bf16 is emulated
BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags where the system lists them (Linux on x86), else None."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return None


@lru_cache(maxsize=1)
def cpu_bf16_pays() -> bool:
    """Whether bf16 matrix products beat fp32 on this CPU. With AMX or AVX512-BF16 they are several times faster
    (255 against 50 GFLOP/s on one machine); without, several times slower (48 against 204 on another, which
    made training and generation 3-4x slower under autocast). Decided by the CPU's flags where they are known: a
    timing flipped on a busy CPU (5 of 10 starts with two busy loops), and with it the same seed's pixels."""
    if not torch.backends.mkldnn.is_available():
        return False
    flags = cpu_flags()
    if flags is not None:
        return bool(flags & BF16_CPU_FLAGS)
    return _bf16_measured_faster()


def _bf16_measured_faster() -> bool:
    """Where no flags are listed (macOS, Windows, ARM): measured, in about 30 ms; only a clear win counts."""
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
