"""Silhouettes of the shapes and icons the default model knows: the corpus draws its objects with them, and the
engine gives a layer whose description names one its silhouette fitted to the box (engine/glyphs.py), as it gives a
quoted word its letters. Filled coverage only; colour, gradient, outline and effects are the model's to draw."""
from __future__ import annotations

import json
import math
import random
import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from layerstudio import RESOURCES

from .colours import colour_spans
from .text import quoted_ranges

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
SHAPE_KINDS = list(SHAPES)
NEVER_OUTLINED = ("ring", "lightning bolt", "crescent moon", "cloud")  # thin already, or a muddle outlined
OUTLINE_SHARE = 0.085  # an outline's width over the shape's smaller side (the corpus draws 0.06 to 0.11)
# Everyday names for shapes the corpus calls otherwise.
ALIASES = {"moon": "crescent moon", "lightning": "lightning bolt", "thunderbolt": "lightning bolt", "oval": "ellipse",
           "speech balloon": "speech bubble", "donut": "ring", "doughnut": "ring", "stop sign": "octagon"}

SS = 4  # supersampling factor for anti-aliased edges
MAX_SS_SIDE = 1024  # cap on the supersampled side (big boxes use less supersampling)


def _reduce(img: Image.Image, factor: int) -> np.ndarray:
    if factor > 1:
        img = img.reduce(factor)
    return np.asarray(img, np.float32) / 255.0


def fit_coverage(master: np.ndarray, w: int, h: int, rect) -> np.ndarray:
    """Resample a cropped coverage master (uint8 or float) to fill `rect` inside a w x h layer."""
    x0, y0, x1, y1 = rect
    tw, th = max(1, round(x1 - x0)), max(1, round(y1 - y0))
    src = master if master.dtype == np.uint8 else np.clip(master * 255.0 + 0.5, 0, 255).astype(np.uint8)
    down = tw < src.shape[1]
    img = Image.fromarray(src).resize((tw, th), Image.Resampling.LANCZOS if down else Image.Resampling.BICUBIC)
    out = np.zeros((h, w), np.float32)
    ox, oy = int(round(x0)), int(round(y0))
    out[oy: oy + th, ox: ox + tw] = np.asarray(img, np.float32)[: h - oy, : w - ox] / 255.0
    return out


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


def shape_mask(kind: str, w: int, h: int, rect, rng: random.Random, facing: str | None = None) -> np.ndarray:
    """Anti-aliased coverage (h x w float32 in 0..1) of a shape filling `rect` = (x0, y0, x1, y1) in px. `facing`
    ("left", "right", "up", "down") overrides the random way an arrow or a triangle points; the rng is drawn from
    the same either way."""
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
        up = rng.random() < 0.8
        if facing in ("up", "down"):
            up = facing == "up"
        if facing in ("left", "right"):  # never in the corpus: the model follows the silhouette (as arrows up)
            pts = [(x0, y0), (x1, cy), (x0, y1)] if facing == "right" else [(x1, y0), (x0, cy), (x1, y1)]
        elif up:
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
        left = rng.random() < 0.5
        if facing in ("left", "right"):
            left = facing == "left"
        if facing in ("up", "down"):  # never in the corpus; asked for, drawn so, and the model follows the glyph
            pts = [(y, 1 - x if facing == "up" else x) for x, y in pts]
        elif left:
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


# More of the same icon set for the engine alone: the model, never trained on them, draws most of them from their
# silhouette (a layer whose words name no object it knows came out empty); Font Awesome's (CC BY 4.0) for things that
# set has no icon of ('a frog', 'a rainbow'), and Twemoji's (CC BY 4.0) for the animals, fruit and things neither has
# ('a fox', 'a whale', 'a banana': 80 of 220 everyday nouns named nothing the engine knew); and our own drawings of
# what no set has (confetti)
UNTRAINED_ICON_FILES = (RESOURCES / "silhouettes" / "icons.json", RESOURCES / "silhouettes" / "fontawesome.json",
                        RESOURCES / "silhouettes" / "twemoji.json", RESOURCES / "silhouettes" / "drawn.json")


def _read_icons(path) -> list[dict]:
    """Each icon's slug, name, SVG path and view (the side of the square its path is drawn in). A path is its data,
    or a list of ['+' or '-', data]: shapes added and cut out in turn (an emoji's eyes, cut out of its face)."""
    try:
        icons = json.loads(path.read_text(encoding="utf-8"))["icons"]
        return [{"slug": i["slug"], "name": i["name"], "path": i["path"] if isinstance(i["path"], str) else
                 tuple((op, d) for op, d in i["path"] if op in ("+", "-") and isinstance(d, str)),
                 "view": float(i.get("view", 24))} for i in icons]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _untrained_icons() -> list[dict]:
    return [icon for path in UNTRAINED_ICON_FILES for icon in _read_icons(path)]


@lru_cache(maxsize=1)
def icon_table() -> dict[str, tuple[str, str]]:
    """The corpus's icons: slug -> (caption name, SVG path data); empty if the resource is missing (icons are then
    not drawn)."""
    return {i["slug"]: (i["name"], i["path"]) for i in _read_icons(ICON_FILE)}


