"""Prompts reworded with words the model's vocabulary lacks, as people write them ('a shiny red sports car', 'a
fluffy dolphin'), for the planner to learn to cut them. It reads such words letter by letter, and trained on the
corpus's wording alone it cut them apart: 'A shiny' + 'sports car', 'a golden' for 'a golden sun'.

Every fourth word of each list is held out of training for eval's measure of the cuts
(`word_lists(vocab, held_out=True)`)."""
from __future__ import annotations

import random
import re
from functools import lru_cache

from layerstudio.engine.colours import colour_spans
from layerstudio.engine.planner import locate
from layerstudio.engine.silhouettes import SHAPE_KINDS, icon_table, untrained_icon_names
from layerstudio.engine.text import quoted_ranges, with_article

# Words about an object's look that are neither colours nor in the vocabulary (both checked where used).
ADJECTIVES = [
    "shiny", "fluffy", "cute", "tiny", "happy", "vintage", "elegant", "sparkling", "misty", "tall", "little", "big",
    "huge", "giant", "cosy", "fancy", "funny", "silly", "sleepy", "angry", "proud", "brave", "lonely", "ancient",
    "modern", "rusty", "wooden", "metallic", "plastic", "fuzzy", "furry", "spiky", "curly", "wavy", "chubby",
    "skinny", "old", "young", "new", "broken", "magic", "magical", "mystical", "cheerful", "grumpy", "jolly",
    "lucky", "tasty", "delicious", "juicy", "frozen", "icy", "hot", "cold", "warm", "spooky", "scary", "wild",
    "royal", "tropical", "rainy", "stormy", "snowy", "flying", "dancing", "smiling", "sleeping", "running",
    "jumping", "floating", "twinkling", "gleaming", "dazzling", "majestic", "gorgeous", "pretty", "beautiful",
    "lovely", "adorable", "charming", "simple", "minimalist", "abstract", "retro", "futuristic", "cartoon",
    "realistic", "hand-drawn", "glossy", "matte", "mini", "small", "large", "massive", "sweet", "fierce", "gentle",
    "shy", "clever", "noisy", "quiet", "heavy", "light-weight", "soaring", "spinning", "melting", "glittering",
    "crooked", "smooth-edged", "polished", "sturdy", "delicate", "enormous", "miniature", "friendly", "playful",
]

# Words that make a compound noun with the object's name ('sports car', 'birthday cake').
NOUN_MODIFIERS = [
    "sports", "racing", "toy", "baby", "police", "pirate", "party", "birthday", "garden", "kitchen", "winter",
    "summer", "desert", "jungle", "city", "paper", "stone", "brick", "steel", "space", "magic", "school", "family",
    "holiday", "beach", "farm", "forest", "ocean", "mountain", "robot",
]

# Nouns nothing draws: the planner must still cut them as objects.
NOUNS = [
    "dragon", "unicorn", "violin", "lantern", "teapot", "wizard", "knight", "scarecrow", "kangaroo",
    "giraffe", "hedgehog", "octopus", "parrot", "peacock", "squirrel", "volcano", "windmill", "waterfall",
    "spaceship", "submarine", "skateboard", "saxophone", "trumpet", "lollipop", "pretzel", "croissant", "dumpling",
    "avocado", "pineapple", "coconut", "pumpkin", "snowman", "mermaid", "ninja", "astronaut", "dinosaur", "zebra",
    "panda", "koala", "flamingo", "jellyfish", "seahorse", "hamster", "raccoon", "badger", "beetle", "ladybird",
]

# Between two objects in place of ', ' or ' and ' (the corpus lists its objects): 'a cat next to a red tree'.
RELATIONS = ["beyond", "next to", "beside", "above", "among", "below", "near", "under", "opposite", "to the left of",
             "to the right of", "on top of", "around", "alongside", "beneath", "facing"]

DESIGN_WORDS = ["card", "banner", "flyer", "logo", "sticker", "badge", "invitation", "label", "cover", "sign"]


def _split(words: list[str]) -> tuple[list[str], list[str]]:
    """(training words, held-out words): every fourth word is held out."""
    return [w for i, w in enumerate(words) if i % 4], words[::4]


def _usable(words: list[str], vocab: set[str]) -> list[str]:
    return [w for w in words if w not in vocab and not colour_spans(w)]


def word_lists(vocab: list[str], held_out: bool = False) -> dict[str, list[str]]:
    """The lists above without words the vocabulary has or colour names: training's part, or the held-out one.
    Untrained icon names (drawn from silhouettes, never in training captions) join the nouns, eval's icon sample
    (every 8th name) among the held-out ones; no word is in both parts."""
    return _word_lists(tuple(vocab))[held_out]


