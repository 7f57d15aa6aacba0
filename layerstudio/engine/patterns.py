"""Background patterns: stripes, dots and two-colour gradients, which the corpus paints its patterned backgrounds
with, and checks. The engine gives a background whose words name one its pattern through the glyph input, as it gives
an object its silhouette, and paints the pattern over what the model drew from it where the words name both colours:
the model alone drew stripes and dots as noisy texture, and with the pattern given, its edges still beaded."""
from __future__ import annotations

import math
import random
import re

import numpy as np

STRIPE_ANGLES = (0.0, math.pi / 2, math.pi / 4, -math.pi / 4)
STRIPE_WAYS = ("vertical", "horizontal", "diagonal", "diagonal")  # the words for them
THIN_STRIPE = 7.0  # px: narrower stripes the corpus calls thin


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def stripes(w: int, h: int, period: float, width: float, angle: float) -> np.ndarray:
    """(h, w) coverage of parallel stripes `width` px wide every `period` px, across direction `angle`."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xs * math.cos(angle) + ys * math.sin(angle)
    dist = np.abs(((u / period) % 1.0) - 0.5) * period  # distance to the stripe's middle line
    return smoothstep(width / 2 - dist + 0.5)


def dots(w: int, h: int, period: float, radius: float, ox: float, oy: float) -> np.ndarray:
    """(h, w) coverage of round dots on a square grid `period` px apart, shifted by (ox, oy)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx = ((xs + ox) % period) - period / 2
    dy = ((ys + oy) % period) - period / 2
    return smoothstep(radius - np.sqrt(dx * dx + dy * dy) + 0.5)


def linear_ramp(w: int, h: int, angle: float) -> np.ndarray:
    """(h, w) 0..1 ramp across the area along direction `angle`."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = xs * math.cos(angle) + ys * math.sin(angle)
    t -= t.min()
    return t / max(float(t.max()), 1e-6)


def two_colour_ramp(w: int, h: int, angle: float) -> np.ndarray:
    """(h, w) share of the second colour in a gradient between two: skewed so the first colour, named first,
    covers most of the canvas."""
    return linear_ramp(w, h, angle) ** 1.8


def stripe_params(rng: random.Random) -> tuple[float, float, float]:
    """Period, width and angle as the corpus draws them."""
    period = rng.uniform(14, 40)
    width = period * rng.uniform(0.2, 0.4)  # stripes cover less than half: the base colour dominates
    return period, width, rng.choice(STRIPE_ANGLES)


def _square_wave(n: int, period: float, offset: float) -> np.ndarray:
    """(n,) +1 and -1 alternating every `period` px from `offset`, ramping across each edge over a pixel."""
    x = np.arange(n, dtype=np.float32) + 0.5 + offset
    phase = (x / period) % 2.0
    edge = np.minimum(np.minimum(phase, np.abs(phase - 1.0)), 2.0 - phase) * period  # px to the nearest edge
    return np.where(phase < 1.0, 1.0, -1.0).astype(np.float32) * np.clip(edge * 2.0, 0.0, 1.0)


def checks(w: int, h: int, period: float, ox: float, oy: float) -> np.ndarray:
    """(h, w) coverage of a checkerboard of `period` px squares shifted by (ox, oy), its edges antialiased."""
    return 0.5 - 0.5 * _square_wave(h, period, oy)[:, None] * _square_wave(w, period, ox)[None, :]


def gingham(w: int, h: int, period: float, ox: float, oy: float) -> np.ndarray:
    """(h, w) coverage of gingham: bands `period` px wide both ways, half covered where one band runs and whole
    where two cross, as the woven cloth's three tones."""
    across = 0.5 + 0.5 * _square_wave(w, period, ox)[None, :]
    down = 0.5 + 0.5 * _square_wave(h, period, oy)[:, None]
    return (across + down) / 2


