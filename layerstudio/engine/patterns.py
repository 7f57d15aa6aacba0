"""Background patterns the default model knows: stripes and dots. The corpus paints its patterned backgrounds with
them, and the engine gives a background whose words name one its pattern through the glyph input, as it gives an
object its silhouette. The model alone drew stripes and dots as noisy texture."""
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


def stripe_params(rng: random.Random) -> tuple[float, float, float]:
    """Period, width and angle as the corpus draws them."""
    period = rng.uniform(14, 40)
    width = period * rng.uniform(0.2, 0.4)  # stripes cover less than half: the base colour dominates
    return period, width, rng.choice(STRIPE_ANGLES)


def dot_params(rng: random.Random) -> tuple[float, float, float, float]:
    """Period, radius and offsets as the corpus draws them."""
    period = rng.uniform(16, 36)
    radius = period * rng.uniform(0.15, 0.28)
    return period, radius, rng.uniform(0, period), rng.uniform(0, period)


_STRIPES = re.compile(r"\bstripe[sd]?\b|\bstriped\b")
_DOTS = re.compile(r"\b(?:polka[- ])?dots?\b|\bdotted\b")


def names_pattern(description: str) -> bool:
    text = description.lower()
    return bool(_STRIPES.search(text) or _DOTS.search(text))


def pattern_for(description: str, w: int, h: int, seed: int) -> np.ndarray | None:
    """(h, w) coverage of the pattern a background's words name, its free choices (spacing, direction) drawn from
    the seed within the corpus's ranges and the words ('thin', 'vertical', 'horizontal', 'diagonal'); None if the
    words name neither stripes nor dots."""
    text = description.lower()
    rng = random.Random(seed)
    if _STRIPES.search(text):
        period, width, angle = stripe_params(rng)
        thin = re.search(r"\b(?:thin|narrow|pinstripes?)\b", text) is not None
        if thin != (width < THIN_STRIPE):  # as the corpus words it: thin stripes under 7 px, others not
            width = (rng.uniform(0.6, 0.95) if thin else rng.uniform(1.0, 1.6)) * THIN_STRIPE
            period = max(period, width / 0.4)
        ways = [a for a, way in zip(STRIPE_ANGLES, STRIPE_WAYS) if re.search(rf"\b{way}\b", text)]
        if ways:
            angle = rng.choice(ways)
        return stripes(w, h, period, width, angle)
    if _DOTS.search(text):
        return dots(w, h, *dot_params(rng))
    return None
