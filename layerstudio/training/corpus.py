"""Procedural layered designs with ground-truth RGBA layers and captions.

Every design is a background plus 1-8 foreground layers (up to 50 in stress mode): shapes, words, letters and
icons with clean anti-aliased alpha, optional gradient fills, drop shadows and glows. Each layer's box is snapped
to the 16 px grid and holds all of the layer's pixels (shadow and glow included; overflow past the canvas too).
Captions name what is there (colour, kind, words in quotes) in random order and never where: the layout is
anonymous. Everything is drawn from one seed, with no global random state.
"""
from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from layerstudio import RESOURCES
from layerstudio.document import GRID, MAX_FOREGROUND_BOXES, Box, Document, Layer
from layerstudio.engine.colours import BASE_COLOURS, colour_names, colour_rgb, lab
from layerstudio.engine.glyphs import fit_coverage, text_master

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
            and n not in run_together and "gray" not in n}


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

# Shape kinds and the box aspect ratios (width / height) each is drawn at.
SHAPES: dict[str, tuple[float, float]] = {
    "rectangle": (0.3, 3.5),
    "square": (1.0, 1.0),
    "rounded rectangle": (0.4, 3.0),
    "circle": (1.0, 1.0),
    "ellipse": (0.45, 2.2),
    "triangle": (0.8, 1.3),
    "star": (0.9, 1.1),
    "heart": (0.9, 1.15),
    "ring": (0.9, 1.1),
    "diamond": (0.6, 1.2),
    "hexagon": (0.9, 1.15),
    "pentagon": (0.9, 1.1),
    "octagon": (0.95, 1.05),
    "cross": (0.9, 1.1),
    "arrow": (1.4, 2.4),
    "crescent moon": (0.6, 0.9),
    "lightning bolt": (0.55, 0.75),
    "speech bubble": (1.1, 1.8),
    "cloud": (1.4, 2.0),
    "starburst": (0.95, 1.05),
}
_SHAPE_KINDS = list(SHAPES)

SS = 4  # supersampling factor for anti-aliased edges
MAX_SS_SIDE = 1024  # cap on the supersampled side (big boxes use less supersampling)


@dataclass
class Design:
    """One corpus sample: a document with ground-truth layers, its prompt and per-layer captions."""

    document: Document
    caption: str
    layer_captions: list[str]
    layer_colours: list[tuple[int, int, int]]
    composite: np.ndarray = field(repr=False)
    seed: int = 0
    # per layer of the corpus: a text layer's lettering coverage, box-sized (exactly its letters: the glyph
    # condition), else None; empty for designs from PSDs
    glyphs: list[np.ndarray | None] = field(default_factory=list, repr=False)

    def glyph(self, index: int) -> np.ndarray | None:
        return self.glyphs[index] if index < len(self.glyphs) else None


# ----------------------------------------------------------------------------------------------- colours

def _shade(rgb, amount: float) -> np.ndarray:
    """amount > 0 mixes towards white, < 0 towards black."""
    c = np.asarray(rgb, np.float32)
    if amount >= 0:
        return c + (255.0 - c) * amount
    return c * (1.0 + amount)


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

def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _reduce(img: Image.Image, factor: int) -> np.ndarray:
    if factor > 1:
        img = img.reduce(factor)
    return np.asarray(img, np.float32) / 255.0


def _regular(n: int, cx, cy, rx, ry, rot=-math.pi / 2, inner: float | None = None):
    pts = []
    k = n * 2 if inner is not None else n
    for i in range(k):
        a = rot + 2 * math.pi * i / k
        r = 1.0 if inner is None or i % 2 == 0 else inner
        pts.append((cx + rx * r * math.cos(a), cy + ry * r * math.sin(a)))
    return pts


def _fit_polygon(pts, x0, y0, x1, y1):
    """Scale a polygon so its bounds fill the rectangle exactly."""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    bx0, bx1, by0, by1 = min(xs), max(xs), min(ys), max(ys)
    sx, sy = (x1 - x0) / max(bx1 - bx0, 1e-6), (y1 - y0) / max(by1 - by0, 1e-6)
    return [(x0 + (x - bx0) * sx, y0 + (y - by0) * sy) for x, y in pts]


