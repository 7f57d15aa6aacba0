"""safetensors weights with a schema check: every tensor named, shaped and accounted for before any computation."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import UserError


def save_weights(model: nn.Module, path: str | Path, dtype: torch.dtype | None = None,
                 metadata: dict | None = None) -> None:
    from safetensors.torch import save

    tensors = {}
    for name, value in model.state_dict().items():
        value = value.detach().to("cpu")
        if dtype is not None and value.is_floating_point():
            value = value.to(dtype)
        tensors[name] = value.contiguous()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    # Written by Python, not by safetensors' own writer, so a full disk is an OSError naming the problem
    data = save(tensors, metadata={"format": "pt", **(metadata or {})})
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_schema(model: nn.Module, shapes: dict[str, tuple[int, ...]], source: str) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = sorted(set(expected) - set(shapes))
    if missing:
        name = missing[0]
        raise UserError(f"{source}: missing tensor '{name}' (expected shape {expected[name]})"
                        + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    unexpected = sorted(set(shapes) - set(expected))
    if unexpected:
        name = unexpected[0]
        raise UserError(f"{source}: unexpected tensor '{name}' with shape {shapes[name]}"
                        + (f" and {len(unexpected) - 1} more" if len(unexpected) > 1 else ""))
    for name, shape in expected.items():
        if tuple(shapes[name]) != shape:
            raise UserError(f"{source}: tensor '{name}' has shape {tuple(shapes[name])}, the model expects {shape}")


def check_finite(name: str, tensor: torch.Tensor, source: str) -> None:
    """NaN or infinity in a weight (a diverged run, a damaged file) makes every output NaN, which draws as black
    or empty layers without any error: refuse such weights when they load."""
    if tensor.is_floating_point():
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            raise UserError(f"{source}: tensor '{name}' holds {bad} NaN or infinite value{'' if bad == 1 else 's'} "
                            f"(of {tensor.numel()}); the weights are damaged or come from a diverged training run")


def load_weights(model: nn.Module, path: str | Path) -> dict[str, str]:
    """Load into `model` (keeping its dtype and device); returns the file's metadata."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise UserError(f"weights file {path} does not exist")
    try:
        with safe_open(str(path), framework="pt") as f:
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
            check_schema(model, shapes, str(path))
            state = model.state_dict()
            tensors = {}
            for k in shapes:
                tensors[k] = f.get_tensor(k).to(device=state[k].device, dtype=state[k].dtype)
                check_finite(k, tensors[k], str(path))
            metadata = f.metadata() or {}
    except SafetensorError as exc:
        raise UserError(f"weights file {path} is corrupt or not safetensors: {exc}") from None
    except OSError as exc:
        raise UserError(f"cannot read weights file {path}: {exc.strerror or exc}") from None
    model.load_state_dict(tensors, strict=True)
    return metadata