@lru_cache(maxsize=1)
def icon_names() -> dict[str, str]:
    """Every icon name the engine knows -> its slug: the corpus's and the untrained ones (some of which are other
    names for the corpus's)."""
    return {name: slug for slug, (name, _) in icon_table().items()} | {i["name"]: i["slug"] for i in _untrained_icons()}


def untrained_icon_names() -> list[str]:
    """Names of the icons the corpus never drew, sorted."""
    return sorted(name for name, slug in icon_names().items() if slug not in icon_table())


@lru_cache(maxsize=1)
def _icon_paths() -> dict[str, tuple[str | tuple, float]]:
    """slug -> (SVG path data, or shapes added and cut out in turn; view side)."""
    return {i["slug"]: (i["path"], i["view"]) for i in _untrained_icons()} | \
        {slug: (path, 24.0) for slug, (_, path) in icon_table().items()}


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
def icon_master(slug: str) -> tuple[np.ndarray, float]:
    """An icon's coverage at the master size, cropped to its ink, and its aspect ratio (w / h)."""
    path, view = _icon_paths()[slug]
    if isinstance(path, str):
        cov = _rasterise(_path_polylines(path), _ICON_MASTER, view)
    else:  # shapes added and cut out in turn
        cov = np.zeros((_ICON_MASTER, _ICON_MASTER), np.float32)
        for op, d in path:
            shape = _rasterise(_path_polylines(d), _ICON_MASTER, view)
            cov = np.maximum(cov, shape) if op == "+" else np.minimum(cov, 1.0 - shape)
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


def erode(mask: np.ndarray, r: int) -> np.ndarray:
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


@lru_cache(maxsize=1)
def _name_patterns() -> list[tuple[re.Pattern, str, str]]:
    """(whole-word pattern, "shape" or "icon", shape kind or icon slug), longest names first: 'moon and star' and
    'starburst' before 'star'."""
    names = {kind: ("shape", kind) for kind in SHAPES} | {a: ("shape", kind) for a, kind in ALIASES.items()}
    names = {name: ("icon", slug) for name, slug in icon_names().items()} | names  # a shape's name stays the shape's
    return [(re.compile(r"\b(?:" + "|".join(plural_forms(name)) + r")\b"), *names[name])  # "two dolphins" too
            for name in sorted(names, key=lambda name: (name in _GENERIC, -len(name)))]


_GENERIC = {"emoji"}  # says what kind of picture, not what it shows: 'a heart emoji' is a heart


def plural_forms(name: str) -> list[str]:
    """Patterns for a name and its plurals: 'leaf' -> leaf(s|es)?, leaves; 'cherry' -> cherries; 'knife' -> knives."""
    out = [re.escape(name) + r"(?:s|es)?"]
    if name.endswith("fe"):
        out.append(re.escape(name[:-2]) + "ves")
    elif name.endswith("f"):
        out.append(re.escape(name[:-1]) + "ves")
    elif re.search(r"[^aeiou]y$", name):
        out.append(re.escape(name[:-1]) + "ies")
    return out


# words that hold a thing's name but name no thing: a baby shower is a party, not a shower head
_NO_THING = re.compile(r"\b(?:baby|bridal|wedding)\s+showers?\b|\bsuper\s+bowl\b|\bhello,?\s+world\b|\brolling\s+pins?\b|"
                       r"\bworld'?s\s+(?:best|greatest|okayest)\b|\bbest\s+\w+\s+in\s+the\s+world\b|"
                       # names in phrases that name another thing (Twemoji's names: 'a pie chart' drew a pie)
                       r"\bpie\s+charts?\b|\bcoats?\s+of\s+arms\b|\bsea\s+lions?\b|\b(?:hen|stag)\s+(?:party|do|night)\b|"
                       r"\bmilk\s+chocolate\b|\b(?:ice|knee|polar)\s+caps?\b|\bkneecaps?\b|\btiger\s+lil(?:y|ies)\b|"
                       r"\blos\s+angeles\b|\b(?:camping|sports?|rain|hiking|fishing|climbing)\s+gear\b")


def no_thing_spans(text: str) -> list[tuple[int, int]]:
    """Spans of phrases that hold a thing's name but name no thing ('baby shower', 'super bowl', 'hello world')."""
    return [m.span() for m in _NO_THING.finditer(text.lower())]


def _names_only(text: str) -> str:
    """`text` lower-cased with colour names, quoted words and phrases that name no thing blanked out: 'ghost white'
    is a colour, not a ghost, "the word 'SHOP'" is lettering, not a shop, and a baby shower no shower head."""
    out = text.lower()
    spans = [span[:2] for span in colour_spans(text)] + quoted_ranges(text) + no_thing_spans(text)
    for start, end in spans:
        out = out[:start] + " " * (end - start) + out[end:]
    return out


# where a thing's name ends and what is said of it begins: 'a frog | on a lily pad', 'a robot | holding a balloon'
_HEAD_END = re.compile(r"\s+(?:with|in|on|at|of|and|saying|holding|wearing|carrying|eating|under|over|above|below|"
                       r"beside|next|near|by|behind|inside|against|between|sitting|standing|flying|riding)\b|\s*[,;:.!?(]")