def _fitted(img: Image.Image, draw, x0, y0, x1, y1, sw: float, sh: float) -> None:
    """Draw a shape on a scratch image, crop it to its ink and stretch that into the rectangle."""
    margin = int(max(sw, sh))
    sw, sh = max(2, int(round(sw))), max(2, int(round(sh)))
    scratch = Image.new("L", (sw + 2 * margin, sh + 2 * margin), 0)
    sd = ImageDraw.Draw(scratch)
    draw(_Translated(sd, margin), sw, sh)
    bbox = scratch.getbbox()
    if bbox is None:
        return
    tw, th = max(1, int(round(x1 - x0))), max(1, int(round(y1 - y0)))
    img.paste(scratch.crop(bbox).resize((tw, th), Image.Resampling.BILINEAR), (int(round(x0)), int(round(y0))))


class _Translated:
    """An ImageDraw whose ellipse/rectangle calls are offset by a margin (shapes may poke out of 0..w)."""

    def __init__(self, draw: ImageDraw.ImageDraw, offset: int):
        self._d, self._o = draw, offset

    def _box(self, xy):
        x0, y0, x1, y1 = xy
        o = self._o
        return (x0 + o, y0 + o, x1 + o, y1 + o)

    def ellipse(self, xy, **kw):
        self._d.ellipse(self._box(xy), **kw)

    def rounded_rectangle(self, xy, **kw):
        self._d.rounded_rectangle(self._box(xy), **kw)


