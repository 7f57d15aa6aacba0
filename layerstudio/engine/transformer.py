"""The Anonymous Region Transformer: an MM-DiT (double-stream, then single-stream blocks) over text tokens and the
box-cropped latent tokens of every layer, with 3-D rotary positions in absolute canvas coordinates and a timestep
per layer (t = 0: the layer is given context and stays; t > 0: it is being generated).

Context tokens (text and given layers) attend only to context, so their keys and values are fixed for a whole job:
`encode_context` computes them once, and each sampling step runs only the generated tokens against that cache."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig
from .layers import (MLP, RMSNorm, apply_rope, attention, joint_mask, rope_cos_sin, run_block, split_heads,
                     timestep_embedding)
from .packing import Packed, per_token

TIME_DIM = 256
PLACE_FREQUENCIES = (1, 2, 4, 8)
PLACE_FEATURES = 4 * len(PLACE_FREQUENCIES) + 2


def place_in_box(local: torch.Tensor) -> torch.Tensor:
    """(B, N, 4) cell place within its box and the box's size in cells -> (B, N, PLACE_FEATURES) Fourier features.
    Rotary positions are absolute on the canvas; a shape scales with its box, so each token is told where in
    its own box it sits (otherwise it must find the box's edges through attention: the small model never did,
    and drew every object as the same box-filling blob)."""
    angles = torch.pi * local[..., :2, None] * local.new_tensor(PLACE_FREQUENCIES)
    size = torch.log2(local[..., 2:].clamp(min=1)) / 4
    return torch.cat([angles.sin().flatten(-2), angles.cos().flatten(-2), size], dim=-1)


class Stream(nn.Module):
    """The per-stream half of a double block: modulation, qkv, output projection and MLP."""

    def __init__(self, width: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.heads = heads
        self.mod = nn.Linear(width, 6 * width)
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(width, 3 * width)
        self.q_norm = RMSNorm(width // heads)
        self.k_norm = RMSNorm(width // heads)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = MLP(width, int(width * mlp_ratio))
        nn.init.zeros_(self.mod.weight)
        nn.init.zeros_(self.mod.bias)

    def qkv_of(self, x, mod, rope):
        shift, scale = mod[0], mod[1]
        q, k, v = self.qkv(self.norm1(x) * (1 + scale) + shift).chunk(3, dim=-1)
        q, k, v = (split_heads(t, self.heads) for t in (q, k, v))
        q, k = self.q_norm(q), self.k_norm(k)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        return q, k, v

    def finish(self, x, attn_out, mod):
        x = x + mod[2] * self.proj(attn_out)
        return x + mod[5] * self.mlp(self.norm2(x) * (1 + mod[4]) + mod[3])


class DoubleBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.img = Stream(width, heads, mlp_ratio)
        self.txt = Stream(width, heads, mlp_ratio)

    def forward(self, img, img_vec, img_rope, txt=None, txt_vec=None, prefix=None, mask=None, record=None):
        img_mod = self.img.mod(img_vec).chunk(6, dim=-1)
        qs, ks, vs = [], [], []
        if prefix is not None:
            ks.append(prefix[0])
            vs.append(prefix[1])
        if txt is not None:
            txt_mod = self.txt.mod(txt_vec).chunk(6, dim=-1)
            q, k, v = self.txt.qkv_of(txt, txt_mod, None)
            qs.append(q), ks.append(k), vs.append(v)
        q, k, v = self.img.qkv_of(img, img_mod, img_rope)
        qs.append(q), ks.append(k), vs.append(v)
        k, v = torch.cat(ks, dim=2), torch.cat(vs, dim=2)
        if record is not None:
            record.append((k, v))
        out = attention(torch.cat(qs, dim=2), k, v, mask)
        if txt is not None:
            t = txt.shape[1]
            txt = self.txt.finish(txt, out[:, :t], txt_mod)
            out = out[:, t:]
        return self.img.finish(img, out, img_mod), txt


class SingleBlock(nn.Module):
    """FLUX-style parallel block: one projection gives qkv and the MLP input; one projection back."""

    def __init__(self, width: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.heads, self.width = heads, width
        self.hidden = int(width * mlp_ratio)
        self.mod = nn.Linear(width, 3 * width)
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.lin1 = nn.Linear(width, 3 * width + self.hidden)
        self.q_norm = RMSNorm(width // heads)
        self.k_norm = RMSNorm(width // heads)
        self.lin2 = nn.Linear(width + self.hidden, width)
        nn.init.zeros_(self.mod.weight)
        nn.init.zeros_(self.mod.bias)

    def forward(self, x, vec, rope, prefix=None, mask=None, record=None):
        shift, scale, gate = self.mod(vec).chunk(3, dim=-1)
        h = self.lin1(self.norm(x) * (1 + scale) + shift)
        qkv, mlp = h.split([3 * self.width, self.hidden], dim=-1)
        q, k, v = (split_heads(t, self.heads) for t in qkv.chunk(3, dim=-1))
        q, k = self.q_norm(q), self.k_norm(k)
        q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if prefix is not None:
            k, v = torch.cat([prefix[0], k], dim=2), torch.cat([prefix[1], v], dim=2)
        if record is not None:
            record.append((k, v))
        out = attention(q, k, v, mask)
        return x + gate * self.lin2(torch.cat([out, F.gelu(mlp, approximate="tanh")], dim=-1))


@dataclass
class Conditioning:
    """Per design: text tokens, their mask and pooled vector; per layer: timestep, given flag, pooled hint."""

    text: torch.Tensor  # (B, T, Dt)
    text_mask: torch.Tensor  # (B, T) bool
    pooled: torch.Tensor  # (B, Dt)
    layer_t: torch.Tensor  # (B, L)
    layer_given: torch.Tensor  # (B, L) bool
    hint: torch.Tensor  # (B, L, Dt), zeros where a layer has no hint
    # Decomposition: the composite's latent tokens as a canvas grid (B, rows, cols, 4C) and which designs have one.
    composite: torch.Tensor | None = None
    composite_present: torch.Tensor | None = None  # (B, rows, cols) bool: the cell is on that design's canvas


def composite_grid(tokens: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """The composite slot's packed tokens (rows * cols, 4C) -> (rows, cols, 4C)."""
    return tokens.reshape(rows, cols, tokens.shape[-1])


