"""One serialisable request per job, and its result. numpy only: the app builds these without torch."""
from __future__ import annotations

import base64
import io
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Collection

import numpy as np

from ..document import Box, Document, Layer, Layout, LayoutError, Provenance, Variation
from ..document.document import resampled_from
from ..document.layout import check_box, check_canvas
from .colours import colour_only, recoloured
from .counting import count_of, one_of, plural
from .lettering_cues import quoted_as_meant
from .spelling import spelled_right
from .text import quoted_ranges
from .usual_colours import first_colour_run

KINDS = ("generate", "regenerate", "decompose")

# progress(step, total, preview): preview is an RGBA uint8 canvas or None.
ProgressCallback = Callable[[int, int, "np.ndarray | None"], None]


@dataclass
class LayerSpec:
    """One layer of a job: background first, then foreground bottom to top.
    `given` (RGBA uint8, box-sized) makes the layer context that the job keeps; None means generate it.
    `phrase`: the part of the prompt the layer shows (given layers), or keeps showing (a regenerated layer);
    empty: the planner deals one. A hidden layer (`visible` False) is context all the same, left out of the pictures
    the job composes (its previews too)."""

    box: Box
    seed: int = 0
    hint: str = ""
    given: np.ndarray | None = None
    phrase: str = ""
    visible: bool = True

    @property
    def generated(self) -> bool:
        return self.given is None


@dataclass
class JobRequest:
    kind: str
    width: int
    height: int
    prompt: str
    layers: list[LayerSpec]
    composite: np.ndarray | None = None  # the whole picture, given for decomposition
    steps: int | None = None
    guidance: float | None = None

    def as_meant(self) -> tuple["JobRequest", list[str]]:
        """This request with its prompt and hints read as meant (`read_as_meant`), and notices saying how."""
        prompt, lettered, misspelt = read_as_meant(self.prompt)
        layers, hint_lettered, hint_misspelt = [], [], []
        for spec in self.layers:
            hint, more_lettered, more_misspelt = read_as_meant(spec.hint)
            layers.append(replace(spec, hint=hint))
            hint_lettered, hint_misspelt = hint_lettered + more_lettered, hint_misspelt + more_misspelt
        # the prompt's and the hints' apart: what Generate said of the prompt is said the same after a regenerate
        # (one notice of both said the prompt's twice under it)
        notices = []
        for words, wrong, where in ((lettered, misspelt, ""), (hint_lettered, hint_misspelt, " in the hint")):
            if words:
                notices.append("Read " + " and ".join(f"“{w}”" for w in dict.fromkeys(words)) + f"{where} as words "
                               "to letter, as if quoted: quote the words you want lettered to choose them.")
            if wrong:
                notices.append("Read " + ", ".join(f"“{a}” as “{b}”" for a, b in dict.fromkeys(wrong)) + f"{where}.")
        return replace(self, prompt=prompt, layers=layers), notices

    def validate(self) -> "JobRequest":
        if self.kind not in KINDS:
            raise LayoutError(f"unknown job kind '{self.kind}'")
        check_canvas(self.width, self.height)
        if not self.layers:
            raise LayoutError("a job needs at least the background layer")
        if len(self.layers) > 51:
            raise LayoutError(f"{len(self.layers) - 1} foreground boxes; at most 50 are allowed")
        for i, spec in enumerate(self.layers):
            label = "background box" if i == 0 else f"box {i}"
            if spec.box != spec.box.snapped():
                raise LayoutError(f"{label} {spec.box} is not snapped to the 16 px grid")
            check_box(spec.box, self.width, self.height, label)
            if spec.given is not None and spec.given.shape != (spec.box.height, spec.box.width, 4):
                raise LayoutError(f"{label}: given pixels {spec.given.shape} do not match the box")
        if self.composite is not None and self.composite.shape != (self.height, self.width, 4):
            raise LayoutError(f"composite {self.composite.shape} does not match the {self.width} x {self.height} canvas")
        if self.steps is not None and not 1 <= self.steps <= 1000:
            raise LayoutError(f"steps {self.steps} must be between 1 and 1000")
        return self

    @property
    def generated_indices(self) -> list[int]:
        return [i for i, s in enumerate(self.layers) if s.generated]

    # -- builders from documents
    @classmethod
    def generate(cls, document: Document, steps: int | None = None, guidance: float | None = None,
                 keep: set[int] | None = None) -> "JobRequest":
        """Generate every layer except the locked ones (and those in `keep`), which are given context."""
        keep = set(keep or ()) | {i for i, l in enumerate(document.layers) if l.locked}
        prompts = _as_written_and_read(document.prompt)
        specs = [LayerSpec(l.box.snapped(), l.seed, l.hint, _fit(l), _phrase(l, prompts), l.visible) if i in keep
                 else LayerSpec(l.box.snapped(), l.seed, l.hint, visible=l.visible)
                 for i, l in enumerate(document.layers)]
        return cls("generate", document.width, document.height, document.prompt, specs,
                   steps=steps, guidance=guidance).validate()

    @classmethod
    def from_layout(cls, layout: Layout, steps: int | None = None, guidance: float | None = None) -> "JobRequest":
        return cls.generate(Document.from_layout(layout), steps, guidance)

    @classmethod
    def regenerate(cls, document: Document, index: int, seed: int, hint: str | None = None,
                   steps: int | None = None, guidance: float | None = None) -> "JobRequest":
        """Regenerate layer `index` (document order, 0 = background); every other layer is given."""
        if not 0 <= index < len(document.layers):
            raise LayoutError(f"layer {index} does not exist (the document has {len(document.layers)} layers)")
        specs, prompts = [], _as_written_and_read(document.prompt)
        for i, l in enumerate(document.layers):
            box = l.box.snapped()
            if i == index:
                specs.append(LayerSpec(box, seed, (l.hint if hint is None else hint).strip(), None,
                                       _phrase(l, prompts), l.visible))
            else:
                specs.append(LayerSpec(box, l.seed, l.hint, _fit(l), _phrase(l, prompts), l.visible))
        return cls("regenerate", document.width, document.height, document.prompt, specs,
                   steps=steps, guidance=guidance).validate()

    @classmethod
    def decompose(cls, image: np.ndarray, boxes: list, prompt: str = "", seed: int = 0,
                  steps: int | None = None, guidance: float | None = None) -> "JobRequest":
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
            raise LayoutError(f"image must be H x W x 3 or 4 uint8, got {image.shape} {image.dtype}")
        if image.shape[2] == 3:
            image = np.concatenate([image, np.full(image.shape[:2] + (1,), 255, np.uint8)], axis=2)
        height, width = image.shape[:2]
        layout = Layout(width, height, prompt, boxes, seed).validate()
        specs = [LayerSpec(Box(0, 0, width, height), seed)]
        specs += [LayerSpec(b.snapped(), seed + i + 1) for i, b in enumerate(layout.boxes)]
        return cls("decompose", width, height, prompt, specs, composite=image,
                   steps=steps, guidance=guidance).validate()

    # -- serialisation (the request can cross a process boundary or be logged)
    def to_json(self) -> dict:
        return {
            "kind": self.kind, "canvas": [self.width, self.height], "prompt": self.prompt,
            "steps": self.steps, "guidance": self.guidance,
            "composite": _encode_png(self.composite),
            "layers": [{"box": list(s.box.as_tuple()), "seed": s.seed, "hint": s.hint, "phrase": s.phrase,
                        "given": _encode_png(s.given), "visible": s.visible} for s in self.layers],
        }

    @classmethod
    def from_json(cls, data: dict) -> "JobRequest":
        layers = [LayerSpec(Box.of(d["box"]), int(d.get("seed", 0)), str(d.get("hint", "")),
                            _decode_png(d.get("given")), str(d.get("phrase", "")), bool(d.get("visible", True)))
                  for d in data["layers"]]
        width, height = data["canvas"]
        return cls(data["kind"], int(width), int(height), str(data.get("prompt", "")), layers,
                   _decode_png(data.get("composite")), data.get("steps"), data.get("guidance")).validate()