def _shape_mask(kind: str, w: int, h: int, rect, rng: random.Random) -> np.ndarray:
    """Anti-aliased coverage (h x w float32 in 0..1) of a shape filling `rect` = (x0, y0, x1, y1) in px."""
    f = max(1, min(SS, MAX_SS_SIDE // max(w, h, 1)))
    img = Image.new("L", (w * f, h * f), 0)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = (v * f for v in rect)
    rw, rh = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    fill = 255
    if kind in ("rectangle", "square"):
        d.rectangle((x0, y0, x1 - 1, y1 - 1), fill=fill)
    elif kind == "rounded rectangle":
        d.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), radius=min(rw, rh) * rng.uniform(0.15, 0.4), fill=fill)
    elif kind in ("circle", "ellipse"):
        d.ellipse((x0, y0, x1 - 1, y1 - 1), fill=fill)
    elif kind == "ring":
        t = min(rw, rh) * rng.uniform(0.12, 0.22)
        d.ellipse((x0, y0, x1 - 1, y1 - 1), fill=fill)
        d.ellipse((x0 + t, y0 + t, x1 - 1 - t, y1 - 1 - t), fill=0)
    elif kind == "triangle":
        if rng.random() < 0.8:
            pts = [(cx, y0), (x1, y1), (x0, y1)]
        else:
            pts = [(x0, y0), (x1, y0), (cx, y1)]
        d.polygon(pts, fill=fill)
    elif kind == "diamond":
        d.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=fill)
    elif kind in ("hexagon", "pentagon", "octagon"):
        n = {"hexagon": 6, "pentagon": 5, "octagon": 8}[kind]
        rot = -math.pi / 2 if kind != "octagon" else math.pi / 8
        if kind == "hexagon" and rng.random() < 0.5:
            rot = 0.0
        d.polygon(_fit_polygon(_regular(n, 0, 0, 1, 1, rot), x0, y0, x1, y1), fill=fill)
    elif kind == "star":
        pts = _regular(5, 0, 0, 1, 1, inner=rng.uniform(0.4, 0.5))
        d.polygon(_fit_polygon(pts, x0, y0, x1, y1), fill=fill)
    elif kind == "starburst":
        n = rng.choice([12, 16, 20])
        pts = _regular(n, 0, 0, 1, 1, inner=rng.uniform(0.78, 0.86))
        d.polygon(_fit_polygon(pts, x0, y0, x1, y1), fill=fill)
    elif kind == "cross":
        t = rng.uniform(0.28, 0.38)
        d.rectangle((cx - rw * t / 2, y0, cx + rw * t / 2, y1 - 1), fill=fill)
        d.rectangle((x0, cy - rh * t / 2, x1 - 1, cy + rh * t / 2), fill=fill)
    elif kind == "heart":
        pts = []
        for i in range(96):
            a = 2 * math.pi * i / 96
            pts.append((16 * math.sin(a) ** 3,
                        -(13 * math.cos(a) - 5 * math.cos(2 * a) - 2 * math.cos(3 * a) - math.cos(4 * a))))
        d.polygon(_fit_polygon(pts, x0, y0, x1, y1), fill=fill)
    elif kind == "arrow":
        shaft = rng.uniform(0.3, 0.45)
        head = rng.uniform(0.35, 0.5)
        pts = [(0, 0.5 - shaft / 2), (1 - head, 0.5 - shaft / 2), (1 - head, 0), (1, 0.5), (1 - head, 1),
               (1 - head, 0.5 + shaft / 2), (0, 0.5 + shaft / 2)]
        if rng.random() < 0.5:
            pts = [(1 - x, y) for x, y in pts]
        d.polygon([(x0 + x * rw, y0 + y * rh) for x, y in pts], fill=fill)
    elif kind == "crescent moon":
        def moon(sd, sw, sh):
            sd.ellipse((0, 0, sw - 1, sh - 1), fill=255)
            off = sw * rng.uniform(0.25, 0.38) * rng.choice([1, -1])
            sd.ellipse((off, -sh * 0.1, sw - 1 + off, sh - 1 - sh * 0.1), fill=0)
        _fitted(img, moon, x0, y0, x1, y1, 2.0 * max(rw, rh), 2.0 * max(rw, rh))
    elif kind == "lightning bolt":
        pts = [(0.58, 0), (0.05, 0.58), (0.45, 0.58), (0.32, 1.0), (0.95, 0.38), (0.55, 0.38), (0.78, 0)]
        d.polygon(_fit_polygon(pts, x0, y0, x1, y1), fill=fill)
    elif kind == "speech bubble":
        body_h = rh * 0.78
        d.rounded_rectangle((x0, y0, x1 - 1, y0 + body_h), radius=min(rw, body_h) * 0.3, fill=fill)
        tx = x0 + rw * rng.uniform(0.2, 0.7)
        d.polygon([(tx, y0 + body_h - 2 * f), (tx + rw * 0.16, y0 + body_h - 2 * f), (tx - rw * 0.02, y1 - 1)],
                  fill=fill)
    elif kind == "cloud":
        def cloud(sd, sw, sh):
            # Overlapping puffs on a flat base.
            sd.rounded_rectangle((0, sh * 0.5, sw - 1, sh - 1), radius=sh * 0.25, fill=255)
            for px, py, pr in ((0.3, 0.55, 0.27), (0.55, 0.42, 0.36), (0.78, 0.6, 0.22)):
                r = pr * sw * 0.62
                sd.ellipse((px * sw - r, py * sh - r, px * sw + r, py * sh + r), fill=255)
        _fitted(img, cloud, x0, y0, x1, y1, rw, rh)
    else:  # pragma: no cover - every kind above
        raise ValueError(kind)
    return _reduce(img, f)


# ----------------------------------------------------------------------------------------------- icons

ICON_FILE = RESOURCES / "corpus" / "icons.json"  # Material Design Icons (Apache-2.0), see resources/LICENSES
_ICON_MASTER = 256  # px: icons are rasterised once at this size, then resampled into each box


