"""Colour names the text encoder and the planner read as colours, not as strings of letters.

The model's token table knows the corpus's twelve colour words; a user writes "crimson", "navy" or "sky blue".
Every word of a colour name gets the name's colour (CIELAB, scaled) as an input feature beside its token, so a
name the model never saw reads as the colour it is. The names are CSS's (as Pillow ships them), also written
as separate words ("dark slate blue"), with the corpus's own twelve at the values the corpus paints them."""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from PIL import ImageColor

# The corpus's caption colours and the colour each one is drawn in (clearly apart from each other).
BASE_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 38, 38),
    "orange": (245, 130, 20),
    "yellow": (250, 212, 30),
    "green": (40, 160, 60),
    "teal": (0, 150, 150),
    "blue": (35, 85, 220),
    "purple": (130, 55, 190),
    "pink": (245, 110, 175),
    "brown": (125, 75, 35),
    "black": (22, 22, 22),
    "white": (246, 246, 246),
    "grey": (128, 128, 128),
}
# Leading words CSS runs into the name ("darkslateblue"); a name splits where the rest is a name too.
_MODIFIERS = ("dark", "light", "medium", "pale", "deep", "hot", "sky", "royal", "steel", "slate", "midnight", "sea",
              "spring", "lawn", "forest", "dodger", "powder", "cadet", "cornflower", "dim", "indian", "rosy",
              "saddle", "sandy", "olive", "lime", "blue", "green", "orange", "yellow", "violet", "misty",
              "lemon", "mint", "ghost", "floral", "antique", "old", "navajo", "peach", "alice", "rebecca", "white",
              "lavender", "papaya", "blanched", "goldenrod")
# Words that end a run-together name without being colours themselves ("lemonchiffon" -> "lemon chiffon").
_TAILS = ("blush", "chiffon", "cream", "lace", "rose", "whip", "puff", "drab", "almond", "smoke")
FEATURES = 4  # L, a, b (scaled) and 1 where the token is part of a colour name


def _split(name: str, names: set[str]) -> str | None:
    """'darkslateblue' -> 'dark slate blue' (None where it does not split into modifiers and a name)."""
    for prefix in _MODIFIERS:
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest:
            tail = _split(rest, names) or (rest if rest in names or rest in _MODIFIERS or rest in _TAILS else None)
            if tail:
                return f"{prefix} {tail}"
    return None


@lru_cache(maxsize=1)
def colour_names() -> dict[str, tuple[int, int, int]]:
    """Every colour name, lower case, words separated by single spaces -> its sRGB colour."""
    css = {name: _css_rgb(value) for name, value in ImageColor.colormap.items()}
    names = dict(css)
    css_names = set(css)
    for name, rgb in css.items():
        spaced = _split(name, css_names)
        if spaced:
            names[spaced] = rgb
    for name in list(names):
        if "gray" in name:
            names[name.replace("gray", "grey")] = names[name]
    # CSS's "dark grey" (169, 169, 169) is lighter than its grey; people mean darker. "navy blue" is navy.
    for dark in ("darkgray", "darkgrey", "dark gray", "dark grey"):
        names[dark] = (72, 72, 72)
    names["navy blue"] = names["navy"]
    names.update(BASE_COLOURS)
    names.update(everyday_colours())
    # 'dark yellow', 'deep navy', 'pale orange': shades of a one-word name that CSS and the lists above lack, mixed
    # towards black or white (read as the bare name, 'a dark purple background' came out bright purple)
    for name, rgb in list(names.items()):
        if " " in name or "-" in name:
            continue
        for shade, towards, share in _SHADES:
            names.setdefault(f"{shade} {name}", tuple(int(round(c + (towards - c) * share)) for c in rgb))
    return names


_SHADES = (("dark", 0, 0.35), ("deep", 0, 0.25), ("light", 255, 0.4), ("pale", 255, 0.55))
# A mood said of a flat colour: (lightness it moves half way up to, share of its chroma kept). Not colour names: the
# corpus writes 'a soft teal gradient' of teal itself, so the model reads 'soft pink' as pink (it drew hot pink)
MOODS = {"soft": (92.0, 0.6), "muted": (0.0, 0.5)}


