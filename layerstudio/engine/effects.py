"""Drop shadows and glows, as the corpus draws them under its objects; and a drop shadow under a generated object
whose words ask for one. The model learnt shadows faintly (alpha ~38 of 255 where the corpus's are 90-150 at their
darkest: invisible on most backgrounds), so a layer asking for one gets it drawn from its own object's alpha
beneath what the model drew. Its glows show well as drawn (one drawn beneath them as well widened the layers:
true-object alpha IoU 0.844 -> 0.835, lettering 0.876 -> 0.857)."""
from __future__ import annotations

import random
import re

import numpy as np
from PIL import Image, ImageFilter

from .colours import colour_spans, lab
from .text import article_for, quoted_ranges


def blur(mask: np.ndarray, radius: float) -> np.ndarray:
    img = Image.fromarray(np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(float(radius))), np.float32) / 255.0


def shift(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(dy, 0): h + min(dy, 0), max(dx, 0): w + min(dx, 0)] = \
        mask[max(-dy, 0): h + min(-dy, 0), max(-dx, 0): w + min(-dx, 0)]
    return out


def over(top_rgb, top_a, bot_rgb, bot_a):
    """Straight-alpha over for float arrays (rgb H x W x 3, a H x W)."""
    a = top_a + bot_a * (1.0 - top_a)
    safe = np.where(a > 0, a, 1.0)[..., None]
    rgb = (top_rgb * top_a[..., None] + bot_rgb * (bot_a * (1.0 - top_a))[..., None]) / safe
    return rgb, a


def shade(rgb, amount: float) -> np.ndarray:
    """amount > 0 mixes towards white, < 0 towards black."""
    c = np.asarray(rgb, np.float32)
    if amount >= 0:
        return c + (255.0 - c) * amount
    return c * (1.0 + amount)


SHADOW_DARK, SHADOW_LIGHT = (20, 20, 30), (90, 90, 100)  # a dark object's shadow is lighter, or it would not show


def shadow_colour(object_lightness: float) -> tuple[int, int, int]:
    return SHADOW_LIGHT if object_lightness < 25 else SHADOW_DARK


# Words for an effect on an object, not a thing of its own ('a star with a glow'): one list for every reader
EFFECT_WORDS = frozenset({"glow", "glowing", "shadow", "shadows", "outline", "outlined", "halo", "border", "stroke",
                          "sparkle", "sparkles", "shine"})
_SHADOW = re.compile(r"\bshadow(s|ed)?\b", re.IGNORECASE)
OBJECT_ALPHA = (0.3, 0.7)  # alpha ramp taken as the object's own: above the model's faint effect, below its body


AN_EFFECT = re.compile(r"(?:(?:a|an)\s+)?((?:[\w-]+\s+){0,2}?)(shadow|glow)s?\b", re.IGNORECASE)  # 'soft shadows'
EFFECT_SAID = re.compile(r"\s*\bwith\s+" + AN_EFFECT.pattern, re.IGNORECASE)  # '... with a yellow glow'
_EVERY_OBJECT = (r"(?:both(?:\s+of\s+them)?|everything|they(?:\s+all)?|them(?:\s+all)?"
                 r"|all(?:\s+of)?(?:\s+them|\s+the\s+\w+|\s+(?:shapes|objects|things|icons|layers|elements))?"
                 r"|each(?:\s+one|\s+of\s+them|\s+of\s+the\s+\w+)?|every\s*(?:one|thing|object|shape|layer|icon|element))")
_UNDER = r"(?:to|on|under|around|behind|for)"
# An effect said once of every object in a clause of its own (', both with drop shadows', 'Each has a glow', 'Add a
# drop shadow to everything', 'give them all a glow', 'with a shadow under each', 'both glowing', a prompt ending
# 'with glows'): the planner read those words as an object.
EFFECT_FOR_ALL = re.compile(
    rf"(?:[,;]\s*)?\b{_EVERY_OBJECT}\s+(?:with|have|has|having|gets?)\s+(?:(?:its|their)\s+own\s+)?{AN_EFFECT.pattern}"
    rf"|\b(?:add|put|use|apply)\s+{AN_EFFECT.pattern}\s+{_UNDER}\s+{_EVERY_OBJECT}\b"
    rf"|\bgive\s+{_EVERY_OBJECT}\s+{AN_EFFECT.pattern}"
    rf"|(?:[,;]\s*)?\bwith\s+{AN_EFFECT.pattern}\s+{_UNDER}\s+{_EVERY_OBJECT}\b"
    rf"|(?:[,;]\s*)?\b{_EVERY_OBJECT}\s+glowing(?:\s+softly)?\b"
    r"|(?:[,;]\s*)?\bwith\s+(?:[\w-]+\s+){0,2}?(?:shadow|glow)s\b(?=[\s.!]*$)", re.IGNORECASE)  # '... with glows'
