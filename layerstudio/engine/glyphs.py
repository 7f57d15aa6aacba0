"""Glyph conditioning: words in quotes are rendered with the font that ships with Pillow, fitted to the layer's box,
and each transformer token is given the coverage of its own 16 x 16 px cell (`LayerTransformer.glyph_in`).

The small model could not learn to spell from character tokens: 'FUN' came out as glyph-like squiggles. Text
diffusion models (GlyphControl, TextDiffuser) give the model the rendered text as an image instead; here it says
where the letters' strokes go, and the model still draws the layer's colour, fill and effects. The corpus draws its
words with this same renderer, so in training the glyph is exactly the letters' coverage.

A description that quotes nothing but names a shape or an icon the corpus draws ('a red star', 'a green owl
icon') gets that object's silhouette the same way (engine/silhouettes.py): the small model drew such objects as
lumps, and its icons as blobs."""
from __future__ import annotations

import random
import re
import unicodedata
from functools import lru_cache

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .silhouettes import SHAPES, facing, fit_coverage, icon_master, named_object, silhouette
from .text import quoted_ranges

# a layer's lettering, not a paragraph: longer text is cut, with a notice (the master grows with it); a quote post's
# 100 characters letter legibly in four lines of a 224 px box
MAX_GLYPH_CHARS = 120
LEGIBLE_PX = 12  # letters lower than this come out a smudge: the model works in 16 px cells
# Room left for a drop shadow or a glow beyond the letters (left, top, right, bottom), as shares of the letters'
# smaller side: fitted to where the corpus puts the letters of such layers (training/corpus.py `_effects`, `_fill`;
# shadows fall below).
SHADOW_PAD = (0.08, 0.02, 0.08, 0.10)
GLOW_PAD = (0.14, 0.14, 0.14, 0.14)
NO_PAD = (0.0, 0.0, 0.0, 0.0)


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=256)
def text_master(text: str) -> tuple[np.ndarray, float] | None:
    """Coverage of `text` at a large size, cropped to its ink, and its aspect ratio (w / h); None without ink."""
    f = font(160)
    x0, y0, x1, y1 = f.getbbox(text)
    if x1 <= x0 or y1 <= y0:
        return None
    img = Image.new("L", (x1 - x0 + 8, y1 - y0 + 8), 0)
    ImageDraw.Draw(img).text((4 - x0, 4 - y0), text, font=f, fill=255)
    return _inked(img)


def _inked(img: Image.Image) -> tuple[np.ndarray, float] | None:
    """The picture cropped to its ink, and the ink's aspect ratio (w / h); None without ink."""
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr)
    if len(ys) == 0:
        return None
    arr = arr[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    return arr, arr.shape[1] / arr.shape[0]


@lru_cache(maxsize=4096)
def drawable(char: str) -> bool:
    """Whether the font has the character: one it lacks draws as the font's empty box (emoji, CJK, many symbols)."""
    if char.isspace():
        return True
    f = font(32)
    return bytes(f.getmask(char)) != bytes(f.getmask("\ue000"))  # a private-use character: the empty box


# letters the font lacks that no accent stripping reaches, as people write them without the letter
_SPELLED_OUT = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
                "đ": "d", "Đ": "D", "—": "-", "–": "-", "…": "..."}


def letterable(text: str) -> str:
    """`text` as the font can letter it: a letter it lacks as its base letter ('Café' -> 'Cafe'; the font has no
    accented letters), other characters it lacks left out ('I ❤ NY' -> 'I NY'), spaces run together."""
    out = []
    for char in text:
        if not drawable(char):
            plain = _SPELLED_OUT.get(char) or "".join(c for c in unicodedata.normalize("NFKD", char)
                                                      if not unicodedata.combining(c))
            char = plain if plain and all(drawable(c) for c in plain) else " "
        out.append(char)
    return " ".join("".join(out).split())


def quoted_text(description: str) -> str:
    """A description's quoted text ("the word 'SALE' in red" -> 'SALE'), several quotes joined by a space; '' when it
    quotes nothing."""
    pieces = []
    for start, end in quoted_ranges(description):
        piece = " ".join(description[start + 1:end - 1].split())
        if piece:
            pieces.append(piece)
    return " ".join(pieces)


def drawn_text(description: str) -> str:
    """The lettering a layer's description asks for: its `quoted_text`, `within_lettering_limit`."""
    return within_lettering_limit(quoted_text(description))