def in_mood(rgb: tuple[int, int, int], mood: str) -> tuple[int, int, int]:
    """`rgb` as MOODS toned it ('soft': lighter and calmer, 'muted': greyer); as it is for any other word."""
    if mood not in MOODS:
        return rgb
    to_lightness, chroma = MOODS[mood]
    lightness, a, b = lab(rgb)
    toned = (lightness + max(0.0, to_lightness - lightness) * 0.5, a * chroma, b * chroma)
    return tuple(int(round(c)) for c in rgb_from_lab(np.array(toned)))


@lru_cache(maxsize=1)
def everyday_colours() -> dict[str, tuple[int, int, int]]:
    """Names people write that CSS lacks ("a golden sun" came out grey: read as no colour at all); the corpus
    never paints them. Values as commonly defined; 'pale X' is CSS's 'light X'. Not names that are mostly
    things ('rose', 'peach', 'ruby'): 'a red rose' must stay a flower."""
    out = {"golden": (255, 215, 0), "cream": (255, 253, 208), "baby blue": (137, 207, 240),
           "burgundy": (128, 0, 32), "mustard": (225, 173, 1), "lilac": (200, 162, 200),
           "charcoal": (54, 69, 79), "scarlet": (255, 36, 0), "cobalt": (0, 71, 171), "mauve": (224, 176, 255),
           "off-white": (250, 249, 246), "off white": (250, 249, 246), "dark brown": (92, 64, 51),
           "light brown": (181, 101, 29), "dark purple": (48, 25, 52), "sage": (138, 154, 91),
           "sage green": (138, 154, 91), "mustard yellow": (225, 173, 1), "neon pink": (255, 16, 240),
           "neon green": (57, 255, 20), "dark navy": (0, 0, 80),
           # a helper's review: names people use for designs that were read as no colour (a muddy grey 'peach')
           "peach": (255, 203, 164), "mint": (62, 180, 137), "mint green": (152, 255, 152),
           "pastel blue": (174, 198, 207), "pastel pink": (255, 209, 220), "pastel green": (119, 221, 119),
           "pastel yellow": (253, 253, 150), "pastel purple": (179, 158, 181), "pastel orange": (255, 179, 71),
           "rose gold": (183, 110, 121), "blush": (222, 93, 131), "blush pink": (243, 170, 190),
           "baby pink": (244, 194, 194), "dusty rose": (220, 174, 150), "dusty pink": (213, 138, 148),
           "burnt orange": (204, 85, 0), "seafoam": (159, 226, 191), "seafoam green": (159, 226, 191),
           "emerald": (80, 200, 120), "emerald green": (80, 200, 120), "ruby": (224, 17, 95),
           "sapphire": (15, 82, 186), "terracotta": (226, 114, 91), "rust": (183, 65, 14), "ochre": (204, 119, 34),
           "jade": (0, 168, 107), "neon yellow": (255, 255, 51), "neon blue": (31, 81, 255),
           "neon orange": (255, 95, 31), "royal purple": (120, 81, 169), "lemon yellow": (255, 244, 79),
           "cherry red": (210, 4, 45), "bubblegum pink": (255, 193, 204)}
    for hue in ("yellow", "blue", "green", "pink", "grey", "gray", "cyan"):
        light = ImageColor.colormap.get(f"light{hue}")
        if light and f"pale{hue}" not in ImageColor.colormap:  # CSS's own 'pale green' stays
            out[f"pale {hue}"] = _css_rgb(light)
    return out


def _css_rgb(value) -> tuple[int, int, int]:
    """A Pillow colormap entry as RGB: a '#rrggbb' string, or the tuple Pillow puts in its place once anything in
    the process has looked that name up (a layer made with fill='red' before the first job broke every job)."""
    return tuple(value[:3]) if isinstance(value, tuple) else ImageColor.getrgb(value)[:3]