def chevrons(w: int, h: int, period: float, ox: float) -> np.ndarray:
    """(h, w) coverage of zigzag bands `period` px apart, half of each band covered, their points `period` px
    apart across and shifted by `ox`, their edges antialiased."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    phase = ((ys + np.abs(((xs + ox) / period) % 1.0 - 0.5) * period) / period) % 1.0
    edge = np.minimum(np.minimum(phase, np.abs(phase - 0.5)), 1.0 - phase) * period / math.sqrt(2)  # the edges slant
    return np.where(phase < 0.5, 0.5, -0.5).astype(np.float32) * np.clip(edge * 2.0, 0.0, 1.0) + 0.5


def dot_params(rng: random.Random) -> tuple[float, float, float, float]:
    """Period, radius and offsets as the corpus draws them."""
    period = rng.uniform(16, 36)
    radius = period * rng.uniform(0.15, 0.28)
    return period, radius, rng.uniform(0, period), rng.uniform(0, period)


STRIPES = re.compile(r"\b(?:pin)?stripe[sd]?\b|\bstriped\b")
DOTS = re.compile(r"\b(?:polka[- ]?)?dots?\b|\bdotted\b|\bspots\b|\bspotted\b")
CHECKS = re.compile(r"\b(?:check(?:s|ed|ered|erboard)|chequer(?:s|ed|board)|gingham)\b")
CHEVRONS = re.compile(r"\b(?:chevrons?|zig-?zags?|zigzagged)\b")
PATTERN_WORDS = re.compile("|".join(p.pattern for p in (STRIPES, DOTS, CHECKS, CHEVRONS)))  # any pattern's word
_GRADIENT = re.compile(r"\bgradient\b|\bombre\b|\bfad(?:e|es|ing)\b")
# a gradient's direction in the words stripes use (the planner reads them as the background's): the ramp rises
# left to right, top to bottom, or top left to bottom right, the first colour where it starts
_GRADIENT_WAYS = {"horizontal": 0.0, "vertical": math.pi / 2, "diagonal": math.pi / 4}


_RADIAL = re.compile(r"\bradial\b")
FLAT_RISE = 20.0  # lightness change (of 255) across a gradient under which it reads as one flat colour
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


# a sky is a gradient too, unless something is in it (the model drew skies blotchy, its patch grid showing)
_PLAIN_SKY = re.compile(r"^(?!.*\b(?:stars?|starry|clouds?|cloudy|galaxy|aurora|fireworks|moon|sun|birds?|rainbow)\b)"
                        r".*\bsky\b(?![ -]blue)")


def names_gradient(description: str) -> bool:
    text = description.lower()
    return bool(_GRADIENT.search(text) or _RADIAL.search(text) or _PLAIN_SKY.search(text))


def radial_ramp(w: int, h: int, seed: int) -> np.ndarray:
    """(h, w) 0 at a centre drawn from the seed, nearer the middle than not, rising to 1 at the farthest corner."""
    rng = random.Random(seed)
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
    return r / max(float(r.max()), 1e-6)


def smooth_gradient(pixels: np.ndarray, description: str, seed: int,
                    colours: list[tuple[int, int, int]]) -> np.ndarray:
    """A generated gradient background (RGBA uint8) painted smooth: the model drew gradients blotchy, its 8 px
    patches showing, and radial ones seldom radial. Between two named colours (`colours`, as they will be shown),
    the ramp asked, a radial one from the first colour at its centre; else the model's own colours: a plane
    fitted to them (where it drew them flat, their mean from darker to lighter), or for a radial gradient its
    lightest large-scale colour at the centre and its darkest at the rim."""
    h, w = pixels.shape[:2]
    radial = _RADIAL.search(description.lower()) is not None
    if len(colours) == 2:
        ramp = radial_ramp(w, h, seed) if radial else pattern_for(description, w, h, seed)
        if ramp is not None:
            return painted(ramp, *colours)
    rgb = pixels[..., :3].astype(np.float32)
    if radial:
        cells = rgb.reshape(-1, 3) if min(w, h) < 8 else np.stack(
            [block.mean((0, 1)) for band in np.array_split(rgb, 8, 0) for block in np.array_split(band, 8, 1)])
        light = cells @ _LUMA
        return painted(radial_ramp(w, h, seed), tuple(cells[light.argmax()]), tuple(cells[light.argmin()]))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    design = np.stack([np.ones_like(xs), xs / w, ys / h], -1).reshape(-1, 3)
    plane, *_ = np.linalg.lstsq(design, rgb.reshape(-1, 3), rcond=None)
    rise = plane[1:] @ _LUMA  # lightness change across the width, the height
    if math.hypot(*rise) < FLAT_RISE:  # drawn flat ('ombre pink', 'a soft pastel purple gradient'): its colour from
        # darker to lighter, as the corpus shades one-colour gradients, lighter where it was lighter
        angle = math.atan2(rise[1], rise[0]) if math.hypot(*rise) > 3 else random.Random(seed).uniform(0, 2 * math.pi)
        mean = rgb.reshape(-1, 3).mean(0)
        return painted(linear_ramp(w, h, angle), tuple(mean * 0.8), tuple(mean + (255 - mean) * 0.2))  # lighter
    out = np.full((h, w, 4), 255, np.uint8)
    out[..., :3] = np.clip(np.round(design @ plane), 0, 255).reshape(h, w, 3).astype(np.uint8)
    return out


_RAINBOW = re.compile(r"\brainbow\b")
RAINBOW = ("red", "orange", "gold", "green", "dodger blue", "purple")


def rainbow_for(description: str, w: int, h: int, seed: int) -> np.ndarray | None:
    """(h, w, 4) uint8 opaque picture of the rainbow a background's words ask for ('rainbow stripes', 'a pastel
    rainbow gradient', 'a rainbow background'): bands of its six colours, or a smooth ramp through them, across the
    way the words say or the seed picks; None where they ask for none. (A rainbow came out one colour: the corpus
    has none, and the background was given one colour.)"""
    from .colours import colour_rgb

    text = description.lower()
    banded = STRIPES.search(text) is not None
    if not _RAINBOW.search(text) or not (banded or _GRADIENT.search(text) or
                                         re.search(r"\brainbow\s+(?:colou?red\s+)?background", text)):
        return None
    rng = random.Random(seed)
    ways = [a for a, way in zip(STRIPE_ANGLES, STRIPE_WAYS) if re.search(rf"\b{way}\b", text)]
    angle = rng.choice(ways or [0.0, math.pi / 2])
    colours = np.array([colour_rgb(name) for name in RAINBOW], np.float32)
    if re.search(r"\b(?:pastel|soft|pale)\b", text):
        colours += (255 - colours) * 0.5
    t = linear_ramp(w, h, angle)
    span = max(abs(math.cos(angle)) * (w - 1) + abs(math.sin(angle)) * (h - 1), 1e-6)  # px the ramp runs over
    if banded:  # each band's colour, blended into the next over the last pixel before it
        bands = rng.choice([6, 12])
        place = np.minimum(t * bands, bands - 1e-3)
        low = place.astype(int)
        blend = np.clip((place - low - 1.0) * span / bands + 1.0, 0.0, 1.0)
        rgb = colours[low % 6] + (colours[np.minimum(low + 1, bands - 1) % 6] - colours[low % 6]) * blend[..., None]
    else:
        place = np.minimum(t * 5, 4.999)
        low = place.astype(int)
        rgb = colours[low] + (colours[low + 1] - colours[low]) * (place - low)[..., None]
    out = np.full((h, w, 4), 255, np.uint8)
    out[..., :3] = np.round(rgb).astype(np.uint8)
    return out


def names_pattern(description: str) -> bool:
    return PATTERN_WORDS.search(description.lower()) is not None


def pattern_for(description: str, w: int, h: int, seed: int) -> np.ndarray | None:
    """(h, w) coverage of the pattern a background's words name, its free choices (spacing, direction) drawn from
    the seed within the corpus's ranges and the words ('thin', 'vertical', 'horizontal', 'diagonal'); for a gradient
    between two named colours, the second colour's share; None if the words name no pattern. (Other ways of saying
    which way, "left to right", the planner cuts into objects of their own.)"""
    text = description.lower()
    rng = random.Random(seed)
    if STRIPES.search(text):
        period, width, angle = stripe_params(rng)
        thin = re.search(r"\b(?:thin|narrow|pinstripes?)\b", text) is not None
        if not thin and re.search(r"\b(?:wide|thick|broad|bold)\b", text):  # the corpus has none: painted, as
            width = rng.uniform(14.0, 22.0)  # 'big' dots are
            period = max(period, width / 0.5)
        elif thin != (width < THIN_STRIPE):  # as the corpus words it: thin stripes under 7 px, others not
            width = (rng.uniform(0.6, 0.95) if thin else rng.uniform(1.0, 1.6)) * THIN_STRIPE
            period = max(period, width / 0.4)
        ways = [a for a, way in zip(STRIPE_ANGLES, STRIPE_WAYS) if re.search(rf"\b{way}\b", text)]
        if ways:
            angle = rng.choice(ways)
        return stripes(w, h, period, width, angle)
    if DOTS.search(text):
        period, radius, ox, oy = dot_params(rng)
        if re.search(r"\b(?:big|large|huge)\b", text):  # painted, so beyond the corpus's sizes
            period, radius = period * 1.5, radius * 1.9
        elif re.search(r"\b(?:small|tiny|little)\b", text):
            period, radius = period * 0.6, radius * 0.45
        return dots(w, h, period, radius, ox, oy)
    if CHECKS.search(text):  # the corpus has none, so the model never learnt them: the pipeline paints them
        period = rng.uniform(16, 36)
        woven = gingham if "gingham" in text else checks
        return woven(w, h, period, rng.uniform(0, period), rng.uniform(0, period))
    if CHEVRONS.search(text):  # as checks: never learnt, painted
        period = rng.uniform(24, 48)
        return chevrons(w, h, period, rng.uniform(0, period))
    if names_two_colour_gradient(description) and "radial" not in text:
        ways = [angle for way, angle in _GRADIENT_WAYS.items() if re.search(rf"\b{way}\b", text)]
        return two_colour_ramp(w, h, ways[0] if ways else rng.uniform(0, 2 * math.pi))
    return None


def names_two_colour_gradient(description: str) -> bool:
    from .colours import named_colours

    return bool(_GRADIENT.search(description.lower())) and len(named_colours(description)) == 2


def pattern_colours(description: str) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
    """(ground, pattern) colours of a background whose words name a pattern and exactly two colours: a gradient
    runs from the first named to the second; stripes and dots take the colour named last before the word for them
    ('a navy background with thin orange stripes', 'purple stripes on brown'), else the first after it."""
    from .colours import colour_spans, named_colours
    from .text import quoted_ranges

    colours = named_colours(description)
    if len(colours) != 2:
        return None
    text = description.lower()
    word = STRIPES.search(text) or DOTS.search(text) or CHECKS.search(text) or CHEVRONS.search(text)
    if word is None:
        return (colours[0], colours[1]) if _GRADIENT.search(text) else None
    spans = colour_spans(description, quoted_ranges(description))
    before = [rgb for start, _, rgb in spans if start < word.start()]
    pattern = before[-1] if before else spans[0][2]
    return (colours[1] if pattern == colours[0] else colours[0]), pattern


def pattern_sketch(description: str, w: int, h: int, seed: int) -> np.ndarray | None:
    """(h, w, 4) uint8 opaque picture of the two-colour pattern a background's words ask for (`pattern_for` in the
    colours of `pattern_colours`), or None where the words leave either open."""
    colours = pattern_colours(description)
    coverage = None if colours is None else pattern_for(description, w, h, seed)
    return None if coverage is None else painted(coverage, *colours)


def painted(coverage: np.ndarray, ground: tuple[int, int, int], pattern: tuple[int, int, int]) -> np.ndarray:
    """(h, w, 4) uint8 opaque picture: `pattern`'s colour where `coverage` is 1, `ground`'s where it is 0."""
    ground_rgb, pattern_rgb = (np.asarray(c, np.float32) for c in (ground, pattern))
    out = np.full((*coverage.shape, 4), 255, np.uint8)
    out[..., :3] = np.round(ground_rgb + (pattern_rgb - ground_rgb) * coverage[..., None]).astype(np.uint8)
    return out