def within_lettering_limit(text: str) -> str:
    """`text` up to the last whole word within MAX_GLYPH_CHARS (a word longer than that cut)."""
    if len(text) <= MAX_GLYPH_CHARS:
        return text
    head = text[:MAX_GLYPH_CHARS + 1]
    return head.rsplit(" ", 1)[0] if " " in head else text[:MAX_GLYPH_CHARS]


def fitted_rect(aspect: float, w: int, h: int, pad=NO_PAD) -> tuple[float, float, float, float]:
    """The largest rectangle of `aspect` in a w x h box that leaves `pad` (left, top, right, bottom; shares of its
    smaller side) free, centred in what is left (the corpus fits its objects to their boxes the same way)."""
    left, top, right, bottom = pad
    height = min(w / aspect, float(h))  # the pad grows with the letters: a few rounds settle it
    for _ in range(4):
        side = height * min(aspect, 1.0)
        height = min((w - (left + right) * side) / aspect, h - (top + bottom) * side)
    width, side = height * aspect, height * min(aspect, 1.0)
    x0 = left * side + (w - (left + right) * side - width) / 2
    y0 = top * side + (h - (top + bottom) * side - height) / 2
    return x0, y0, x0 + width, y0 + height


@lru_cache(maxsize=256)
def _text_block(lines: tuple[str, ...]) -> tuple[np.ndarray, float] | None:
    """`text_master` of several lines, centred under each other."""
    f = font(160)
    text = "\n".join(lines)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    x0, y0, x1, y1 = (int(round(v)) for v in probe.multiline_textbbox((0, 0), text, font=f, align="center", spacing=24))
    img = Image.new("L", (x1 - x0 + 8, y1 - y0 + 8), 0)
    ImageDraw.Draw(img).multiline_text((4 - x0, 4 - y0), text, font=f, fill=255, align="center", spacing=24)
    return _inked(img)


def _balanced(words: list[str], n: int) -> tuple[str, ...]:
    """The words in `n` lines as even in length as the breaks allow."""
    total = len(" ".join(words))
    lines, current = [], []
    for k, word in enumerate(words):
        left = len(words) - k  # words not yet placed, this one included
        if current and (len(" ".join(current + [word])) > total / n * 1.15 or left < n - len(lines)) \
                and len(lines) < n - 1:
            lines.append(" ".join(current))
            current = []
        current.append(word)
    return tuple(lines + [" ".join(current)])


MORE_LINES = 1.25  # a line more only where the letters come out this much taller


def lettering(text: str, w: int, h: int, pad=NO_PAD) -> tuple[np.ndarray, tuple, float] | None:
    """(coverage master, its rect in a w x h box, the letters' height in px) of `text` lettered on one line or
    broken into up to four, whichever letters it tallest: a sentence in a square box came out on one line a few
    px tall (the corpus letters one line, fitted to its box; the model follows the glyph it is given)."""
    master = text_master(text)
    if master is None:
        return None
    rect = fitted_rect(master[1], w, h, pad)
    best = (master[0], rect, rect[3] - rect[1])
    words = text.split()
    for n in range(2, min(4, len(words)) + 1):
        block = _text_block(_balanced(words, n))
        if block is None:
            continue
        rect = fitted_rect(block[1], w, h, pad)
        tall = (rect[3] - rect[1]) / (n + (n - 1) * 0.15)  # each line's share, spacing between
        if tall > best[2] * MORE_LINES:
            best = (block[0], rect, tall)
    return best


def _words_and_pad(description: str) -> tuple[set[str], tuple]:
    """The description's words, and the room its object leaves for the shadow or glow they ask for."""
    words = set(re.findall(r"[a-z]+", description.lower()))
    return words, GLOW_PAD if "glow" in words else SHADOW_PAD if "shadow" in words else NO_PAD


def _lettered(description: str, w: int, h: int, pad) -> tuple[np.ndarray, tuple, float] | None:
    """`lettering` of the description's quoted words, as the font can letter them."""
    lettered = letterable(drawn_text(description))
    return lettering(lettered, w, h, pad) if lettered else None


def lettering_height(description: str, w: int, h: int) -> float | None:
    """How tall (px) a layer's quoted lettering comes out in a w x h box, or None where it letters nothing."""
    fitted = _lettered(description, w, h, _words_and_pad(description)[1])
    return None if fitted is None else fitted[2]