# Colour names that are part of a thing's name after these words: 'a purple ice cream' is no cream (its icon's
# silhouette was not found, and the layer came out empty, once 'cream' became a colour)
_NOT_A_COLOUR_AFTER = {"cream": ("ice",)}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    alternatives = sorted(colour_names(), key=len, reverse=True)  # "sky blue" before "blue"

    def alternative(name: str) -> str:
        guards = "".join(f"(?<!{re.escape(w)} )(?<!{re.escape(w)}-)" for w in _NOT_A_COLOUR_AFTER.get(name, ()))
        return guards + re.escape(name).replace(r"\ ", r"[\s-]+")

    return re.compile(r"(?<![a-z0-9'-])(" + "|".join(alternative(n) for n in alternatives) + r")(?![a-z0-9-])",
                      re.IGNORECASE)


def lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """sRGB (0-255) -> CIELAB (D65)."""
    return tuple(float(v) for v in lab_array(np.array(rgb, np.float64)))


def lab_array(rgb: np.ndarray) -> np.ndarray:
    """sRGB (0-255), shape (..., 3) -> CIELAB (D65), same shape."""
    c = np.asarray(rgb, np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = c @ _SRGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def rgb_from_lab(values: np.ndarray) -> np.ndarray:
    """CIELAB (D65), shape (..., 3) -> sRGB 0-255 (float, clipped): the inverse of `lab_array`."""
    values = np.asarray(values, np.float64)
    fy = (values[..., 0] + 16) / 116
    f = np.stack([fy + values[..., 1] / 500, fy, fy - values[..., 2] / 200], axis=-1)
    xyz = np.where(f > 0.206893, f ** 3, (f - 16 / 116) / 7.787) * _WHITE
    c = np.clip(xyz @ np.linalg.inv(_SRGB_TO_XYZ).T, 0.0, 1.0)
    c = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.clip(c * 255.0, 0.0, 255.0)


def named_colours(description: str) -> list[tuple[int, int, int]]:
    """The distinct colours a layer's description names outside quoted lettering, in order."""
    from .text import quoted_ranges  # text reads its colour features from here

    return list(dict.fromkeys(rgb for _, _, rgb in colour_spans(description, quoted_ranges(description))))


# What a designer means by white and black, where a layer is put in its colour: #ffffff and #000000 (the corpus
# paints them 246 and 22, and the model draws them so; 'on white' came out #f6f6f6)
PRINTED = {BASE_COLOURS["white"]: (255, 255, 255), BASE_COLOURS["black"]: (0, 0, 0)}


def snap_to_colour(pixels: np.ndarray, colour: tuple[int, int, int], flat: bool = False) -> np.ndarray:
    """A generated layer (RGBA uint8) with its main colour moved onto the one asked, as the words asked: the model
    lands within about 8-15 delta E of a named colour, and a designer who writes '#e63946' means that colour. The
    fill's shades move with it (a gradient stays a gradient), colours far from it (an outline, a dark shadow) less
    or not at all; `flat`: every pixel takes the colour (words asking for it alone: `flat_colour`). A layer whose
    main colour is far from the one asked is left alone: it drew something else."""
    solid = pixels[..., 3] > 127
    if solid.sum() < 4:
        return pixels
    values = lab_array(pixels[..., :3])
    target = lab_array(np.array(colour, np.float64))
    if np.linalg.norm(target - np.median(values[solid], axis=0)) > SNAP_LIMIT:
        return pixels
    if flat:
        out = pixels.copy()
        out[..., :3] = colour
        return out
    for _ in range(2):  # shades that move only part of the way pull the median back; a second pass lands it
        main = np.median(values[solid], axis=0)
        moves = np.clip(1.0 - np.linalg.norm(values - main, axis=-1) / SNAP_REACH, 0.0, 1.0)
        values = values + moves[..., None] * (target - main)
    out = pixels.copy()
    out[..., :3] = np.round(rgb_from_lab(values)).astype(np.uint8)
    return out


# Words a background may say beside its colour and still ask for nothing but that colour
_PLAIN_WORDS = {"a", "an", "the", "plain", "solid", "flat", "background", "backdrop", "canvas", "colour", "color",
                "on", "in", "all", "over", "of",
                # how a colour feels, not more of them: 'a soft lavender background' was painted blotchy and gridded
                "soft", "warm", "cool", "muted", "calm", "gentle", "subtle", "simple", "clean", "smooth", "nice",
                "lovely", "pretty", "beautiful", "elegant", "minimal", "cosy", "cozy", "fresh"}


# Words that ask for more than one flat colour in an object: effects, shading, patterns
_NOT_FLAT = {"shadow", "shadows", "glow", "glows", "glowing", "gradient", "shaded", "shading", "shiny", "glossy",
             "metallic", "textured", "texture", "pattern", "patterned", "striped", "stripes", "stripe", "dots", "dotted",
             "spotted", "spots", "3d", "rainbow", "multicoloured", "multicolored", "colourful", "colorful", "sparkling",
             "sparkly", "highlight", "highlights", "shine", "shines", "noise", "mottled", "radial"}


def flat_colour(description: str, background: bool = False) -> tuple[int, int, int] | None:
    """The one colour a layer's words ask for where they ask for nothing but that colour, or None: an object in one
    colour without effects or shading ('the words 'SALE' in white', 'a red star outline'), a background in one
    colour and nothing else ('white', 'a plain navy background'; not 'a navy sky', which may be more). The model
    strews tints where there are none: rainbow fringes in 17-25% of white lettering, a pink blotch 40-70 levels off
    white in a corner of most white backgrounds."""
    from .text import quoted_ranges  # text reads its colour features from here

    quoted = quoted_ranges(description)
    spans = colour_spans(description, quoted)
    if len(spans) != 1:
        return None
    blanked = list(description.lower())
    for a, b in quoted + [spans[0][:2]]:  # lettering says what to write, not how
        blanked[a:b] = " " * (b - a)
    words = set(re.findall(r"[\w'-]+", "".join(blanked)))
    if background and not words <= _PLAIN_WORDS or not background and words & _NOT_FLAT:
        return None
    said_before = re.search(r"([a-z]+)\s+$", description[:spans[0][0]].lower())
    return in_mood(spans[0][2], said_before.group(1)) if said_before else spans[0][2]


SNAP_LIMIT = 40.0  # delta E: farther than this, the layer shows another colour than the one named
SNAP_REACH = 30.0  # delta E from the main colour: pixels this far or farther keep their colour


_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


_HEX = re.compile(r"(?<![\w#])#([0-9a-f]{6}|[0-9a-f]{3})(?!\w)", re.IGNORECASE)


def hex_colour(digits: str) -> tuple[int, int, int]:
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def colour_rgb(word: str) -> tuple[int, int, int]:
    """The sRGB of a colour name (as `colour_names` spells it) or a hex code ("#3fa2c4")."""
    return hex_colour(word[1:]) if word.startswith("#") else colour_names()[word]


def colour_spans(text: str, skip: list[tuple[int, int]] = ()) -> list[tuple[int, int, tuple[int, int, int]]]:
    """(start, end, rgb) of each colour name or hex code ("#e63946", "#f80") in `text`, outside the character
    ranges in `skip` (quoted text), in order."""
    names = colour_names()
    out = [(m.start(), m.end(), names[" ".join(m.group(1).lower().replace("-", " ").split())])
           for m in _pattern().finditer(text)]
    out += [(m.start(), m.end(), hex_colour(m.group(1))) for m in _HEX.finditer(text)]
    return sorted((a, b, rgb) for a, b, rgb in out if not any(a < e and s < b for s, e in skip)
                  and not _a_thing(text, a, b))


# Colour names that are also things, and are the thing where an article goes before and no noun after: 'a lemon and
# a lime on yellow' lost the lime (a bare colour), 'an orange and a banana' the orange
_THING_COLOURS = {"orange", "lime", "lemon", "olive", "chocolate", "coral", "salmon", "plum", "tomato", "mint", "peach",
                  "ruby", "sapphire", "emerald", "jade"}
_THING_BEFORE = re.compile(r"(?:^|\W)(?:a|an|the|one)\s+$", re.IGNORECASE)
_THING_AFTER = re.compile(r"\s*(?:$|[^\w\s#'-]|(?:and|or|on|in|with|next|beside|by|at|under|over|near|plus|above|below|"
                          r"against)\b)", re.IGNORECASE)


def _a_thing(text: str, start: int, end: int) -> bool:
    if text[start:end].lower() not in _THING_COLOURS or not _THING_BEFORE.search(text[:start]):
        return False
    after = _THING_AFTER.match(text, end)
    if after is None:
        return False
    if not re.fullmatch(r"\s*(and|or|,)", after.group(), re.IGNORECASE):
        return True
    rest = after.end() + len(text[after.end():]) - len(text[after.end():].lstrip())
    return not _pattern().match(text, rest)  # 'an orange and white cat': the colours go on


@lru_cache(maxsize=4096)
def _colour_feature(rgb: tuple[int, int, int]) -> tuple[float, float, float, float]:
    """A colour name's token feature; cached: a GPU training step computed CIELAB ~3,000 times on its host."""
    lightness, green_red, blue_yellow = lab(rgb)
    return lightness / 50 - 1, green_red / 50, blue_yellow / 50, 1.0


def token_colour_features(text: str, spans: list[tuple[int, int]], skip: list[tuple[int, int]] = ()) -> list[list[float]]:
    """Per token (its character span in `text`), the colour of the colour name it is part of, or zeros."""
    found = colour_spans(text, skip)
    rows = []
    for s, e in spans:
        row = [0.0] * FEATURES
        if e > s:
            for a, b, rgb in found:
                if a <= s < b:
                    row = list(_colour_feature(rgb))
                    break
        rows.append(row)
    return rows


# words that change nothing but the colour in a hint: 'green', 'make it green', 'in dark blue instead'
_RECOLOUR_WORDS = {"make", "it", "them", "in", "more", "a", "an", "the", "bit", "little", "please", "colour", "color",
                   "coloured", "colored", "instead", "change", "to", "turn", "all", "now", "and", "paint", "painted"}


def colour_only(hint: str) -> bool:
    """Whether a layer's hint asks only for other colours ('green', 'make it dark blue'), not for another thing."""
    spans = colour_spans(hint)
    if not spans or "'" in hint or '"' in hint:
        return False
    rest = list(hint.lower())
    for a, b, _ in spans:
        rest[a:b] = " " * (b - a)
    return set(re.findall(r"[\w'-]+", "".join(rest))) <= _RECOLOUR_WORDS


def recoloured(phrase: str, hint: str) -> str:
    """The layer's phrase in the colours its hint asks for: 'a yellow sun' + 'green' -> 'a green sun', "the word
    'SALE' in red" + 'make it navy' -> "the word 'SALE' in navy", 'a sun' + 'green' -> 'a green sun'."""
    from .text import article_for, quoted_ranges  # text reads its colour features from here

    wanted = " and ".join(hint[a:b] for a, b, _ in colour_spans(hint))
    quoted = quoted_ranges(phrase)
    spans = colour_spans(phrase, quoted)
    if spans:  # the first run of colours named ('red and white') becomes the hint's
        a, b = spans[0][:2]
        for s, e, _ in spans[1:]:
            if not re.fullmatch(r"(?:\s*(?:,|and|or|&|-)\s*)+|\s+", phrase[b:s], re.IGNORECASE):
                break
            b = e
        before = phrase[:a]
        article = re.search(r"\b(a|an)\s+$", before, re.IGNORECASE)
        if article:
            before = before[:article.start()] + article_for(wanted, "a") + " "
        return before + wanted + phrase[b:]
    if quoted:
        return f"{phrase} in {wanted}"
    article = re.match(r"\s*(a|an)\s+", phrase, re.IGNORECASE)
    if article:
        return f"{article_for(wanted, 'a')} {wanted} {phrase[article.end():]}"
    the = re.match(r"\s*the\s+", phrase, re.IGNORECASE)
    return f"{phrase[:the.end()]}{wanted} {phrase[the.end():]}" if the else f"{wanted} {phrase}"