# words of those clauses that say how the effect is drawn for no object ('both', 'their own'), unlike 'soft'
_NOT_HOW = frozenset("with have has having get gets add put use apply give a an its their own both all each every "
                     "everything everyone one of them they the".split())


def effects_for_all(text: str) -> list[tuple[int, int]]:
    """Spans of `EFFECT_FOR_ALL` clauses outside quoted lettering ("the words 'both with glows'" are drawn)."""
    quoted = quoted_ranges(text)
    return [m.span() for m in EFFECT_FOR_ALL.finditer(text) if not any(a <= m.start() < b for a, b in quoted)]


def effect_for_all(prompt: str, object_phrases: list[str]) -> str | None:
    """The shadow or glow a prompt says outside every object's phrase ('a red star and a blue moon on white with
    drop shadows', '... on a sky blue background with soft shadows'): meant for every object, said as one's ('with a
    soft shadow'; a colour said of it left out); else None."""
    for a, b in effects_for_all(prompt)[:1]:
        said = prompt[a:b]
        effect = re.search(r"(shadow|glow)", said, re.IGNORECASE)
        how = []
        for word in reversed(said[:effect.start()].split()):
            if word.lower().strip(",;") in _NOT_HOW or len(how) == 2:
                break
            how.insert(0, word)
        return _said_as_one(" ".join(how), effect.group(1))
    said, lower = [], prompt.lower()
    for phrase in filter(None, object_phrases):
        at = lower.find(phrase.lower())  # a phrase opening the prompt was given its capital back, or not
        if at >= 0:
            said.append((at, at + len(phrase)))
    quoted = quoted_ranges(prompt)
    for m in EFFECT_SAID.finditer(prompt):
        if not any(a <= m.start(2) < b for a, b in said + quoted):
            return _said_as_one(m.group(1), m.group(2))
    return None


def _said_as_one(how: str, effect: str) -> str:
    """'with a soft shadow' from the effect's words ('soft', 'shadow'); a colour said of it left out."""
    kept = list(how)
    for a, b, _ in colour_spans(how):  # a glow's colour read as the object's made a red star orange
        kept[a:b] = " " * (b - a)
    how = " ".join("".join(kept).split()) or ("drop" if effect.lower() == "shadow" else "soft")
    return f"with {article_for(how, 'a')} {how} {effect.lower()}"


def without_shadow(description: str) -> str:
    """The description without its shadow words: the object's own look, the shadow being drawn apart."""
    return _SHADOW.sub("", description)


def with_shadow(pixels: np.ndarray, description: str, seed: int) -> np.ndarray:
    """The layer with the drop shadow its words ask for drawn beneath it from its object's alpha, as the corpus
    sizes them: offset 6% of the object's smaller side down and to one side (by `seed`), blurred 3.5%, half opaque.
    Unchanged where none is asked or no object shows."""
    alpha = pixels[..., 3].astype(np.float32) / 255.0
    lo, hi = OBJECT_ALPHA
    body = np.clip((alpha - lo) / (hi - lo), 0.0, 1.0)
    rows, cols = np.nonzero(body > 0.5)
    if not _SHADOW.search(description) or len(rows) < 16:
        return pixels
    size = int(min(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1))
    solid = pixels[..., :3][body > 0.5].astype(np.float32)
    rng = random.Random(seed)
    distance = max(2, int(round(size * 0.06)))
    angle = rng.uniform(0.3, 1.3)  # down and to one side, as light from above
    dx = int(round(distance * np.cos(angle))) * rng.choice([1, -1])
    dy = int(round(distance * np.sin(angle)))
    under = blur(shift(body, dx, dy), max(1.0, size * 0.035)) * 0.5
    colour = np.asarray(shadow_colour(lab(tuple(solid.mean(0)))[0]), np.float32)
    h, w = alpha.shape
    out_rgb, out_a = over(pixels[..., :3].astype(np.float32), alpha, np.broadcast_to(colour, (h, w, 3)), under)
    out = np.empty_like(pixels)
    out[..., :3] = np.clip(out_rgb + 0.5, 0, 255).astype(np.uint8)
    out[..., 3] = np.clip(out_a * 255.0 + 0.5, 0, 255).astype(np.uint8)
    out[out[..., 3] == 0, :3] = 0  # no colour hidden under zero alpha
    return out


_GLOWING = re.compile(r"\s*\b(?:glowing|luminous)\b", re.IGNORECASE)


def glow_as_learnt(description: str) -> str:
    """'a glowing yellow star' -> 'a yellow star with a glow': the corpus says a glow so, and 'glowing' drew none."""
    said = next((m for m in _GLOWING.finditer(description)
                 if not any(a <= m.start() + 1 < b for a, b in quoted_ranges(description))), None)
    if said is None or re.search(r"\bglow\b", description, re.IGNORECASE):
        return description
    return (description[:said.start()] + description[said.end():]).strip() + " with a glow"