def aligned_composite(grid: torch.Tensor, present: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """Per image token, the composite token at the same canvas cell plus a 'there is one' flag: (B, N, 4C + 1).
    Zero off the canvas (`present` False: beyond a smaller canvas in a padded batch, or no composite at all)."""
    b, rows, cols, p = grid.shape
    r, c = pos[..., 1].long(), pos[..., 2].long()
    flat = r.clamp(0, rows - 1) * cols + c.clamp(0, cols - 1)
    inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols) & present.reshape(b, rows * cols).gather(1, flat)
    gathered = grid.reshape(b, rows * cols, p).gather(1, flat[..., None].expand(-1, -1, p)) * inside[..., None]
    return torch.cat([gathered, inside[..., None].to(gathered.dtype)], dim=-1)


@dataclass
class ContextCache:
    kv: list[tuple[torch.Tensor, torch.Tensor]]  # per block (double blocks first): keys and values of context
    key_valid: torch.Tensor  # (B, Nc) bool
    text_vec: torch.Tensor  # (B, 1, D)


class LayerTransformer(nn.Module):
    def __init__(self, cfg: ModelConfig, text_width: int):
        super().__init__()
        tc = cfg.transformer
        d = tc.width
        self.cfg = cfg
        self.head_dim = d // tc.heads
        patch_dim = cfg.autoencoder.latent_channels * 4
        self.img_in = nn.Linear(patch_dim, d)
        self.layer_embed = nn.Embedding(cfg.max_layers, d)
        self.txt_in = nn.Linear(text_width, d)
        self.time_mlp = nn.Sequential(nn.Linear(TIME_DIM, d), nn.SiLU(), nn.Linear(d, d))
        self.text_vec = nn.Sequential(nn.Linear(text_width, d), nn.SiLU(), nn.Linear(d, d))
        self.hint_vec = nn.Linear(text_width, d)
        self.given_embed = nn.Embedding(2, d)
        # Decomposition reads the composite at each token's own cell directly, not only through attention:
        # the pixel-aligned shortcut image-conditioned diffusion models use (zero-initialised).
        self.composite_in = nn.Linear(patch_dim + 1, d)
        nn.init.zeros_(self.composite_in.weight)
        nn.init.zeros_(self.composite_in.bias)
        self.box_in = nn.Linear(PLACE_FEATURES, d)  # zero-initialised too: a model trained without it starts unchanged
        nn.init.zeros_(self.box_in.weight)
        nn.init.zeros_(self.box_in.bias)
        # Quoted words rendered into the layer's box, each token its own cell (engine/glyphs.py); zero-initialised.
        # None in models trained before it (LayerModel.load): they draw words from the text alone.
        self.glyph_in: nn.Linear | None = nn.Linear(cfg.grid * cfg.grid, d)
        nn.init.zeros_(self.glyph_in.weight)
        nn.init.zeros_(self.glyph_in.bias)
        self.double_blocks = nn.ModuleList(DoubleBlock(d, tc.heads, tc.mlp_ratio) for _ in range(tc.double_blocks))
        self.single_blocks = nn.ModuleList(SingleBlock(d, tc.heads, tc.mlp_ratio) for _ in range(tc.single_blocks))
        self.recompute = False  # the trainer sets it on GPUs (layers.run_block)
        self.final_norm = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.final_mod = nn.Linear(d, 2 * d)
        self.final = nn.Linear(d, patch_dim)
        for lin in (self.final_mod, self.final):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    # -- shared pieces
    def _layer_vecs(self, cond: Conditioning) -> torch.Tensor:
        """(B, L, D) conditioning vector per layer, already through SiLU for the modulation layers."""
        vec = (self.time_mlp(timestep_embedding(cond.layer_t, TIME_DIM)) + self.hint_vec(cond.hint)
               + self.given_embed(cond.layer_given.long()) + self.text_vec(cond.pooled)[:, None])
        return F.silu(vec)

    def _img_tokens(self, packed: Packed, cond: Conditioning) -> torch.Tensor:
        x = (self.img_in(packed.tokens) + self.layer_embed(packed.pos[..., 0].long())
             + self.box_in(place_in_box(packed.local).to(packed.tokens.dtype)))
        if cond.composite is not None:
            aligned = aligned_composite(cond.composite, cond.composite_present, packed.pos)
            x = x + self.composite_in(aligned.to(x.dtype))
        if packed.glyph is not None and self.glyph_in is not None:
            x = x + self.glyph_in(packed.glyph.to(x.dtype))
        return x

    def _rope(self, pos: torch.Tensor):
        return rope_cos_sin(pos, self.head_dim)

    def _out(self, img, img_vec):
        shift, scale = self.final_mod(img_vec).chunk(2, dim=-1)
        return self.final(self.final_norm(img) * (1 + scale) + shift)

    # -- one pass over everything, with the context mask (training, and the reference for the cached path)
    def forward(self, packed: Packed, cond: Conditioning, key_visible: torch.Tensor | None = None,
                mid: list | None = None) -> torch.Tensor:
        """Velocity (B, N, 4C) for every image token (only generated tokens are meaningful). `mid`, if given,
        receives the image tokens after the double-stream blocks (training reads them)."""
        b, t = cond.text.shape[:2]
        img = self._img_tokens(packed, cond)
        txt = self.txt_in(cond.text)
        layer_vec = self._layer_vecs(cond)
        img_vec = per_token(layer_vec, packed)
        txt_vec = F.silu(self.text_vec(cond.pooled))[:, None]
        given = per_token(cond.layer_given, packed) & packed.valid
        generated = per_token(~cond.layer_given, packed) & packed.valid
        img_keys = packed.valid if key_visible is None else packed.valid & key_visible
        key_valid = torch.cat([cond.text_mask, img_keys], dim=1)
        key_context = torch.cat([cond.text_mask, given], dim=1)
        query_generated = torch.cat([torch.zeros_like(cond.text_mask), generated], dim=1)
        mask = joint_mask(key_valid, key_context, query_generated)
        img_rope = self._rope(packed.pos)
        for block in self.double_blocks:
            img, txt = run_block(block, img, img_vec, img_rope, txt, txt_vec, mask=mask, recompute=self.recompute)
        if mid is not None:
            mid.append(img)
        x = torch.cat([txt, img], dim=1)
        vec = torch.cat([txt_vec.expand(b, t, -1), img_vec], dim=1)
        rope = self._rope(torch.cat([torch.zeros(b, t, 3, device=img.device), packed.pos], dim=1))
        for block in self.single_blocks:
            x = run_block(block, x, vec, rope, mask=mask, recompute=self.recompute)
        return self._out(x[:, t:], img_vec)

    # -- cached path for sampling
    def encode_context(self, packed: Packed, cond: Conditioning) -> ContextCache:
        """Run text + given layers once (`packed` holds only given layers, `cond` describes those layers)."""
        b, t = cond.text.shape[:2]
        img = self._img_tokens(packed, cond)
        txt = self.txt_in(cond.text)
        img_vec = per_token(self._layer_vecs(cond), packed)
        txt_vec = F.silu(self.text_vec(cond.pooled))[:, None]
        key_valid = torch.cat([cond.text_mask, packed.valid], dim=1)
        mask = key_valid[:, None, None, :]
        img_rope = self._rope(packed.pos)
        kv: list = []
        for block in self.double_blocks:
            img, txt = block(img, img_vec, img_rope, txt, txt_vec, mask=mask, record=kv)
        x = torch.cat([txt, img], dim=1)
        vec = torch.cat([txt_vec.expand(b, t, -1), img_vec], dim=1)
        rope = self._rope(torch.cat([torch.zeros(b, t, 3, device=img.device), packed.pos], dim=1))
        for block in self.single_blocks:
            x = block(x, vec, rope, mask=mask, record=kv)
        return ContextCache(kv, key_valid, txt_vec)

    def forward_generated(self, packed: Packed, cond: Conditioning, cache: ContextCache) -> torch.Tensor:
        """Velocity for the generated layers only (`packed` and `cond` describe just those layers)."""
        img = self._img_tokens(packed, cond)
        img_vec = per_token(self._layer_vecs(cond), packed)
        mask = torch.cat([cache.key_valid, packed.valid], dim=1)[:, None, None, :]
        rope = self._rope(packed.pos)
        kv = iter(cache.kv)
        for block in self.double_blocks:
            img, _ = block(img, img_vec, rope, prefix=next(kv), mask=mask)
        for block in self.single_blocks:
            img = block(img, img_vec, rope, prefix=next(kv), mask=mask)
        return self._out(img, img_vec)
