"""Prompts rebuilt around the corpus's object and background phrases in the shapes people write them: one sentence per
object ('A red star. A blue moon. White background.'), requests ('Draw a red apple on white'), labelled lists
('Background: light grey. Objects: ...'), no background at all ('a dog next to a cat'), and places that say where an
object is ('a yellow sun in the top left corner'), taken from its true box so the planner learns to deal by them.

Trained on the corpus's lists alone, the planner cut sentence prompts apart ('A shiny red car. A cute brown dog.' ->
background 'dog'), took places as objects ('left corner', 'the middle') and kept verbs ('I want' -> object 'want')."""
from __future__ import annotations

import random

from layerstudio.document import Box
from layerstudio.engine.colours import colour_spans
from layerstudio.engine.planner import SCENE_NOUNS, locate
from layerstudio.engine.text import article_for, quoted_ranges, with_article

OPENERS = ["Draw ", "Please draw ", "I want ", "I'd like ", "Make ", "Create ", "Show ", "Can you draw ", "Generate ",
           "Give me ", "Paint ", "Make a poster with ", "Create an image of ", "A picture of ", "Design a card with ",
           "I need ", "Put ", "Add ", "Let's have ", "Illustrate "]
SENTENCE_OPENERS = ["There is ", "Add ", "Put ", "Draw ", "Then ", "Also ", "Next, ", "Plus "]
TO_BACKGROUND = [" on ", " over ", " against ", ", on ", ", all on ", " set on ", " in front of ", " on top of "]
TO_BACKGROUND_LABEL = ["; background: ", ", background: ", ". Background: "]  # before one not saying 'background'
JOINS = [", ", ", ", " and ", ", and ", " plus ", "; ", " & "]
PARTICIPLES = ["sitting", "standing", "floating", "flying", "placed", "shown", "resting", "hovering", "drawn",
               "lying", "perched", "centred"]
RELATIONS_TO_IT = ["below it", "above it", "next to it", "beside it", "under it", "near it", "behind it",
                   "around it", "to its left", "to its right", "on top of it", "next to them", "below them"]


LETTERING_NOUNS = ["sign", "banner", "label", "sticker", "badge", "logo", "title", "heading", "caption", "tag"]
_ARTICLES = ("a ", "an ", "the ")


def _without_colour(caption: str) -> str:
    """'a red star with a glow' -> 'a star with a glow': people often name no colour ('an owl', 'the sun')."""
    colours = colour_spans(caption, quoted_ranges(caption))
    if not colours or quoted_ranges(caption):
        return caption
    start, end = colours[0][:2]
    return with_article((caption[:start] + caption[end:].lstrip()).strip())


def _lettering_thing(caption: str, rng: random.Random) -> str:
    """A caption of quoted words said as a thing bearing them: "a red 'SALE' sign"."""
    quoted = quoted_ranges(caption)
    colours = colour_spans(caption, quoted)
    if not quoted or not colours:
        return caption
    colour = caption[colours[0][0]:colours[0][1]]
    words = caption[quoted[0][0]:quoted[0][1]]
    return f"{article_for(colour, 'a')} {colour} {words} {rng.choice(LETTERING_NOUNS)}"


def _scene_background(background: str, rng: random.Random) -> str:
    """'a plain navy background' / 'navy' -> 'a navy sky': the background named as a place."""
    colours = colour_spans(background)
    words = background.split()
    if len(colours) != 1 or not set(words) <= {"a", "an", "plain", "solid", "flat", "background"} | \
            set(background[colours[0][0]:colours[0][1]].split()):
        return background
    colour = background[colours[0][0]:colours[0][1]]
    return f"{article_for(colour, 'a')} {colour} {rng.choice(sorted(SCENE_NOUNS))}"


def _reworded_objects(captions: list[str], rng: random.Random) -> list[str]:
    """Object captions as people write them: without articles (all or none: 'red star, blue moon'), 'the' for
    'a', without a colour, lettering as a thing ('a red "SALE" sign')."""
    bare = rng.random() < 0.15
    out = []
    for caption in captions:
        if quoted_ranges(caption) and rng.random() < 0.15:
            caption = _lettering_thing(caption, rng)
        elif rng.random() < 0.15:
            caption = _without_colour(caption)
        if bare and caption.startswith(_ARTICLES) and not caption.startswith("the word"):
            caption = caption.split(" ", 1)[1]
        elif caption.startswith(("a ", "an ")) and rng.random() < 0.1:
            caption = "the " + caption.split(" ", 1)[1]
        out.append(caption)
    return out