@lru_cache(maxsize=1)
def _icon_table() -> dict[str, tuple[str, str]]:
    """slug -> (caption name, SVG path data); empty if the resource is missing (icons are then not drawn)."""
    try:
        data = json.loads(ICON_FILE.read_text(encoding="utf-8"))
        return {i["slug"]: (i["name"], i["path"]) for i in data["icons"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


class _Ctrl(NamedTuple):
    p: np.ndarray  # the previous curve's last control point, reflected by S and T
    kind: str


def _arc(x1, y1, rx, ry, phi_deg, large, sweep, x2, y2, per_radian: float = 6.0) -> list:
    """Points along an SVG elliptical arc (endpoint form, SVG spec F.6.5), excluding its start."""
    if rx == 0 or ry == 0 or (x1 == x2 and y1 == y2):
        return [(x2, y2)]
    phi = math.radians(phi_deg)
    cp, sp = math.cos(phi), math.sin(phi)
    dx, dy = (x1 - x2) / 2, (y1 - y2) / 2
    x1p, y1p = cp * dx + sp * dy, -sp * dx + cp * dy
    lam = (x1p / rx) ** 2 + (y1p / ry) ** 2
    if lam > 1:
        rx, ry = rx * math.sqrt(lam), ry * math.sqrt(lam)
    num_ = rx * rx * ry * ry - rx * rx * y1p * y1p - ry * ry * x1p * x1p
    den = rx * rx * y1p * y1p + ry * ry * x1p * x1p
    coef = math.sqrt(max(0.0, num_ / den)) if den else 0.0
    if large == sweep:
        coef = -coef
    cxp, cyp = coef * rx * y1p / ry, -coef * ry * x1p / rx
    cx = cp * cxp - sp * cyp + (x1 + x2) / 2
    cy = sp * cxp + cp * cyp + (y1 + y2) / 2

    def angle(ux, uy, vx, vy):
        a = math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)
        return a

    t1 = angle(1, 0, (x1p - cxp) / rx, (y1p - cyp) / ry)
    dt = angle((x1p - cxp) / rx, (y1p - cyp) / ry, (-x1p - cxp) / rx, (-y1p - cyp) / ry)
    if not sweep and dt > 0:
        dt -= 2 * math.pi
    elif sweep and dt < 0:
        dt += 2 * math.pi
    n = max(4, int(abs(dt) * per_radian))
    ts = t1 + dt * np.arange(1, n + 1) / n
    xs = cx + rx * np.cos(ts) * cp - ry * np.sin(ts) * sp
    ys = cy + rx * np.cos(ts) * sp + ry * np.sin(ts) * cp
    pts = list(zip(xs.tolist(), ys.tolist()))
    pts[-1] = (x2, y2)
    return pts


def _rasterise(polylines: list[np.ndarray], size: int, view: float = 24.0, ss: int = 4) -> np.ndarray:
    """Nonzero-winding fill of closed polylines (view units) as size x size coverage in 0..1."""
    n = size * ss
    scale = n / view
    segs = []
    for poly in polylines:
        p = poly * scale
        segs.append(np.concatenate([p, np.roll(p, -1, axis=0)], axis=1))  # closes each subpath
    seg = np.concatenate(segs)
    x0, y0, x1, y1 = seg.T
    # Rows whose sample line y = r + 0.5 each segment crosses; half-open so a shared vertex counts once.
    r0 = np.clip(np.ceil(np.minimum(y0, y1) - 0.5), 0, n).astype(np.int64)
    r1 = np.clip(np.ceil(np.maximum(y0, y1) - 0.5), 0, n).astype(np.int64)
    counts = np.maximum(r1 - r0, 0)
    cols = np.repeat(np.arange(len(seg)), counts)
    rows = r0[cols] + np.arange(len(cols)) - np.repeat(np.cumsum(counts) - counts, counts)
    t = (rows + 0.5 - y0[cols]) / (y1[cols] - y0[cols])
    xc = x0[cols] + t * (x1[cols] - x0[cols])
    sign = np.where(y1[cols] > y0[cols], 1, -1)
    start = np.clip(np.ceil(xc - 0.5), 0, n).astype(np.int64)  # first sample column right of the crossing
    acc = np.zeros((n, n + 1), np.int16)
    np.add.at(acc, (rows, start), sign.astype(np.int16))
    inside = np.cumsum(acc, axis=1, dtype=np.int16)[:, :n] != 0
    img = Image.fromarray(inside.view(np.uint8) * np.uint8(255)).reduce(ss)  # box-filter the supersamples
    return np.asarray(img, np.float32) / 255.0


@lru_cache(maxsize=128)
def _icon_master(slug: str) -> tuple[np.ndarray, float]:
    """An icon's coverage at the master size, cropped to its ink, and its aspect ratio (w / h)."""
    _, path = _icon_table()[slug]
    cov = _rasterise(_path_polylines(path), _ICON_MASTER)
    ys, xs = np.nonzero(cov > 0)
    cov = cov[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    return np.ascontiguousarray(cov), cov.shape[1] / cov.shape[0]


_PATH_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d*\.\d+|\d+\.?)(?:[eE][-+]?\d+)?")


def _path_polylines(d: str) -> list[np.ndarray]:
    """Flatten SVG path data (all commands, absolute and relative) into closed polylines."""
    tokens = _PATH_TOKEN.findall(d)
    pos, out, cur = 0, [], []
    x = y = sx = sy = 0.0
    last_ctrl = None  # (x, y, kind) of the previous curve's second control point
    cmd = ""

    def num():
        nonlocal pos
        v = float(tokens[pos])
        pos += 1
        return v

    def flag():
        # Arc flags may be packed with what follows ("a1 1 0 011 1"): take one digit.
        nonlocal pos
        t = tokens[pos]
        if len(t) > 1 and t[0] in "01":
            tokens[pos] = t[1:]
            return float(t[0])
        pos += 1
        return float(t)

    def curve(p0, p1, p2, p3=None, n=12):
        t = np.linspace(0, 1, n + 1)[1:, None]
        if p3 is None:
            pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2
        else:
            pts = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3
        cur.extend(map(tuple, pts))

    while pos < len(tokens):
        if tokens[pos].isalpha():
            cmd = tokens[pos]
            pos += 1
            if cmd in "Zz":
                if cur:
                    out.append(np.asarray(cur))
                cur, x, y = [], sx, sy
                last_ctrl = None
                continue
        rel = cmd.islower()
        ox, oy = (x, y) if rel else (0.0, 0.0)
        c = cmd.upper()
        if c == "M":
            if cur:
                out.append(np.asarray(cur))
            x, y = ox + num(), oy + num()
            sx, sy, cur = x, y, [(x, y)]
            cmd = "l" if rel else "L"  # further pairs are line-tos
            last_ctrl = None
        elif c == "L":
            x, y = ox + num(), oy + num()
            cur.append((x, y))
            last_ctrl = None
        elif c == "H":
            x = ox + num()
            cur.append((x, y))
            last_ctrl = None
        elif c == "V":
            y = oy + num()
            cur.append((x, y))
            last_ctrl = None
        elif c in "CS":
            p0 = np.array([x, y])
            if c == "C":
                p1 = np.array([ox + num(), oy + num()])
            else:
                p1 = 2 * p0 - last_ctrl.p if last_ctrl is not None and last_ctrl.kind == "C" else p0
            p2 = np.array([ox + num(), oy + num()])
            p3 = np.array([ox + num(), oy + num()])
            curve(p0, p1, p2, p3)
            x, y = p3
            last_ctrl = _Ctrl(p2, "C")
        elif c in "QT":
            p0 = np.array([x, y])
            if c == "Q":
                p1 = np.array([ox + num(), oy + num()])
            else:
                p1 = 2 * p0 - last_ctrl.p if last_ctrl is not None and last_ctrl.kind == "Q" else p0
            p2 = np.array([ox + num(), oy + num()])
            curve(p0, p1, p2)
            x, y = p2
            last_ctrl = _Ctrl(p1, "Q")
        elif c == "A":
            rx, ry, phi, large, sweep = abs(num()), abs(num()), num(), flag(), flag()
            x2, y2 = ox + num(), oy + num()
            cur.extend(_arc(x, y, rx, ry, phi, large, sweep, x2, y2))
            x, y = x2, y2
            last_ctrl = None
    if cur:
        out.append(np.asarray(cur))
    return [p for p in out if len(p) >= 3]


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    """Square erosion by r px (separable running minimum)."""
    out = mask
    for axis in (0, 1):
        acc = out.copy()
        for s in range(1, r + 1):
            for sign in (1, -1):
                shifted = np.roll(out, sign * s, axis=axis)
                # Outside the array counts as empty.
                if axis == 0:
                    if sign > 0:
                        shifted[:s] = 0
                    else:
                        shifted[-s:] = 0
                else:
                    if sign > 0:
                        shifted[:, :s] = 0
                    else:
                        shifted[:, -s:] = 0
                np.minimum(acc, shifted, out=acc)
        out = acc
    return out


def _blur(mask: np.ndarray, radius: float) -> np.ndarray:
    img = Image.fromarray(np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0


def _shift(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(dy, 0): h + min(dy, 0), max(dx, 0): w + min(dx, 0)] = \
        mask[max(-dy, 0): h + min(-dy, 0), max(-dx, 0): w + min(-dx, 0)]
    return out


def _over(top_rgb, top_a, bot_rgb, bot_a):
    """Straight-alpha over for float arrays (rgb H x W x 3, a H x W)."""
    a = top_a + bot_a * (1.0 - top_a)
    safe = np.where(a > 0, a, 1.0)[..., None]
    rgb = (top_rgb * top_a[..., None] + bot_rgb * (bot_a * (1.0 - top_a))[..., None]) / safe
    return rgb, a


def _linear_field(w: int, h: int, angle: float) -> np.ndarray:
    """0..1 ramp across a w x h area along `angle`."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = xs * math.cos(angle) + ys * math.sin(angle)
    t -= t.min()
    return t / max(float(t.max()), 1e-6)


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
    """(rgb uint8 H x W x 4, caption, dominant colour name, colour names used). `named`: the chance that the
    colour is one of NAMED_COLOURS rather than the twelve."""
    name = rng.choice(_NAMES)
    if palette.random() < named:
        name = palette.choice(sorted(NAMED_COLOURS)) if palette.random() >= HEX_SHARE else _random_hex(palette, [])
    base = colour_rgb(name)
    style = rng.choices(["solid", "linear", "radial", "stripes", "dots", "noise"], weights=[3, 3, 2, 2, 2, 2])[0]
    used = [name]
    if style == "solid":
        rgb = np.broadcast_to(np.asarray(base, np.float32), (h, w, 3))
        caption = rng.choice([f"a plain {name} background", f"a solid {name} background", f"a flat {name} background"])
        if wording.random() < 0.4:  # people write "on white": a bare colour at the end is the background too
            caption = wording.choice([name, f"plain {name}", f"solid {name}", _article(f"{name} canvas")])
    elif style == "linear":
        t = _linear_field(w, h, rng.uniform(0, 2 * math.pi))
        if rng.random() < 0.3:
            other = _distinct(rng, [name])
            used.append(other)
            # The first colour covers most of the canvas, so it stays the dominant one.
            t = t ** 1.8
            rgb = _gradient(base, COLOURS[other], t)
            caption = rng.choice([_article(f"{name} to {other} gradient background"), f"a gradient from {name} to {other}"])
        else:
            s = rng.uniform(0.2, 0.35)
            rgb = _gradient(_shade(base, s), _shade(base, -s), t)
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
        period = rng.uniform(14, 40)
        width = period * rng.uniform(0.2, 0.4)  # stripes cover less than half: the base colour dominates
        angle = rng.choice([0.0, math.pi / 2, math.pi / 4, -math.pi / 4])
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        u = xs * math.cos(angle) + ys * math.sin(angle)
        dist = np.abs(((u / period) % 1.0) - 0.5) * period  # distance to the stripe's middle line
        cov = _smoothstep(width / 2 - dist + 0.5)
        rgb = _gradient(base, COLOURS[other], cov)
        thin = "thin " if width < 7 else ""
        caption = rng.choice([_article(f"{name} background with {thin}{other} stripes"),
                              f"{other} stripes on a {name} background"])
    elif style == "dots":
        other = _distinct(rng, [name])
        used.append(other)
        period = rng.uniform(16, 36)
        rad = period * rng.uniform(0.15, 0.28)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        ox, oy = rng.uniform(0, period), rng.uniform(0, period)
        dx = ((xs + ox) % period) - period / 2
        dy = ((ys + oy) % period) - period / 2
        cov = _smoothstep(rad - np.sqrt(dx * dx + dy * dy) + 0.5)
        rgb = _gradient(base, COLOURS[other], cov)
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
    return _to_rgba(np.asarray(rgb), np.ones((h, w), np.float32)), caption, name, used


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
    elif r < 0.55 and _icon_table():
        slug = rng.choice(sorted(_icon_table()))
        _, aspect = _icon_master(slug)
        spec = _Spec("icon", text=slug, colour=colour, aspect=aspect)
        spec.gradient = colour not in ("black", "white") and rng.random() < 0.2
    else:
        kind = rng.choice(_SHAPE_KINDS)
        lo, hi = SHAPES[kind]
        aspect = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        if kind in ("rectangle",) and rng.random() < 0.5 and aspect < 1:
            aspect = 1 / aspect
        spec = _Spec(kind, colour=colour, aspect=aspect)
        spec.outline = kind not in ("ring", "lightning bolt", "crescent moon", "cloud") and rng.random() < 0.2
        spec.gradient = not spec.outline and colour not in ("black", "white") and rng.random() < 0.25
    effect = rng.random()
    spec.shadow = effect < 0.22
    spec.glow = 0.22 <= effect < 0.32
    spec.translucent = not spec.outline and rng.random() < 0.07
    return spec


def _caption(spec: _Spec, rng: random.Random) -> str:
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
        name = _icon_table()[spec.text][0]
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
    if spec.shadow:
        core += rng.choice([" with a drop shadow", " with a soft shadow"])
    elif spec.glow:
        core += rng.choice([" with a soft glow", " with a glow"])
    return core


def _render_layer(spec: _Spec, rect, w: int, h: int, rng: random.Random, shadow, glow) -> tuple[np.ndarray, np.ndarray]:
    """RGBA uint8 of one foreground layer: object filling `rect` inside a w x h box, with its effects; and the
    object's own coverage (for text, the glyph condition)."""
    if spec.kind == "text":
        cov = fit_coverage(text_master(spec.text)[0], w, h, rect)
    elif spec.kind == "icon":
        cov = fit_coverage(_icon_master(spec.text)[0], w, h, rect)
    else:
        cov = _shape_mask(spec.kind, w, h, rect, rng)
    if spec.outline:
        size = min(rect[2] - rect[0], rect[3] - rect[1])
        t = max(2, int(round(size * rng.uniform(0.06, 0.11))))
        cov = np.clip(cov - _erode(cov, t), 0.0, 1.0)
    base = colour_rgb(spec.colour)
    if spec.gradient:
        s = rng.uniform(0.22, 0.35)
        # Light colours darken only a little, or yellow turns mustard and the named colour is lost.
        dark = -min(s, _darken_limit(spec.colour, s))
        rgb = _gradient(_shade(base, s), _shade(base, dark), _linear_field(w, h, rng.uniform(0, 2 * math.pi)))
    else:
        rgb = np.broadcast_to(np.asarray(base, np.float32), (h, w, 3))
    alpha = cov * (rng.uniform(0.55, 0.8) if spec.translucent else 1.0)
    if shadow is not None:
        dx, dy, radius, strength = shadow
        sh = _blur(_shift(cov, dx, dy), radius) * strength
        dark = (90, 90, 100) if spec.colour == "black" or _lightness(spec.colour) < 25 else (20, 20, 30)
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
    bg_pixels, bg_caption, bg_name, bg_used = _background(rng, nrng, cw, ch, wording, palette, named_colours)
    specs = [_pick_spec(rng, bg_used, palette, named_colours) for _ in range(n)]
    taken: list = []
    max_overlap = 0.8 if stress else 0.35
    placed = [(spec, *_foreground(rng, spec, cw, ch, area_range, True, taken, max_overlap)) for spec in specs]
    # Bigger things tend to sit lower in the stack, with some shuffling.
    placed.sort(key=lambda p: -p[1].area * rng.uniform(0.5, 1.5))

    layers = [Layer(Box(0, 0, cw, ch), bg_pixels, name=bg_caption)]
    captions = [bg_caption]
    colours = [colour_rgb(bg_name)]
    glyphs: list = [None]
    for spec, box, pixels, coverage in placed:
        cap = _caption(spec, rng)
        layers.append(Layer(box, pixels, name=cap))
        captions.append(cap)
        colours.append(colour_rgb(spec.colour))
        glyphs.append(coverage if spec.kind == "text" else None)
    caption = _global_caption(rng, captions[1:], bg_caption, wording)
    doc = Document(cw, ch, caption, layers)
    return Design(doc, caption, captions, colours, doc.compose(), seed, glyphs)