@dataclass
class JobResult:
    """RGBA pixels per request layer (box-sized; given layers come back untouched) and their composite;
    `phrases`: per request layer, the part of the prompt it was drawn from ("" where none)."""

    request: JobRequest
    layers: list[np.ndarray]
    composite: np.ndarray
    model_id: str = ""
    steps: int = 0
    phrases: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # for the user: e.g. the end of a long prompt went unread

    def provenance(self, index: int) -> Provenance:
        spec = self.request.layers[index]
        phrase = self.phrases[index] if index < len(self.phrases) else ""
        return Provenance(self.model_id, self.request.prompt, spec.seed, self.steps, phrase, spec.hint)

    def apply_to(self, document: Document, kept: Collection[int] = ()) -> Document:
        """A copy of `document` with every generated layer replaced but those `kept` (locked while the job ran);
        given and kept layers are left bit-identical, and names the job gives are numbered apart from theirs.
        For a decomposition the document may be empty: its layers are built from the request."""
        doc = document.copy()
        if self.request.kind == "decompose" and len(doc.layers) != len(self.request.layers):
            doc.layers = [Layer(s.box, name="Background" if i == 0 else f"Layer {i}", seed=s.seed)
                          for i, s in enumerate(self.request.layers)]
        replaced = [i for i in self.request.generated_indices if i not in kept]
        for i in replaced:
            spec, old = self.request.layers[i], doc.layers[i]
            provenance = self.provenance(i)
            variations = list(old.variations)
            if self.request.kind == "regenerate" and not old.is_empty and old.box == spec.box:
                variations = kept_with_variations(old)  # the result being replaced stays one click away
            doc.layers[i] = replace(old, box=spec.box, pixels=self.layers[i].copy(), seed=spec.seed,
                                    name=named_after(old, provenance, i), hint=spec.hint, provenance=provenance,
                                    variations=variations, shown_at=None)
        renamed = [i for i in replaced if doc.layers[i].name != document.layers[i].name
                   ] if len(document.layers) == len(doc.layers) else replaced
        _numbered_apart(doc, renamed)
        doc.model_id = self.model_id or doc.model_id
        return doc