@lru_cache(maxsize=2)
def _word_lists(vocab: tuple[str, ...]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    known = set(vocab)
    icons = untrained_icon_names()
    held_icons = icons[::8]
    parts = {kind: _split(_usable(words, known)) for kind, words in
             (("adjectives", ADJECTIVES), ("modifiers", NOUN_MODIFIERS), ("nouns", NOUNS),
              ("design_words", DESIGN_WORDS), ("relations", RELATIONS))}
    held = {kind: part[1] for kind, part in parts.items()}
    held["nouns"] = list(dict.fromkeys(held["nouns"] + held_icons))
    taken = {w for words in held.values() for w in words}
    train = {kind: [w for w in part[0] if w not in taken] for kind, part in parts.items()}
    train["nouns"] += [n for n in icons if n not in taken and n not in train["nouns"]]
    return train, held


def _object_names() -> list[str]:
    names = {name for name, _ in icon_table().values()} | set(SHAPE_KINDS)
    return sorted(names, key=len, reverse=True)  # 'speech bubble' before 'bubble'


def _reword_object(caption: str, words: dict[str, list[str]], rng: random.Random) -> str:
    quoted = quoted_ranges(caption)
    colours = colour_spans(caption, quoted)
    out = caption
    if words["nouns"] and rng.random() < 0.35:  # another noun in place of the object's name
        for name in _object_names():
            match = re.search(rf"\b{re.escape(name)}\b", out)
            if match and not any(s < match.end() and match.start() < e for s, e in quoted):
                out = out[:match.start()] + rng.choice(words["nouns"]) + out[match.end():]
                break
    elif words["modifiers"] and rng.random() < 0.2 and colours:  # a compound: 'a red sports car'
        at = colours[0][1]
        if not quoted:
            out = out[:at] + " " + rng.choice(words["modifiers"]) + out[at:]
    colours = colour_spans(out, quoted_ranges(out))
    draw = rng.random()
    if colours and draw < 0.7:  # one or two adjectives before the colour ('a shiny red star'), or instead of it
        start, end = colours[0][:2]
        adjectives = rng.sample(words["adjectives"], rng.choice([1, 1, 1, 2]))
        joiner = rng.choice([" ", ", "]) if len(adjectives) == 2 else " "
        if draw < 0.15 and not quoted:  # people often name no colour: 'a golden sun'
            out = out[:start] + joiner.join(adjectives) + out[end:]
        else:
            out = out[:start] + joiner.join(adjectives) + " " + out[start:]
    return with_article(out)


def _reword_background(caption: str, words: dict[str, list[str]], rng: random.Random) -> str:
    colours = colour_spans(caption)
    if not colours or rng.random() < 0.6:
        return caption
    at = colours[0][0]
    return with_article(caption[:at] + rng.choice(words["adjectives"]) + " " + caption[at:])


def reword(prompt: str, captions: list[str], words: dict[str, list[str]], rng: random.Random,
           object_rate: float = 0.5) -> tuple[str, list[str]]:
    """The prompt and its layer captions (background first), each object's caption reworded with `words` at
    `object_rate`, the background's now and then, some objects joined by a relation ('next to') instead of a
    comma, and sometimes an opening naming what the design is ('A cute card:'). Unchanged where a caption is not
    found in the prompt."""
    found = locate(prompt, captions)
    if found is None:
        return prompt, captions
    new = [_reword_background(captions[0], words, rng)] + \
        [_reword_object(c, words, rng) if rng.random() < object_rate else c for c in captions[1:]]
    out, pos, after_object = [], 0, False
    for k, ((a, b), text) in sorted(enumerate(zip(found, new)), key=lambda item: item[1][0]):
        if prompt[a:a + 1].isupper():
            text = text[:1].upper() + text[1:]
        between = prompt[pos:a]
        if after_object and k > 0 and between in (", ", " and ") and rng.random() < 0.3:
            between = f" {rng.choice(words['relations'])} "
        out.append(between), out.append(text)
        pos, after_object = b, k > 0
    out.append(prompt[pos:])
    text = "".join(out)
    if words["design_words"] and rng.random() < 0.15:
        opening = with_article(f"a {rng.choice(words['adjectives'])} {rng.choice(words['design_words'])}")
        text = f"{opening[:1].upper()}{opening[1:]}: {text[:1].lower()}{text[1:]}"
    return text, new


def cut_exactly(planner, prompt: str, captions: list[str]) -> tuple[bool, bool]:
    """Whether the planner cut `prompt` into exactly its object captions (as a set), and its background's."""
    read, _, _, background, objects = planner._cut(prompt)
    got = sorted(read[a:b].strip().lower() for a, b in objects)
    want = sorted(c.strip().lower() for c in captions[1:])
    ground = " ".join(read[a:b] for a, b in background).strip().lower()
    return got == want, ground == captions[0].strip().lower()