def glyph_for(description: str, w: int, h: int, seed: int = 0, another_take: bool = False) -> np.ndarray | None:
    """(h, w) float32 coverage of what the description asks for, fitted to a w x h box: its quoted lettering, or
    else the silhouette of a shape or icon it names; None when it names neither (or quotes only characters the
    font lacks). `another_take` (a layer regenerated): the silhouette mirrored or tilted as the seed says."""
    words, pad = _words_and_pad(description)
    if not drawn_text(description):
        coverage = _silhouette_for(description, w, h, pad, bool({"outline", "outlined"} & words), seed)
        return _another_take(coverage, named_object(description), description, w, h, pad, seed) \
            if another_take and coverage is not None else coverage
    # a box for each character the font lacks would mislead the model, and without any glyph it drew nothing
    # ('Café' came out empty): what the font has, lettered
    fitted = _lettered(description, w, h, pad)
    if fitted is None or fitted[2] < 2:  # too long to letter in this box
        return None
    return fit_coverage(fitted[0], w, h, fitted[1])


# What a regenerated shape or icon may become: the model follows its silhouette so closely that a new seed alone
# changed its pixels by under 3 levels of 255 (a helper's review: five takes of a star, an owl, alike)
TILTED_SHAPES = {"star", "starburst", "heart", "crescent moon", "lightning bolt", "cloud", "speech bubble"}
MIRRORED_SHAPES = {"crescent moon", "lightning bolt", "speech bubble", "cloud"}
_NOT_MIRRORED = re.compile(r"currency|check|clef|music|exclamation|help|sign|recycle|yin-yang|bluetooth|wheelchair|"
                           r"alphabet|numeric|format|peace|clock|timer|alarm|earth|globe|map")  # read one way only


def _another_take(coverage: np.ndarray, named, description: str, w: int, h: int, pad, seed: int) -> np.ndarray:
    """The silhouette mirrored, tilted 8-16 degrees, or both, as the seed picks among those its kind allows (a way it
    is said to point, or a symbol that reads one way, is never mirrored); refitted to the box."""
    category, key = named
    mirrorable = facing(description) is None and (
        key in MIRRORED_SHAPES if category == "shape" else _NOT_MIRRORED.search(key) is None)
    tiltable = category == "icon" or key in TILTED_SHAPES
    rng = random.Random(seed * 7_919 + 17)
    takes = [(m, t) for m in ((False, True) if mirrorable else (False,)) for t in ((0, -1, 1) if tiltable else (0,))]
    ys, xs = np.nonzero(coverage > 0.01)
    master = coverage[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    symmetric = np.abs(master - master[:, ::-1]).mean() < 0.02  # mirrored alone, an owl is the same owl
    takes = [take for take in takes if take != (False, 0) and not (symmetric and take == (True, 0))]
    if not takes:
        return coverage
    mirror, tilt = rng.choice(takes)
    img = Image.fromarray(np.clip(master * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if mirror:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if tilt:
        img = img.rotate(tilt * rng.uniform(8.0, 16.0), Image.Resampling.BICUBIC, expand=True)
        img = img.crop(img.getbbox())
    return fit_coverage(np.asarray(img), w, h, fitted_rect(img.width / img.height, w, h, pad))


def _silhouette_for(description: str, w: int, h: int, pad, outlined: bool, seed: int) -> np.ndarray | None:
    named = named_object(description)
    if named is None:
        return None
    category, key = named
    if category == "icon":
        aspect = icon_master(key)[1]
    else:  # a shape takes the box's proportions within those the corpus draws it at (a circle stays round)
        lo, hi = SHAPES[key]
        if key == "arrow" and facing(description) in ("up", "down"):  # drawn across, stood on end
            lo, hi = 1 / hi, 1 / lo
        aspect = min(max(w / h, lo), hi)
    rect = fitted_rect(aspect, w, h, pad)
    # the seed picks among a shape's variants (a star's depth, an arrow's direction) as the corpus does, unless
    # the words say which way it points
    return silhouette(category, key, w, h, rect, random.Random(seed), outlined, facing(description))


def glyph_kind(description: str) -> str | None:
    """What the description's glyph shows: "text", "icon", "shape", or None."""
    if drawn_text(description):
        return "text"
    named = named_object(description)
    return named[0] if named else None


def glyph_tokens(coverage: torch.Tensor, grid: int) -> torch.Tensor:
    """(H, W) coverage -> (H/grid * W/grid, grid * grid): each token's cell, in the row-major token order."""
    h, w = coverage.shape
    x = coverage.reshape(h // grid, grid, w // grid, grid).permute(0, 2, 1, 3)
    return x.reshape((h // grid) * (w // grid), grid * grid)