def short(text: str, limit: int = 30) -> str:
    """`text` cut to `limit` characters with an ellipsis, for a notice."""
    return text if len(text) <= limit else text[:limit - 3] + "…"


def empty_part_notice(index: int) -> str:
    """What a decomposition says of layer `index` when its box held nothing of the picture but the background."""
    return (f"“Layer {index}” is empty: its box holds nothing of the picture but the background. Move the box onto "
            f"an object and import again, or delete the layer.")


def _numbered_apart(doc: Document, renamed: list[int]) -> None:
    """Names the job gave that another layer has already get a number ('Pink heart', 'Pink heart 2'), bottom to top:
    two layers of 'two pink hearts' were both 'Pink heart' in the Layers panel and the PSD."""
    taken = {layer.name for j, layer in enumerate(doc.layers) if j not in renamed}
    for i in sorted(renamed):
        name = doc.layers[i].name
        if name in taken:
            name = next(f"{name} {k}" for k in itertools.count(2) if f"{name} {k}" not in taken)
            doc.layers[i] = replace(doc.layers[i], name=name)
        taken.add(name)


def as_variation(layer: Layer) -> Variation:
    """The layer's content as a variation to flip back to, with the hint it was drawn with (the hint typed since,
    which the app puts on the layer before regenerating, labelled the old result)."""
    prov = layer.provenance
    original = layer.original if resampled_from(layer.original, layer.pixels) else None  # a resize's source goes along
    return Variation(layer.pixels, layer.seed, prov.hint if prov is not None else layer.hint, prov, original)


def kept_with_variations(layer: Layer) -> list[Variation]:
    """The layer's variations with the result in use among them where the strip shows it, for a new one to follow."""
    at = layer.place_in_strip
    return layer.variations[:at] + [as_variation(layer)] + layer.variations[at:]


def named_after(layer: Layer, provenance: Provenance | None, index: int) -> str:
    """The name of layer `index` once it shows what `provenance` drew: the app's own names follow what a layer was
    drawn from (a copy's too: 'Blue moon copy'), 'Layer N' where that is nothing; a name the user typed stays."""
    drawn_as = _drawn_from_name(layer)
    if provenance is None or not (_AUTO_NAME.fullmatch(layer.name) or layer.name == drawn_as or
                                  _COPY.sub("", layer.name) == drawn_as):
        return layer.name
    name = layer_name(drawn_from(provenance.phrase, provenance.hint)) or (
        layer.name if index == 0 else f"Layer {index}")
    # the same thing again: its number or 'copy' stays ('Pink heart 2' stays apart from 'Pink heart')
    return layer.name if _COPY.sub("", layer.name) == name and drawn_as is not None else name


PASTED_PICTURE = "Pasted picture"  # the app's name for a picture pasted from another app
_AUTO_NAME = re.compile(rf"Layer \d+|{PASTED_PICTURE}(?: \d+)?")  # the app's names for a layer that shows nothing said
_COPY = re.compile(r"(?: copy)?(?: \d+)?$")  # what duplicating ('Blue moon copy 2') or numbering ('Pink heart 2') adds


def _without_colour_list(text: str) -> str:
    """`text` without a list of two or more colours said after its thing ('three balloons, red, yellow and blue',
    'balloons in red and white'); as it was where it has none."""
    run = first_colour_run(text)
    said = re.search(r"(?:\s*,|\s+in)\s+$", text[:run[0][0]], re.IGNORECASE) if len(run) > 1 else None
    return text if said is None else text[:said.start()] + text[run[-1][1]:]