@lru_cache(maxsize=8192)
def named_object(description: str) -> tuple[str, str] | None:
    """("shape", kind) or ("icon", slug) for the known object a layer's description names, else None: the last
    name before what is said of the thing (its head: 'a frog on a lily pad' is a frog, not a lily; 'a heart shaped
    balloon' a balloon, 'a blueberry muffin' a muffin), the longest where several end there; else the longest name
    anywhere ('a slice of pizza')."""
    text = _names_only(description)
    head = _HEAD_END.search(text)
    head_end = head.start() if head is not None and head.start() > 0 else len(text)
    patterns = _name_patterns()
    generic = len(patterns) - len(_GENERIC)  # they come last: 'a cat face emoji' is a cat
    found = [(k < generic, m.end(), len(m.group()), category, key)
             for k, (pattern, category, key) in enumerate(patterns) for m in pattern.finditer(text)
             if m.start() < head_end]  # ('a moon and star' is one icon's name)
    if found:  # (with nothing said of it, the last name too: 'a blueberry muffin' drew blueberries)
        return max(found)[3:]
    for pattern, category, key in _name_patterns():
        if pattern.search(text):
            return category, key
    return None


def name_spans(text: str, untrained_only: bool = False) -> list[tuple[int, int]]:
    """Character spans of the shape and icon names in `text`, in order (of icons the corpus never drew alone, with
    `untrained_only`); not where a longer known name holds them, nor inside a hyphenated word."""
    lowered = _names_only(text)
    trained = icon_table()
    taken: list[tuple[int, int]] = []
    found = []
    for pattern, category, key in _name_patterns():
        for m in pattern.finditer(lowered):
            a, b = m.span()
            if any(s < b and a < e for s, e in taken) or lowered[a - 1:a] == "-" or lowered[b:b + 1] == "-":
                continue
            taken.append((a, b))
            if not untrained_only or (category == "icon" and key not in trained):
                found.append((a, b))
    return sorted(found)


def untrained_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the names in `text` of icons the corpus never drew (resources/silhouettes), in order."""
    return name_spans(text, untrained_only=True)


_DIRECTION = r"(up|down|left|right)(?:wards?)?"
_FACING_PATTERNS = (  # a direction the words give explicitly, before one merely next to the object's name
    re.compile(r"\b(?:pointing|points|pointed|facing|faces|aiming|heading)\s+(?:to\s+the\s+|towards?\s+the\s+)?"
               + _DIRECTION + r"\b"),
    re.compile(r"\b" + _DIRECTION + r"(?:[- ](?:pointing|facing))?\s+(?:arrow|triangle)"),
)
_UPSIDE_DOWN = re.compile(r"\b(?:upside[- ]down|inverted)\b")


def facing(description: str) -> str | None:
    """Which way a layer's words say its arrow or triangle points ("a blue arrow pointing left", "a right arrow",
    "an upside-down triangle"): "up", "down", "left", "right", or None."""
    text = description.lower()
    for pattern in _FACING_PATTERNS:
        found = pattern.search(text)
        if found:
            return found.group(1)
    return "down" if _UPSIDE_DOWN.search(text) else None


# shapes the corpus draws pointing either way (arrows across, triangles up or down; arrows up or down only when asked)
POINTING_KINDS = ("arrow", "triangle")


def pointing(kind: str, coverage: np.ndarray) -> str:
    """Which way the arrow or triangle in `coverage` points: towards its thinner end ("left", "right", "up",
    "down"): `facing` read back off the pixels, so the corpus can say it without drawing from its pixels' random
    stream."""
    rows, cols = np.nonzero(coverage > 0.5)
    part = coverage[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    if kind == "arrow" and part.shape[1] >= part.shape[0]:  # across, as the corpus draws them
        strip = max(1, part.shape[1] // 10)
        return "left" if part[:, :strip].sum() < part[:, -strip:].sum() else "right"
    strip, across = max(1, part.shape[0] // 10), max(1, part.shape[1] // 10)
    top, bottom = part[:strip].sum(), part[-strip:].sum()
    left, right = part[:, :across].sum(), part[:, -across:].sum()
    if abs(left - right) / max(left + right, 1e-6) > abs(top - bottom) / max(top + bottom, 1e-6):  # on its side
        return "left" if left < right else "right"
    return "up" if top < bottom else "down"


def silhouette(category: str, key: str, w: int, h: int, rect, rng: random.Random,
               outlined: bool = False, facing: str | None = None) -> np.ndarray:
    """Coverage (h x w float32) of a shape or an icon filling `rect` in a w x h box, as the corpus draws it."""
    if category == "icon":
        cov = fit_coverage(icon_master(key)[0], w, h, rect)
    else:
        cov = shape_mask(key, w, h, rect, rng, facing)
    if outlined and key not in NEVER_OUTLINED:
        side = min(rect[2] - rect[0], rect[3] - rect[1])
        cov = np.clip(cov - erode(cov, max(2, int(round(side * OUTLINE_SHARE)))), 0.0, 1.0)
    return cov
