"""Procedural layered designs with ground-truth RGBA layers and captions.

Every design is a background plus 1-8 foreground layers (up to 50 in stress mode): shapes, words, letters and
icons with clean anti-aliased alpha, optional gradient fills, drop shadows and glows. Each layer's box is snapped
to the 16 px grid and holds all of the layer's pixels (shadow and glow included; overflow past the canvas too).
Captions name what is there (colour, kind, words in quotes) in random order and never where: the layout is
anonymous. Everything is drawn from one seed, with no global random state.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from layerstudio.document import GRID, MAX_FOREGROUND_BOXES, Box, Document, Layer
from layerstudio.engine.colours import BASE_COLOURS, colour_names, colour_rgb, everyday_colours, lab
from layerstudio.engine.effects import blur as _blur, over as _over, shade as _shade, shadow_colour, shift as _shift
from layerstudio.engine.glyphs import text_master
from layerstudio.engine.patterns import (STRIPE_ANGLES, STRIPE_WAYS, THIN_STRIPE, dot_params, dots, linear_ramp,
                                         stripe_params, stripes, two_colour_ramp)
from layerstudio.engine.silhouettes import (NEVER_OUTLINED, POINTING_KINDS, SHAPE_KINDS, SHAPES, erode, fit_coverage,
                                           icon_master, icon_table, pointing, silhouette)

# The canvases the default model trains on; 256 x 256 comes up most often.
CANVAS_SIZES: list[tuple[int, int]] = [(256, 256), (320, 256), (256, 320), (320, 192), (192, 320)]
_CANVAS_WEIGHTS = [4, 1, 1, 1, 1]

COLOURS = BASE_COLOURS  # the twelve caption colours, each clearly apart from the others
# Colour names (engine/colours.py) the corpus never paints: `layerstudio eval` asks for them to see whether the
# model draws a colour from its name's colour feature alone.
HELD_OUT_COLOURS = ["tomato", "orchid", "sienna", "steel blue", "dark khaki", "medium sea green", "peru",
                    "slate blue", "firebrick", "dark orange", "cadet blue", "rosy brown", "light coral",
                    "dodger blue", "pale violet red", "chartreuse"]


def _painted_names() -> dict[str, tuple[int, int, int]]:
    """The other colour names the corpus paints (one spelling each: 'sky blue', not also 'skyblue')."""
    names = colour_names()
    held = {names[n] for n in HELD_OUT_COLOURS}
    run_together = {n.replace(" ", "") for n in names if " " in n}
    return {n: rgb for n, rgb in names.items() if n not in COLOURS and rgb not in held
            and n not in run_together and "gray" not in n and n not in everyday_colours()}


NAMED_COLOURS = _painted_names()
PALETTE = {**NAMED_COLOURS, **COLOURS}
# Of the layers painted beyond the twelve, this share is a random colour written as a hex code ("#3fa2c4"): the
# 114 names cover colour space thinly (dark greys came out brown or green), random colours cover it all.
HEX_SHARE = 0.35


def _random_hex(rng: random.Random, avoid: list[str]) -> str:
    """A random colour as a hex code, clearly apart from `avoid`; a fifth of them greys, which names seldom are."""
    for _ in range(20):
        if rng.random() < 0.2:
            rgb = (rng.randrange(256),) * 3
        else:
            rgb = tuple(rng.randrange(256) for _ in range(3))
        code = "#%02x%02x%02x" % rgb
        if all(_far(code, a) for a in avoid):
            break
    return code


_NAMES = list(COLOURS)
_DARKEN_LIMIT = {"yellow": 0.1, "orange": 0.15, "pink": 0.2}

# Short words and letters for text layers; none of them says where something is.
WORDS = [
    "SALE", "HI", "NEW", "SUN", "POP", "JOY", "OK", "WOW", "YES", "GO", "FUN", "HELLO", "LOVE", "COOL", "STAR",
    "ART", "BIG", "HOT", "SHOP", "OPEN", "FREE", "BEST", "WIN", "PLAY", "CAFE", "BAKE", "SOUP", "TEA", "MOON",
    "RUN", "ZEN", "YAY", "NICE", "GIFT", "DEAL", "NOW", "MENU", "JAZZ", "CAKE", "HOME", "Hello", "Sale", "Joy",
    "Fun", "Tea", "Love", "Cafe", "Yes",
]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


@dataclass
class Design:
    """One corpus sample: a document with ground-truth layers, its prompt and per-layer captions."""

    document: Document
    caption: str
    layer_captions: list[str]
    layer_colours: list[tuple[int, int, int]]
    composite: np.ndarray = field(repr=False)
    seed: int = 0
    # per layer of the corpus: its object's coverage, box-sized (a word's letters, a shape's or an icon's
    # silhouette, outlined where the layer is: the glyph condition); None for the background; empty for PSDs
    glyphs: list[np.ndarray | None] = field(default_factory=list, repr=False)

    def glyph(self, index: int) -> np.ndarray | None:
        return self.glyphs[index] if index < len(self.glyphs) else None


# ----------------------------------------------------------------------------------------------- colours

def _distinct(rng: random.Random, avoid: list[str], pool: list[str] | None = None) -> str:
    """A colour name clearly apart from every colour in `avoid`."""
    pool = [n for n in (pool or _NAMES) if all(_far(n, a) for a in avoid)]
    return rng.choice(pool or _NAMES)


def _lightness(name: str) -> float:
    return lab(colour_rgb(name))[0]


def _darken_limit(name: str, amount: float) -> float:
    """Light colours darken only a little, or yellow turns mustard and the named colour is lost."""
    if name in _DARKEN_LIMIT or name in COLOURS:
        return _DARKEN_LIMIT.get(name, amount)
    lightness = _lightness(name)
    return 0.1 if lightness > 85 else 0.15 if lightness > 70 else amount


def _far(a: str, b: str) -> bool:
    ca, cb = np.asarray(colour_rgb(a), np.float32), np.asarray(colour_rgb(b), np.float32)
    return a != b and float(np.abs(ca - cb).sum()) > 150


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeio" else "a ") + phrase


# ----------------------------------------------------------------------------------------------- masks

def _gradient(a, b, t: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a + (b - a) * t[..., None]


def _to_rgba(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    out = np.empty(alpha.shape + (4,), np.uint8)
    out[..., :3] = np.clip(rgb + 0.5, 0, 255).astype(np.uint8) if rgb.ndim == 3 else \
        np.clip(np.asarray(rgb, np.float32) + 0.5, 0, 255).astype(np.uint8)
    a = np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
    out[..., 3] = a
    out[a == 0, :3] = 0  # no colour hidden under zero alpha
    return out


# ----------------------------------------------------------------------------------------------- backgrounds

def _background(rng: random.Random, nrng: np.random.Generator, w: int, h: int, wording: random.Random,
                palette: random.Random, named: float):
    """(rgb uint8 H x W x 4, caption, dominant colour name, colour names used, the pattern's coverage or None).
    `named`: the chance that the colour is one of NAMED_COLOURS rather than the twelve."""
    name = rng.choice(_NAMES)
    if palette.random() < named:
        name = palette.choice(sorted(NAMED_COLOURS)) if palette.random() >= HEX_SHARE else _random_hex(palette, [])
    base = colour_rgb(name)
    style = rng.choices(["solid", "linear", "radial", "stripes", "dots", "noise"], weights=[3, 3, 2, 2, 2, 2])[0]
    used = [name]
    pattern = None
    if style == "solid":
        rgb = np.broadcast_to(np.asarray(base, np.float32), (h, w, 3))
        caption = rng.choice([f"a plain {name} background", f"a solid {name} background", f"a flat {name} background"])
        if wording.random() < 0.4:  # people write "on white": a bare colour at the end is the background too
            caption = wording.choice([name, f"plain {name}", f"solid {name}", _article(f"{name} canvas")])
    elif style == "linear":
        angle = rng.uniform(0, 2 * math.pi)
        if rng.random() < 0.3:
            other = _distinct(rng, [name])
            used.append(other)
            pattern = two_colour_ramp(w, h, angle)  # the engine gives the model the ramp as it gives stripes
            rgb = _gradient(base, COLOURS[other], pattern)
            caption = rng.choice([_article(f"{name} to {other} gradient background"), f"a gradient from {name} to {other}"])
        else:
            s = rng.uniform(0.2, 0.35)
            rgb = _gradient(_shade(base, s), _shade(base, -s), linear_ramp(w, h, angle))
            caption = rng.choice([_article(f"{name} gradient background"), f"a soft {name} gradient",
                                  f"a smooth {name} gradient background"])
    elif style == "radial":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        r = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
        t = r / float(r.max())
        s = rng.uniform(0.25, 0.4)
        rgb = _gradient(_shade(base, s), _shade(base, -s * 0.8), t)
        caption = rng.choice([_article(f"{name} radial gradient background"), f"a soft {name} radial gradient",
                              f"a glowing {name} radial background"])
    elif style == "stripes":
        other = _distinct(rng, [name])
        used.append(other)
        period, width, angle = stripe_params(rng)
        pattern = stripes(w, h, period, width, angle)
        rgb = _gradient(base, COLOURS[other], pattern)
        thin = "thin " if width < THIN_STRIPE else ""
        # half of them say which way they run (the wording's own stream: the pixels stay as they were)
        way = f"{STRIPE_WAYS[STRIPE_ANGLES.index(angle)]} " if wording.random() < 0.5 else ""
        caption = rng.choice([_article(f"{name} background with {thin}{way}{other} stripes"),
                              f"{thin}{way}{other} stripes on a {name} background"])
    elif style == "dots":
        other = _distinct(rng, [name])
        used.append(other)
        pattern = dots(w, h, *dot_params(rng))
        rgb = _gradient(base, COLOURS[other], pattern)
        caption = rng.choice([_article(f"{name} background with {other} dots"), f"{other} polka dots on {name}",
                              _article(f"{name} background with {other} polka dots")])
    else:  # soft noise: low-frequency value noise modulating the colour's brightness
        gh, gw = rng.randint(3, 8), rng.randint(3, 8)
        grid = nrng.uniform(-1, 1, (gh, gw)).astype(np.float32)
        img = Image.fromarray(((grid + 1) * 127.5).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
        n = np.asarray(img, np.float32) / 127.5 - 1.0
        fine = nrng.normal(0, 0.04, (h, w)).astype(np.float32)
        amount = (n * rng.uniform(0.15, 0.3) + fine)[..., None]
        c = np.asarray(base, np.float32)
        rgb = np.where(amount >= 0, c + (255 - c) * amount, c * (1 + amount))
        caption = rng.choice([f"a soft {name} textured background", f"a mottled {name} background",
                              _article(f"{name} background with soft noise")])
    return _to_rgba(np.asarray(rgb), np.ones((h, w), np.float32)), caption, name, used, pattern


# ----------------------------------------------------------------------------------------------- foreground

@dataclass
class _Spec:
    kind: str  # a shape kind, "text"
    text: str = ""
    colour: str = "red"
    outline: bool = False
    gradient: bool = False
    shadow: bool = False
    glow: bool = False
    translucent: bool = False
    aspect: float = 1.0


def _pick_spec(rng: random.Random, avoid: list[str], palette: random.Random, named: float) -> _Spec:
    colour = _distinct(rng, avoid)
    if palette.random() < named:
        colour = (_distinct(palette, avoid, sorted(NAMED_COLOURS)) if palette.random() >= HEX_SHARE
                  else _random_hex(palette, avoid))
    r = rng.random()
    if r < 0.28:
        t = rng.random()
        if t < 0.55:
            text = rng.choice(WORDS)
        elif t < 0.85:
            text = rng.choice(LETTERS)
        else:
            text = rng.choice(DIGITS)
        _, aspect = text_master(text)
        spec = _Spec("text", text=text, colour=colour, aspect=aspect)
    elif r < 0.55 and icon_table():
        slug = rng.choice(sorted(icon_table()))
        _, aspect = icon_master(slug)
        spec = _Spec("icon", text=slug, colour=colour, aspect=aspect)
        spec.gradient = colour not in ("black", "white") and rng.random() < 0.2
    else:
        kind = rng.choice(SHAPE_KINDS)
        lo, hi = SHAPES[kind]
        aspect = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        if kind in ("rectangle",) and rng.random() < 0.5 and aspect < 1:
            aspect = 1 / aspect
        spec = _Spec(kind, colour=colour, aspect=aspect)
        spec.outline = kind not in NEVER_OUTLINED and rng.random() < 0.2
        spec.gradient = not spec.outline and colour not in ("black", "white") and rng.random() < 0.25
    effect = rng.random()
    spec.shadow = effect < 0.22
    spec.glow = 0.22 <= effect < 0.32
    spec.translucent = not spec.outline and rng.random() < 0.07
    return spec


def _pointing_words(direction: str, wording: random.Random) -> str:
    if direction == "down" and wording.random() < 0.4:
        return wording.choice([" upside down", " upside-down"])
    return wording.choice([f" pointing {direction}", f" pointing {direction}", f" facing {direction}"]
                          + ([f" pointing to the {direction}"] if direction in ("left", "right") else []))


def _caption(spec: _Spec, rng: random.Random, pointing_words: str = "") -> str:
    c = spec.colour
    if spec.kind == "text":
        t = spec.text
        if len(t) == 1 and t in DIGITS:
            core = rng.choice([f"the number '{t}' in {c}", _article(f"{c} number '{t}'")])
        elif len(t) == 1:
            core = rng.choice([f"the letter '{t}' in {c}", _article(f"{c} letter '{t}'")])
        else:
            core = rng.choice([f"the word '{t}' in {c}", f"the word '{t}' in {c} letters", f"'{t}' written in {c}",
                               f"{c} text saying '{t}'"])
    elif spec.kind == "icon":
        name = icon_table()[spec.text][0]
        icon = rng.choice(["", "", " icon"])
        if spec.gradient:
            core = _article(rng.choice([f"{c} gradient {name}{icon}", f"shaded {c} {name}{icon}"]))
        elif spec.translucent:
            core = _article(f"translucent {c} {name}{icon}")
        else:
            core = _article(f"{c} {name}{icon}")
    else:
        kind = spec.kind
        if spec.outline:
            core = rng.choice([f"{_article(c + ' ' + kind + ' outline')}", _article(f"outlined {c} {kind}")])
        elif spec.gradient:
            core = _article(rng.choice([f"{c} gradient {kind}", f"shaded {c} {kind}"]))
        elif spec.translucent:
            core = _article(f"translucent {c} {kind}")
        else:
            core = _article(f"{c} {kind}")
        core += pointing_words
    if spec.shadow:
        core += rng.choice([" with a drop shadow", " with a soft shadow"])
    elif spec.glow:
        core += rng.choice([" with a soft glow", " with a glow"])
    return core


def _render_layer(spec: _Spec, rect, w: int, h: int, rng: random.Random, shadow, glow) -> tuple[np.ndarray, np.ndarray]:
    """RGBA uint8 of one foreground layer: object filling `rect` inside a w x h box, with its effects; and the
    object's own coverage (the glyph condition)."""
    if spec.kind == "text":
        cov = fit_coverage(text_master(spec.text)[0], w, h, rect)
    elif spec.kind == "icon":
        cov = silhouette("icon", spec.text, w, h, rect, rng)
    else:
        cov = silhouette("shape", spec.kind, w, h, rect, rng)
    if spec.outline:
        size = min(rect[2] - rect[0], rect[3] - rect[1])
        t = max(2, int(round(size * rng.uniform(0.06, 0.11))))
        cov = np.clip(cov - erode(cov, t), 0.0, 1.0)
    base = colour_rgb(spec.colour)
    if spec.gradient:
        s = rng.uniform(0.22, 0.35)
        # Light colours darken only a little, or yellow turns mustard and the named colour is lost.
        dark = -min(s, _darken_limit(spec.colour, s))
        rgb = _gradient(_shade(base, s), _shade(base, dark), linear_ramp(w, h, rng.uniform(0, 2 * math.pi)))
    else:
        rgb = np.broadcast_to(np.asarray(base, np.float32), (h, w, 3))
    alpha = cov * (rng.uniform(0.55, 0.8) if spec.translucent else 1.0)
    if shadow is not None:
        dx, dy, radius, strength = shadow
        sh = _blur(_shift(cov, dx, dy), radius) * strength
        dark = shadow_colour(0.0 if spec.colour == "black" else _lightness(spec.colour))
        rgb, alpha = _over(rgb, alpha, np.broadcast_to(np.asarray(dark, np.float32), (h, w, 3)), sh)
    elif glow is not None:
        radius, strength = glow
        g = np.clip(_blur(cov, radius) * 1.6, 0, 1) * strength
        gc = _shade(base, 0.5) if spec.colour not in ("black", "grey") else np.asarray(COLOURS["white"], np.float32)
        rgb, alpha = _over(rgb, alpha, np.broadcast_to(gc, (h, w, 3)), g)
    return _to_rgba(rgb, alpha), cov


def _place(rng: random.Random, spec: _Spec, cw: int, ch: int, area: float, allow_off: bool):
    """Object rectangle (float x0, y0, x1, y1, canvas px) of about `area` px at the spec's aspect."""
    aspect = spec.aspect
    ow = math.sqrt(area * aspect)
    oh = ow / aspect
    # Stay within the canvas's size so the box keeps most of itself on it.
    scale = min(1.0, 0.92 * cw / ow, 0.92 * ch / oh)
    ow, oh = max(ow * scale, 12.0), max(oh * scale, 12.0)
    if allow_off and rng.random() < 0.2:
        x0 = rng.uniform(-0.4 * ow, cw - 0.6 * ow)
        y0 = rng.uniform(-0.4 * oh, ch - 0.6 * oh)
    else:
        x0 = rng.uniform(0, max(0.0, cw - ow))
        y0 = rng.uniform(0, max(0.0, ch - oh))
    return x0, y0, x0 + ow, y0 + oh


def _overlap(a, b) -> float:
    """Intersection of two float rectangles over the smaller one's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(small, 1e-6)


def _effects(spec: _Spec, ow: float, oh: float, rng: random.Random):
    size = min(ow, oh)
    shadow = glow = None
    pad = [0.0, 0.0, 0.0, 0.0]  # left, top, right, bottom
    if spec.shadow:
        dist = max(2, int(round(size * rng.uniform(0.04, 0.08))))
        ang = rng.uniform(0.3, 1.3)  # down and to one side, as light from above
        dx = int(round(dist * math.cos(ang))) * rng.choice([1, -1])
        dy = int(round(dist * math.sin(ang)))
        radius = max(1.0, size * rng.uniform(0.025, 0.05))
        shadow = (dx, dy, radius, rng.uniform(0.35, 0.6))
        reach = 2.0 * radius  # beyond two blur radii the shadow is below 1% alpha
        pad = [max(0.0, reach - dx), max(0.0, reach - dy), max(0.0, reach + dx), max(0.0, reach + dy)]
    elif spec.glow:
        radius = max(1.5, size * rng.uniform(0.04, 0.08))
        glow = (radius, rng.uniform(0.6, 0.9))
        pad = [2.5 * radius] * 4
    return shadow, glow, pad


def _fill(box: Box, pad, ow: float, oh: float):
    """The object's rectangle grown to fill its snapped box less the effects' padding, aspect kept, centred.
    Left where it fell, an object sat anywhere within the up to 15 px the snap adds on each side: the box did not
    say where its object is, so the model drew the average of the places (a blob); a user expects the drawn
    box's object to fill it."""
    ix0, iy0, ix1, iy1 = box.x0 + pad[0], box.y0 + pad[1], box.x1 - pad[2], box.y1 - pad[3]
    scale = min((ix1 - ix0) / ow, (iy1 - iy0) / oh)
    w, h = ow * scale, oh * scale
    x0, y0 = (ix0 + ix1 - w) / 2, (iy0 + iy1 - h) / 2
    return x0, y0, x0 + w, y0 + h


def _foreground(rng: random.Random, spec: _Spec, cw: int, ch: int, area_range, allow_off: bool,
                taken: list, max_overlap: float):
    """(Layer box, rgba pixels, the object's coverage) for one spec: its box snapped, touching the canvas and within
    the area range.

    Placements that hide much of an earlier object (`taken`, object rectangles) are tried again a few times,
    so most objects stay visible in the composite; some overlap is kept on purpose.
    """
    canvas = Box(0, 0, cw, ch)
    lo, hi = area_range[0] * cw * ch, area_range[1] * cw * ch
    area = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    for attempt in range(24):
        x0, y0, x1, y1 = _place(rng, spec, cw, ch, area, allow_off)
        shadow, glow, pad = _effects(spec, x1 - x0, y1 - y0, rng)
        raw = Box(math.floor(x0 - pad[0]), math.floor(y0 - pad[1]), math.ceil(x1 + pad[2]), math.ceil(y1 + pad[3]))
        box = raw.snapped(GRID)
        if box.area > hi * 1.15 and area > 200:
            area *= 0.85 * hi / box.area  # padding and the snap grew it past the range: shrink the object
            continue
        part = box.intersection(canvas)
        if part is None or part.area < 0.45 * box.area:
            continue
        if attempt < 16 and any(_overlap((x0, y0, x1, y1), t) > max_overlap for t in taken):
            continue
        break
    x0, y0, x1, y1 = _fill(box, pad, x1 - x0, y1 - y0)
    taken.append((x0, y0, x1, y1))
    rect = (x0 - box.x0, y0 - box.y0, x1 - box.x0, y1 - box.y0)
    pixels, coverage = _render_layer(spec, rect, box.width, box.height, rng, shadow, glow)
    return box, pixels, coverage


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


# Words about the look that name no object: the planner must leave them out of every layer's phrase.
STYLE_PHRASES = [
    "Make it pop.", "Clean and modern.", "Minimal flat style.", "Keep it simple.", "Bold, high contrast.",
    "Playful and bright.", "Simple vector look.", "Make it look professional.", "For a birthday card.",
    "Poster style.", "Cute and friendly.", "Retro feel.", "Eye-catching, please.", "Crisp edges, no clutter.",
]


# For prompts about the look alone: many words, most outside the vocabulary, so the planner learns that a word
# it reads letter by letter is not an object by itself (evaluate.UNSEEN_STYLE_PROMPTS uses none of them).
STYLE_WORDS = [
    "airy", "bold", "bubbly", "chic", "crisp", "dark", "dreamy", "dynamic", "earthy", "edgy", "festive",
    "fresh", "friendly", "gentle", "glossy", "graphic", "happy", "joyful", "light", "lively", "loud", "luxurious",
    "moody", "neat", "playful", "punchy", "quiet", "quirky", "relaxed", "rustic", "sleek", "smooth", "soft",
    "sporty", "striking", "stylish", "subtle", "sunny", "tidy", "trendy", "vibrant", "vintage", "whimsical",
    "youthful", "zesty",
]
STYLE_TEMPLATES = ["Make it {a}.", "{A} and {b}.", "{A} look.", "Keep it {a}.", "Something {a}.", "{A}, {b} feel.",
                   "Very {a}, please.", "A {a} style."]


def style_prompt(rng: random.Random) -> str:
    """A prompt about the look alone, naming no object."""
    def sentence():
        if rng.random() < 0.5:
            return rng.choice(STYLE_PHRASES)
        a, b = rng.sample(STYLE_WORDS, 2)
        return rng.choice(STYLE_TEMPLATES).format(a=a, b=b, A=a.capitalize())
    return " ".join(sentence() for _ in range(rng.randint(1, 2)))


def _global_caption(rng: random.Random, objects: list[str], bg: str, wording: random.Random) -> str:
    objects = list(objects)
    rng.shuffle(objects)
    if len(objects) > 10:
        objects = objects[:8] + [f"{len(objects) - 8} more shapes, icons and letters"]
    obj = _join(objects)
    templates = [
        "{o} on {b}.",
        "{b} with {o}.",
        "a design with {o} over {b}.",
        "{o}, all on {b}.",
        "a poster: {o} on {b}.",
        "{o} in front of {b}.",
    ]
    text = rng.choice(templates).format(o=obj, b=bg)
    text = text[:1].upper() + text[1:]
    if wording.random() < 0.25:
        style = wording.choice(STYLE_PHRASES)
        text = f"{style} {text}" if wording.random() < 0.5 else f"{text} {style}"
    return text


def make_design(seed: int, canvas: tuple[int, int] | None = None, max_layers: int = 8,
                stress: bool = False, named_colours: float = 0.0) -> Design:
    """One deterministic design: background + 1..max_layers foreground layers (up to 50 when stress).
    `named_colours`: the chance that a layer is painted in one of NAMED_COLOURS ("crimson", "sky blue") rather
    than the twelve; its own random stream, so at 0 a design is exactly as before."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    if canvas is None:
        canvas = rng.choices(CANVAS_SIZES, weights=_CANVAS_WEIGHTS)[0]
    cw, ch = int(canvas[0]), int(canvas[1])
    if stress:
        n = rng.randint(9, MAX_FOREGROUND_BOXES)
        area_range = (0.004, 0.08)
    else:
        n = rng.randint(1, max(1, min(max_layers, MAX_FOREGROUND_BOXES)))
        area_range = (0.02, 0.4)

    wording = random.Random(f"wording {seed}")  # its own stream: a new way of putting it leaves the pixels as they were
    palette = random.Random(f"palette {seed}")
    bg_pixels, bg_caption, bg_name, bg_used, bg_pattern = _background(rng, nrng, cw, ch, wording, palette, named_colours)
    specs = [_pick_spec(rng, bg_used, palette, named_colours) for _ in range(n)]
    taken: list = []
    max_overlap = 0.8 if stress else 0.35
    placed = [(spec, *_foreground(rng, spec, cw, ch, area_range, True, taken, max_overlap)) for spec in specs]
    # Bigger things tend to sit lower in the stack, with some shuffling.
    placed.sort(key=lambda p: -p[1].area * rng.uniform(0.5, 1.5))

    layers = [Layer(Box(0, 0, cw, ch), bg_pixels, name=bg_caption)]
    captions = [bg_caption]
    colours = [colour_rgb(bg_name)]
    glyphs: list = [bg_pattern]
    for spec, box, pixels, coverage in placed:
        # half the arrows and triangles say which way they point (the engine draws the silhouette that way)
        words = (_pointing_words(pointing(spec.kind, coverage), wording)
                 if spec.kind in POINTING_KINDS and wording.random() < 0.5 else "")
        cap = _caption(spec, rng, words)
        layers.append(Layer(box, pixels, name=cap))
        captions.append(cap)
        colours.append(colour_rgb(spec.colour))
        glyphs.append(coverage)
    caption = _global_caption(rng, captions[1:], bg_caption, wording)
    doc = Document(cw, ch, caption, layers)
    return Design(doc, caption, captions, colours, doc.compose(), seed, glyphs)