def layer_name(text: str, limit: int = 60) -> str:
    """A layer name from the phrase or hint it was drawn from: 'a red circle with a drop shadow' ->
    'Red circle with a drop shadow'; one box of a counted object after one of them ('two pink hearts' -> 'Pink
    heart'). One line of printable text (PSD names drop the rest, and our PSD metadata
    is matched by name), at most `limit` characters; empty if nothing worth a name is left."""
    text = "".join(c if c.isprintable() else " " for c in text).strip()  # newlines, NBSP, zero-width
    if count_of(text) > 1 or plural(text):  # 'three balloons, red, yellow and blue': each a colour of its own
        text = _without_colour_list(text)
    words = one_of(text).split()
    if len(words) > 1 and words[0].lower() in ("a", "an", "the"):
        words = words[1:]
    name = " ".join(words).strip(" .,;:!?-+*/&")
    said = quoted_ranges(name)
    if len(said) == 1 and said[0] == (0, len(name)):  # words to letter alone: named as they read
        name = name[1:-1].strip()
    if len(name) > limit:
        name = _shortened(name, limit)
    if not any(c.isalnum() for c in name):
        return ""
    return name[:1].upper() + name[1:]


_ATTRIBUTE = re.compile(r" (with|in|on|saying|written|next|beside|above|below|under|over) ")


def _shortened(name: str, limit: int) -> str:
    """`name` in at most `limit` characters, ending in '…' or eliding its middle so that the words naming the thing
    stay: a long run of adjectives ('Big shiny … orange car') loses its middle, a thing's extras ('with a glow')
    their end. Cut at the end alone, 'Big shiny sparkling gleaming vintage retro orange car' lost the car."""
    match = _ATTRIBUTE.search(name)
    thing = name[:match.start()] if match else name
    words = thing.split(" ")
    tail = " ".join(words[-2:]) if len(words) > 2 else words[-1]
    if len(thing) > limit - 1 and len(tail) + 3 <= limit and len(words) > 1:
        head = []
        for word in words[:-2 if len(words) > 2 else -1]:
            if len(" ".join(head + [word])) + len(tail) + 3 > limit:
                break
            head.append(word)
        if head:
            return " ".join(head) + " … " + tail
    cut = name[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def drawn_from(phrase: str, hint: str) -> str:
    """What a layer is drawn from: its phrase, in the colours of a hint that asks only for colours ('a yellow sun'
    + 'green': 'a green sun'; with no phrase, the colours alone: 'make it pink' draws 'pink'); else its hint, else
    its phrase. A layer of several ('three balloons') shows one of them: 'green' draws a 'green balloon' (not
    a 'green three balloons', named 'Green three balloon')."""
    if hint and colour_only(hint):
        if count_of(phrase) > 1 or plural(phrase):
            phrase = one_of(_without_colour_list(phrase))
        return recoloured(phrase, hint) if phrase else recoloured("", hint).strip()
    return hint or phrase


def _drawn_from_name(layer: Layer) -> str | None:
    """The name the app gave the layer after what it was drawn from, if anything: its phrase and the hint it was
    drawn with (not the hint since typed, which the app commits before regenerating)."""
    prov = layer.provenance
    text = drawn_from(prov.phrase, prov.hint) if prov and (prov.phrase or prov.hint) else layer.hint
    return (layer_name(text) or None) if text else None


def _as_written_and_read(prompt: str) -> tuple[str, str]:
    """The prompt as written and as read (`read_as_meant`), lower case: a layer's phrase comes from the reading."""
    return prompt.lower(), read_as_meant(prompt)[0].lower()


def _phrase(layer: Layer, prompts: tuple[str, str]) -> str:
    """The layer's phrase while the prompt (as written or as read) still names it (it may have been edited)."""
    prov = layer.provenance
    phrase = prov.phrase if prov is not None else ""
    said = phrase.strip().lower()
    return phrase if said and any(said in prompt for prompt in prompts) else ""


def read_as_meant(text: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """`text` with words meant to be lettered put in quotes ('a sign saying OPEN') and misspelt names of things and
    colours mended ('a purpel star'); the words so lettered, and (as written, as read) for each word mended. A
    greeting's words are mended first, so that it is found ('merry chrismas'); the rest after, so that a name
    lettered stays as written ('Happy Birthday Rosa' is not 'Rose')."""
    text, greeting = spelled_right(text, occasions=True)
    text, lettered = quoted_as_meant(text)
    text, misspelt = spelled_right(text)
    return text, lettered, greeting + misspelt


def _fit(layer: Layer) -> np.ndarray:
    """A layer's pixels on its snapped box (an unsnapped box is padded with transparency)."""
    snapped = layer.box.snapped()
    if snapped == layer.box:
        return layer.pixels
    out = np.zeros((snapped.height, snapped.width, 4), np.uint8)
    dx, dy = layer.box.x0 - snapped.x0, layer.box.y0 - snapped.y0
    out[dy:dy + layer.box.height, dx:dx + layer.box.width] = layer.pixels
    return out


def _encode_png(pixels: np.ndarray | None) -> str | None:
    if pixels is None:
        return None
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _decode_png(text: str | None) -> np.ndarray | None:
    if text is None:
        return None
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(text))).convert("RGBA")).copy()
