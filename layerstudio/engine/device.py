"""Device and precision choice: CUDA, then MPS, then CPU, unless the user names one."""
from __future__ import annotations

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


def inference_dtype(device: torch.device) -> torch.dtype:
    """Half precision on GPUs; fp32 weights on CPU (bf16 autocast is applied per op where it pays)."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.float32