def place_words(box: Box, width: int, height: int, rng: random.Random) -> str:
    """Where the box's centre lies on the canvas, in thirds, as people say it ('in the top left corner')."""
    cx, cy = (box.x0 + box.x1) / 2 / width, (box.y0 + box.y1) / 2 / height
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else ""
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else ""
    if row and col:
        r = rng.choice([row, row, {"top": "upper", "bottom": "lower"}[row]])
        return rng.choice([f"in the {r} {col} corner", f"at the {r} {col}", f"{r} {col}", f"in the {r}-{col}",
                           f"in the {r} {col}"])
    if row:
        return rng.choice([f"at the {row}", f"along the {row}", f"near the {row}", f"at the {row} centre",
                           f"in the {row} middle"])
    if col:
        return rng.choice([f"on the {col}", f"on the {col} side", f"at the {col}", f"to the {col}",
                           f"on the {col} edge"])
    return rng.choice(["in the middle", "in the centre", "in the center", "centred", "at the centre",
                       "in the middle of the canvas"])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _background_sentence(background: str, rng: random.Random) -> str:
    """A sentence about the background, naming it with `background` as written."""
    names_it = any(w in background for w in ("background", "gradient", "stripes", "dots", "noise"))
    draw = rng.random()
    if names_it and draw < 0.5:
        return _sentence(background) + "."
    if draw < 0.7 and not background.startswith(("a ", "an ")):
        return f"The background is {background}."
    if draw < 0.85:
        return f"Background: {background}."
    return rng.choice(["All on ", "Everything on ", "Put them on ", "Set on "]) + background + "."


def rephrase(prompt: str, captions: list[str], boxes: list[Box], size: tuple[int, int], rng: random.Random
             ) -> tuple[str, list[str]]:
    """The prompt rebuilt around its layer captions (background first; `boxes` the foreground boxes, as the captions
    after the first) in one of the shapes above, and the captions as the new prompt names them (the background's
    empty where it names none). Unchanged where a caption is not found in the prompt."""
    found = locate(prompt, captions)
    if found is None or len(captions) < 2:
        return prompt, captions
    width, height = size
    # each object as the prompt writes it (quoted words keep their case), in the prompt's order
    order = sorted(range(1, len(captions)), key=lambda k: found[k][0])
    written = {k: prompt[found[k][0]:found[k][1]] for k in order}
    written = {k: (t[:1].lower() + t[1:] if t[:1] != "'" else t) for k, t in written.items()}
    written.update(zip(order, _reworded_objects([written[k] for k in order], rng)))
    written_bg = prompt[found[0][0]:found[0][1]]
    written_bg = written_bg[:1].lower() + written_bg[1:]
    if rng.random() < 0.1:
        written_bg = _scene_background(written_bg, rng)
    placed = rng.random() < 0.5
    pieces = {}
    for k in order:  # the object with what follows it: a place, a verb, a relation to the one before
        text = written[k]
        extra = []
        if placed and rng.random() < 0.6:
            if rng.random() < 0.2:
                extra.append(rng.choice(PARTICIPLES))
            extra.append(place_words(boxes[k - 1], width, height, rng))
        elif k != order[0] and rng.random() < 0.1:
            extra.append(rng.choice(RELATIONS_TO_IT))
        pieces[k] = (text, " ".join(extra))
    new = [written_bg] + [written[k] for k in range(1, len(captions))]
    shape = rng.random()
    if shape < 0.35:  # a sentence per object
        sentences = []
        for k in order:
            text, extra = pieces[k]
            opener = rng.choice(SENTENCE_OPENERS) if rng.random() < 0.2 else ""
            if extra and extra.startswith(("in the", "at the", "on the")) and rng.random() < 0.3:
                sentences.append(_sentence(extra) + ", " + text + ".")
            else:
                sentences.append(_sentence(opener + text + (" " + extra if extra else "")) + ".")
        if rng.random() < 0.15:
            new[0] = ""
        else:
            sentences.insert(0 if rng.random() < 0.25 else len(sentences), _background_sentence(written_bg, rng))
        text = " ".join(sentences)
    elif shape < 0.45:  # labelled
        listed = ", ".join(t + (" " + e if e else "") for t, e in (pieces[k] for k in order))
        text = rng.choice([f"Background: {written_bg}. Objects: {listed}.",
                           f"Objects: {listed}. Background: {written_bg}.",
                           f"Layers: {listed}; background: {written_bg}.",
                           f"Background: {written_bg}; on it {listed}."])
    else:  # a request or a plain list, with or without its background
        items = [t + (" " + e if e else "") for t, e in (pieces[k] for k in order)]
        joins = [rng.choice(JOINS) for _ in items[1:]]
        if len(items) > 1 and rng.random() < 0.6:
            joins[-1] = rng.choice([" and ", ", and "])
        listed = items[0] + "".join(j + item for j, item in zip(joins, items[1:]))
        opener = rng.choice(OPENERS) if rng.random() < 0.6 else ""
        draw = rng.random()
        if draw < 0.25:
            new[0] = ""
            text = opener + listed
        elif draw < 0.4:  # the background first: 'On white, draw a red star and a blue moon'
            text = rng.choice(["On ", "On ", "Over ", "Against "]) + written_bg + rng.choice([", ", ": ", " "]) + \
                opener[:1].lower() + opener[1:] + listed
        else:
            labels = TO_BACKGROUND_LABEL if "background" not in written_bg else []
            text = opener + listed + rng.choice(TO_BACKGROUND + labels) + written_bg
        text = _sentence(text) + rng.choice([".", ".", "", "!", ", please.", " please"])
    if rng.random() < 0.25 and text[:1] != "'":  # typed in lower case
        text = text[:1].lower() + text[1:]
    return text, new
