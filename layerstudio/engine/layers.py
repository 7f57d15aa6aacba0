"""Building blocks shared by the autoencoder and the transformer: 3-D rotary positions, attention, norms."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint


def run_block(block: nn.Module, *args, recompute: bool = False, **kwargs):
    """A block's forward; with `recompute` (training on a GPU) its activations are recomputed in the backward pass
    instead of kept: without it the large preset filled a 140 GB H200 at one of batches 8, 16 and 32."""
    if recompute and torch.is_grad_enabled():
        return checkpoint(block, *args, use_reentrant=False, **kwargs)
    return block(*args, **kwargs)


def rope_axes(head_dim: int) -> tuple[int, int, int]:
    """Split a head's dimensions over (layer, row, column); each part even."""
    d_layer = 2 * (head_dim // 8)
    rest = head_dim - d_layer
    d_row = 2 * (rest // 4)
    return d_layer, d_row, rest - d_row


def rope_cos_sin(pos: torch.Tensor, head_dim: int, theta: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """pos: (B, N, 3) float positions (layer, row, column), any sign. Returns cos, sin of shape (B, 1, N, head_dim/2)."""
    angles = []
    for axis, dim in enumerate(rope_axes(head_dim)):
        if dim == 0:
            continue
        freqs = theta ** (-torch.arange(0, dim, 2, device=pos.device, dtype=torch.float32) / dim)
        angles.append(pos[..., axis:axis + 1].float() * freqs)
    ang = torch.cat(angles, dim=-1)[:, None]
    return ang.cos(), ang.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, H, N, D); rotates pairs (x[:half], x[half:])."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half].float(), x[..., half:].float()
    out = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return out.to(x.dtype)


# Query rows times keys above which attention runs a block of queries at a time: on a 4096 px canvas one call ran for
# over a minute, and a job's Cancel (a forward pre-hook, see pipeline) could not stop it. Rows are independent, so the
# output is the same; below this (every trained canvas size) it is one call.
ATTENTION_CHUNK = 1 << 27


class _Gate(nn.Module):
    """Does nothing: calling it between blocks of queries lets forward pre-hooks run there (a job's cancel)."""

    def forward(self, x):
        return x


_gate = _Gate()


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """q: (B, H, Nq, D), k, v: (B, H, Nk, D), mask: bool (B, 1, Nq or 1, Nk), True = may attend. -> (B, Nq, H*D)."""
    nq, nk = q.shape[2], k.shape[2]
    rows = max(1, ATTENTION_CHUNK // max(nk, 1))
    if torch.is_grad_enabled() or nq <= rows:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    else:
        per_row = mask is not None and mask.shape[2] > 1  # else a key mask, the same for every row
        out = torch.cat([F.scaled_dot_product_attention(_gate(q[:, :, a:a + rows]), k, v,
                                                        attn_mask=mask[:, :, a:a + rows] if per_row else mask)
                         for a in range(0, nq, rows)], dim=2)
    b, h, n, d = out.shape
    return out.transpose(1, 2).reshape(b, n, h * d)


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    b, n, d = x.shape
    return x.view(b, n, heads, d // heads).transpose(1, 2)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x * self.weight).to(dtype)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of t in [0, 1] (scaled by 1000), any shape -> shape + (dim,)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = (t.float() * 1000.0)[..., None] * freqs
    return torch.cat([args.cos(), args.sin()], dim=-1)


class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


def joint_mask(key_valid: torch.Tensor, key_context: torch.Tensor, query_generated: torch.Tensor) -> torch.Tensor:
    """Attention mask (B, 1, Nq, Nk): context tokens (text and given layers) see only context, so their keys and
    values do not depend on what is being generated; generated tokens see everything valid."""
    keys = key_valid[:, None, :]
    return (keys & (query_generated[:, :, None] | key_context[:, None, :]))[:, None]
