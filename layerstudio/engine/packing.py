"""Layer-wise region crop: only the latent tokens inside each layer's box are kept, concatenated over layers,
each with its absolute canvas position (layer, row, column in 16 px cells; negative or beyond the canvas is fine)."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from ..document import Box
from .glyphs import glyph_tokens


@dataclass
class LayerSlot:
    """One layer of one design as the engine sees it."""

    position: int  # 0 composite, 1 background, k + 1 foreground k
    box: Box  # snapped canvas box
    latent: torch.Tensor | None = None  # (C, h, w) with h = box.height / latent_factor
    glyph: torch.Tensor | None = None  # (box.height, box.width) coverage of the lettering it shows (engine/glyphs)


@dataclass
class Packed:
    tokens: torch.Tensor  # (B, N, 4C) 2x2 latent patches
    valid: torch.Tensor  # (B, N) bool: a real token, not padding
    layer: torch.Tensor  # (B, N) long: slot index of the token's layer within its design
    pos: torch.Tensor  # (B, N, 3) float: (layer position, row, column)
    local: torch.Tensor  # (B, N, 4) float: the cell centre within its own box (0..1 across, 0..1 down), box cols, rows
    layer_pos: torch.Tensor  # (B, L) long
    layer_valid: torch.Tensor  # (B, L) bool
    spans: list[list[tuple[int, int, int, int]]]  # per design, per slot: (start, end, rows, cols)
    glyph: torch.Tensor | None = None  # (B, N, grid * grid) each token's cell of its glyph; None: no slot has one

    @property
    def batch(self) -> int:
        return self.tokens.shape[0]


def patchify(latent: torch.Tensor) -> torch.Tensor:
    """(C, h, w) -> (h/2 * w/2, 4C)."""
    c, h, w = latent.shape
    x = latent.reshape(c, h // 2, 2, w // 2, 2).permute(1, 3, 0, 2, 4)
    return x.reshape((h // 2) * (w // 2), c * 4)


def token_noise(packed: Packed, offset: float) -> torch.Tensor:
    """Training noise for packed tokens: plain noise plus one constant per layer and channel, of std `offset`."""
    noise = torch.randn_like(packed.tokens)
    if offset:
        b, l = packed.layer_pos.shape
        channels = packed.tokens.shape[-1] // 4
        per_layer = offset * torch.randn(b, l, channels, device=noise.device, dtype=noise.dtype)
        # token features are (channel, 2x2 position) channel-major, as patchify lays them out
        per_layer = per_layer.repeat_interleave(4, dim=-1)
        noise += per_layer[torch.arange(b, device=noise.device)[:, None], packed.layer]
    return noise


def unpatchify(tokens: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """(rows * cols, 4C) -> (C, 2 rows, 2 cols)."""
    c = tokens.shape[1] // 4
    x = tokens.reshape(rows, cols, c, 2, 2).permute(2, 0, 3, 1, 4)
    return x.reshape(c, rows * 2, cols * 2)


@functools.lru_cache(maxsize=4096)
def _cells(rows: int, cols: int) -> np.ndarray:
    """(rows * cols, 4) float32 per cell of a box, row-major: row, column, and the cell centre across and down (0..1)."""
    row = np.arange(rows, dtype=np.float32).repeat(cols)
    col = np.tile(np.arange(cols, dtype=np.float32), rows)
    cells = np.stack([row, col, (col + np.float32(0.5)) / np.float32(cols), (row + np.float32(0.5)) / np.float32(rows)], 1)
    cells.flags.writeable = False
    return cells


def pack(designs: list[list[LayerSlot]], patch_dim: int, grid: int = 16, device=None,
         dtype=torch.float32) -> Packed:
    """Designs of slots -> a padded batch of tokens. A slot without a latent gets zero tokens (filled later).
    Positions are built in numpy and moved once: per slot torch ops cost thousands of dispatches a step (0.15 s at
    batch 96), and on a GPU each would be a launch."""
    counts = [sum((s.box.height // grid) * (s.box.width // grid) for s in d) for d in designs]
    b, n, l = len(designs), max(counts + [1]), max([len(d) for d in designs] + [1])
    tokens = torch.zeros(b, n, patch_dim, device=device, dtype=dtype)
    valid = np.zeros((b, n), bool)
    layer = np.zeros((b, n), np.int64)
    pos = np.zeros((b, n, 3), np.float32)
    local = np.zeros((b, n, 4), np.float32)
    layer_pos = np.zeros((b, l), np.int64)
    layer_valid = np.zeros((b, l), bool)
    spans = []
    glyph = None
    if any(s.glyph is not None for d in designs for s in d):
        glyph = torch.zeros(b, n, grid * grid, device=device, dtype=dtype)
    for i, design in enumerate(designs):
        start, design_spans, latents = 0, [], []
        for j, slot in enumerate(design):
            rows, cols = slot.box.height // grid, slot.box.width // grid
            end = start + rows * cols
            if slot.latent is not None:
                latents.append((start, end, patchify(slot.latent)))
            if slot.glyph is not None:
                glyph[i, start:end] = glyph_tokens(slot.glyph, grid).to(device, dtype)
            cells = _cells(rows, cols)
            pos[i, start:end, 0] = slot.position
            pos[i, start:end, 1:] = cells[:, :2] + np.array([slot.box.y0 // grid, slot.box.x0 // grid], np.float32)
            local[i, start:end, :2] = cells[:, 2:]
            local[i, start:end, 2:] = (cols, rows)
            valid[i, start:end] = True
            layer[i, start:end] = j
            design_spans.append((start, end, rows, cols))
            start = end
        layer_pos[i, :len(design)] = [slot.position for slot in design]
        layer_valid[i, :len(design)] = True
        if latents and len(latents) == len(design):  # every slot's tokens, back to back: one copy
            tokens[i, :start] = torch.cat([t for _, _, t in latents]).to(device, dtype)
        else:  # some slots wait for their latents: fill the others one by one
            for s, e, t in latents:
                tokens[i, s:e] = t.to(device, dtype)
        spans.append(design_spans)
    moved = (torch.from_numpy(a).to(device) for a in (valid, layer, pos, local, layer_pos, layer_valid))
    return Packed(tokens, *moved, spans, glyph)


def by_shape(fn, tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """fn on one stack per distinct shape, the results back in the input's order: a call per size rather than per
    layer (on a GPU each call costs launches, not arithmetic)."""
    groups: dict[tuple, list[int]] = {}
    for i, t in enumerate(tensors):
        groups.setdefault(tuple(t.shape), []).append(i)
    out: list = [None] * len(tensors)
    for index in groups.values():
        for i, result in zip(index, fn(torch.stack([tensors[i] for i in index]))):
            out[i] = result
    return out


def unpack(tokens: torch.Tensor, packed: Packed) -> list[list[torch.Tensor]]:
    """(B, N, 4C) -> per design, per slot, a (C, h, w) latent (for the first B designs of `packed`)."""
    return [[unpatchify(design[s:e], rows, cols) for s, e, rows, cols in spans]
            for design, spans in zip(tokens, packed.spans)]


def per_token(values: torch.Tensor, packed: Packed) -> torch.Tensor:
    """Per-layer values (B, L, ...) -> per-token values (B, N, ...)."""
    batch_index = torch.arange(packed.batch, device=values.device)[:, None]
    return values[batch_index, packed.layer]
