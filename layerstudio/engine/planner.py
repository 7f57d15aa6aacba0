"""The planner: which object of the prompt each anonymous box shows.

The transformer alone cannot share a prompt's objects out among anonymous layers: at high noise its best
guess for every layer is the average of the prompt's objects, and measured on run 7 (72 held-out designs)
only 51% of layers took a distinct prompted colour, while the same model given each layer's own phrase as
a hint reached 92%. Given every other layer, a regenerated layer took the one colour left only 15% of the
time. So a small second model does the sharing out: it tags the prompt's words as background phrase,
object phrases or neither, scores each (object phrase, box) pair from the box's shape and place (words
go in wide boxes), and the phrases are dealt to the boxes by sampling without replacement, seeded by
the layers' seeds (a picture being decomposed is dealt by the colours each box shows). The transformer then
draws each layer from its phrase (the hint path it was trained with). Phrases are exact substrings of the
prompt, so the app can show them as layer names."""
from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..document import Box
from .config import TextConfig
from .colours import colour_spans
from .counting import COUNTS, count_of, plural
from .decomposition import colour_evidence, shape_evidence
from .effects import AN_EFFECT, EFFECT_SAID, EFFECT_WORDS, effects_for_all
from .lettering_cues import DESIGN_NOUNS, LOOK_WORDS
from .patterns import PATTERN_WORDS, names_pattern
from .silhouettes import name_spans, named_object, untrained_spans
from .usual_colours import draws_as_background
from .text import LEARNT_SPELLED, LocalMixer, Tokenizer, colour_input, drop_colour_names, quoted_ranges

OUTSIDE, BACKGROUND_START, BACKGROUND_INSIDE, OBJECT_START, OBJECT_INSIDE = range(5)
BOX_FEATURES = 8
# Decomposition: what a box shows outweighs the planner's guess from its place (48 held-out designs, decomposed
# layers against the truth, weight 1 / 3 / 10 / 30: 19.6 / 20.1 / 20.4 / 20.3 dB).
COLOUR_WEIGHT = 10.0
# ... and the shape its colours make: 300 held-out designs (seeds 20,000,000+), boxes dealt their true object
# with colours alone 0.90, shape weight 3 / 10 / 20 / 40: 0.98 / 0.99 / 0.995 / 0.995 (first 150: 0.979 / 0.994
# / 0.997 / 1.0; the next 150 at 0, 20 and 40: 0.881 / 0.992 / 0.990)
SHAPE_WEIGHT = 20.0
# Places said beside an object ('in the top left corner'): 72 held-out designs, each object's place written after it,
# boxes dealt their own object with weight 0 / 4 / 8 / 16 / 32: 0.43 / 0.69 / 0.75 / 0.82 / 0.81 (0.43 without places
# written); 72 others: 0.58 / 0.66 / 0.83 / 0.88 / 0.88 (0.52)
PLACE_WEIGHT = 16.0
# ... and how well each object's glyph fills each box (lettering a wide box): the same 72, weight 0 / 1 / 2 / 4, with
# places written 0.821 / 0.829 / 0.825 / 0.814, without 0.453 / 0.456 / 0.471 / 0.475
FIT_WEIGHT = 2.0
# ... and the size said of an object ('a big tree and a small star'): nothing else tells a big box from a small one
SIZE_WEIGHT = 4.0
_BIG = re.compile(r"\b(?:big|bigger|biggest|large|larger|largest|huge|giant|enormous|massive|oversized)\b")
_SMALL = re.compile(r"\b(?:small|smaller|smallest|tiny|little|mini|miniature|teeny)\b")


def fit_evidence(boxes: list[Box], texts: list[str]) -> np.ndarray:
    """(boxes, phrases): how well each phrase's glyph fills each box, as the log of its share of the box against its
    best box's (0 for its best; 0 throughout for a phrase with no glyph): long lettering goes to the wide box, a
    heart to the square one; lettering much less where its letters come out too low to read: by its share alone,
    'Merry Christmas' went to a 48 px square (9 px letters) beside a free 224 x 48 strip (27 px). (Weighing their
    height between legible boxes too dealt 2 of the 72 held-out designs' 284 layers away from their own box.)"""
    from .glyphs import LEGIBLE_PX, drawn_text, glyph_for, lettering_height  # glyphs reads the font

    out = np.zeros((len(boxes), len(texts)), np.float32)
    for k, phrase in enumerate(texts):
        fills = [glyph_for(phrase, box.width, box.height) for box in boxes]
        if any(f is None for f in fills):
            continue
        share = np.log(np.array([f.mean() for f in fills], np.float32) + 0.02)
        if drawn_text(phrase):
            tall = np.array([lettering_height(phrase, box.width, box.height) for box in boxes], np.float32)
            share -= 2.0 * (tall < LEGIBLE_PX)
        out[:, k] = share - share.max()
    return out


def size_evidence(boxes: list[Box], texts: list[str]) -> np.ndarray:
    """(boxes, phrases): for a phrase that says its object is big, each box's log area against the boxes' mean; for
    one said small, the same negated; 0 for one said neither (words in quotes are lettering, not sizes)."""
    areas = np.log(np.array([max(b.width, 1) * max(b.height, 1) for b in boxes], np.float32))
    out = np.zeros((len(boxes), len(texts)), np.float32)
    for k, phrase in enumerate(texts):
        said = _blanked(phrase, (0, len(phrase)), quoted_ranges(phrase)).lower()
        out[:, k] = (bool(_BIG.search(said)) - bool(_SMALL.search(said))) * (areas - areas.mean())
    return out


def box_features(box: Box, width: int, height: int, index: int, count: int) -> list[float]:
    """Place, size, aspect and stacking order of a foreground box, scale-free."""
    w, h = max(box.width, 1), max(box.height, 1)
    return [box.x0 / width, box.y0 / height, box.x1 / width, box.y1 / height, math.log(w / h),
            math.sqrt(w * h / (width * height)), index / max(count, 1), count / 8]


class Planner(nn.Module):
    def __init__(self, text: TextConfig, width: int = 96, depth: int = 2, heads: int = 4):
        super().__init__()
        self.max_tokens = text.max_tokens
        self.tokenizer = Tokenizer(text.vocab)
        self.embed = nn.Embedding(self.tokenizer.size, width)
        self.colour_in = colour_input(width)
        self.pos = nn.Parameter(torch.randn(text.max_tokens, width) * 0.02)
        # Added to each word's first token. A word the vocabulary lacks is read letter by letter, and without it two
        # such words in a row ('sparkling' 'three') read as one run of letters: held-out prompts with unknown words
        # were cut right 26% of the time where two met, 65% where none did. Zero: as planners saved without it
        # (None when loaded from one).
        self.word_start: nn.Parameter | None = nn.Parameter(torch.zeros(width))
        self.mixer = LocalMixer(width)
        layer = nn.TransformerEncoderLayer(width, heads, width * 4, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.tag = nn.Linear(width, 5)
        self.phrase = nn.Linear(width, width)
        self.box = nn.Sequential(nn.Linear(BOX_FEATURES, width), nn.GELU(), nn.Linear(width, width))

    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor, list[list[tuple[int, int]]]]:
        """-> token features (B, T, D), mask (B, T), each prompt's token character spans."""
        ids, mask, colours, spans = self.tokenizer.batch(prompts, self.max_tokens, device=self.pos.device)
        if self.training:
            ids = drop_colour_names(ids, colours)
        x = self.embed(ids) + self.colour_in(colours) + self.pos[:ids.shape[1]]
        if self.word_start is not None:
            starts = torch.zeros(ids.shape, dtype=x.dtype, device=x.device)
            for i, (prompt, row) in enumerate(zip(prompts, spans)):
                for t, (start, _) in enumerate(row[1:], start=1):  # not BOS
                    starts[i, t] = start == 0 or not prompt[start - 1].isalnum()
            x = x + starts[..., None] * self.word_start
        x = self.mixer(x, mask)
        x = self.norm(self.layers(x, src_key_padding_mask=~mask))
        return x, mask, spans

    def scores(self, features: torch.Tensor, phrase_tokens: list[list[int]], boxes: torch.Tensor) -> torch.Tensor:
        """(boxes, phrases) compatibility of one prompt's object phrases (token indices) with its boxes."""
        phrases = torch.stack([features[idx].mean(0) for idx in phrase_tokens])
        return self.box(boxes) @ self.phrase(phrases).T / math.sqrt(phrases.shape[-1])

    # -- inference
    @torch.no_grad()
    def _cut(self, prompt: str):
        """The prompt as read, its token features (T, D) and character spans, background and object phrases."""
        read = as_sentence(prompt)
        # an effect said of every object is no phrase ('..., both with drop shadows')
        read = _blanked(read, (0, len(read)), effects_for_all(read))
        read = _blanked(read, (0, len(read)), palette_said(read, quoted_ranges(read))[0])  # colours to use: no thing
        reading, origin = stand_in(read, self.tokenizer.unknown_words(read))
        features, spans = self._read(reading)
        spans = [(origin[s][0], origin[e - 1][1]) if e > s else (origin[s][0],) * 2 for s, e in spans]
        tags = self.tag(features.float()).argmax(-1).tolist()
        background, objects = cut_phrases(whole_units(read, tags, spans), spans)
        background, objects = tidy_cut(read, *mend_cut(read, whole_words(read, background), whole_words(read, objects)))
        objects = [span for span, tokens in zip(objects, phrase_tokens(spans, objects)) if tokens]  # read ones
        return read, features, spans, background, objects

    def _read(self, text: str) -> tuple[torch.Tensor, list[tuple[int, int]]]:
        """Token features (T, D) of `text` and their character spans, read a part at a time (`read_parts`) where it
        runs past the planner's tokens: BOS once, at the start."""
        features, spans = [], []
        for n, (a, b) in enumerate(self.read_parts(text)):
            part, _, part_spans = self.encode([text[a:b]])
            first = 0 if n == 0 else 1
            features.append(part[0, first:])
            spans += [(s + a, e + a) if n else (s, e) for s, e in part_spans[0][first:]]
        return torch.cat(features), spans

    def read_parts(self, text: str) -> list[tuple[int, int]]:
        """Character ranges of `text` the planner reads one at a time: the whole where it fits its tokens, else its
        clauses (cut after stops, semicolons and commas outside quotes) packed in order while they fit. A prompt of
        35 everyday words ran past the 96 tokens (a word the vocabulary lacks is read letter by letter), and its
        background, said last, was lost. A clause longer than that is read as far as it goes."""
        if not self.tokenizer.unread(text, self.max_tokens):
            return [(0, len(text))]
        quoted = quoted_ranges(text)
        cuts = [i + 1 for i, c in enumerate(text) if c in ".;,!?" and not any(a <= i < b for a, b in quoted)]
        starts = [0] + [c + len(text[c:]) - len(text[c:].lstrip()) for c in cuts if text[c:].strip()]
        clauses = [(a, b) for a, b in zip(starts, starts[1:] + [len(text)])]
        parts: list[list[int]] = []
        for a, b in clauses:
            if parts and not self.tokenizer.unread(text[parts[-1][0]:b], self.max_tokens):
                parts[-1][1] = b
            else:
                parts.append([a, b])
        return [(a, b) for a, b in parts]

    def unread(self, prompt: str) -> str:
        """What the planner leaves out of `prompt`: the end of a clause too long for its tokens, or ''."""
        read = as_sentence(prompt)
        reading, origin = stand_in(read, self.tokenizer.unknown_words(read))
        for a, b in self.read_parts(reading):
            left = self.tokenizer.unread(reading[a:b], self.max_tokens)
            if left:
                start = reading.rfind(left, a, b)
                return prompt[origin[start][0]:origin[start + len(left) - 1][1]]  # not the stop as_sentence added
        return ""

    def background_spans(self, prompt: str) -> list[tuple[int, int]]:
        """Character spans of the prompt's words about the background, in order; [] if it names none."""
        return [(a, min(b, len(prompt))) for a, b in self._cut(prompt)[3]]

    def background_phrase(self, prompt: str) -> str:
        """The words of the prompt about the background ('a plain crimson background'), or ''."""
        return self.phrases(prompt)[0]

    def phrases(self, prompt: str, boxes: int | None = None) -> tuple[str, list[str]]:
        """The prompt's background phrase ('' if it names none) and its object phrases, as the planner cuts them;
        given the number of foreground `boxes`, as they are dealt to them (`join_parts`)."""
        read, _, _, background, objects = self._cut(prompt)
        if boxes is not None:
            objects = join_parts(read, objects, boxes)
        return " ".join(read[a:b] for a, b in background), [read[a:b] for a, b in objects]

    @torch.no_grad()
    def deal(self, prompt: str, width: int, height: int, boxes: list[Box], wanted: list[int],
             taken: list[str], seed: int, picture: np.ndarray | None = None) -> dict[int, str]:
        """Object phrases for the foreground boxes in `wanted` (indices into `boxes`, all foreground boxes
        bottom to top). Phrases in `taken` (other layers' phrases) are dealt last. Empty if the prompt
        names no objects. Given the `picture` being decomposed, each box gets the phrase that best fits both
        its place and the colours it shows, instead of a draw."""
        read, features, spans, background, objects = self._cut(prompt)
        objects = join_parts(read, objects, len(boxes))
        if not objects or not wanted:
            return {}
        texts = [read[a:b] for a, b in objects]
        tokens = scoring_tokens(read, spans, objects, background)
        feats = torch.tensor([box_features(boxes[i], width, height, i, len(boxes)) for i in wanted],
                             dtype=features.dtype, device=features.device)
        # each box's own odds over the phrases: raw scores ran ~22 for a wide box against ~7 for a square one, and
        # dealing compares boxes too
        logits = self.scores(features, tokens, feats).float().cpu().log_softmax(-1)
        places = place_evidence(read, spans, tokens, phrase_tokens(spans, objects), boxes, width, height)
        logits += PLACE_WEIGHT * torch.from_numpy(places[wanted])
        if picture is not None:
            fit = (logits.log_softmax(-1).numpy() + COLOUR_WEIGHT * colour_evidence(picture, boxes, wanted, texts)
                   + SHAPE_WEIGHT * shape_evidence(picture, boxes, wanted, texts))
            return {wanted[row]: texts[k] for row, k in shown_match(fit, texts).items()}
        logits += FIT_WEIGHT * torch.from_numpy(fit_evidence([boxes[i] for i in wanted], texts))
        logits += SIZE_WEIGHT * torch.from_numpy(size_evidence([boxes[i] for i in wanted], texts))
        # A draw of the whole dealing at once (Gumbel noise on every score, then the pairs that fit best together),
        # so that a box and the object said to be there find each other before any other box draws that object.
        rng = np.random.default_rng(seed)
        fit = logits.numpy() - np.log(-np.log(rng.uniform(1e-9, 1.0, logits.shape)))
        taken_keys = {t.strip().lower() for t in taken}
        free = {k for k, t in enumerate(texts) if t.strip().lower() not in taken_keys}
        # 'two pink hearts' takes two boxes before any object takes a second, and 'balloons' spare boxes before a
        # thing named once is drawn again
        counted = [k for k in sorted(free) for _ in range(min(count_of(texts[k]), len(wanted)) - 1)]
        several = [k for k in sorted(free) if plural(texts[k]) for _ in range(len(wanted) - 1)]
        columns = list(range(len(texts))) + counted + several
        # lettering is written once: boxes left over take the things ('Thank you' filled two strips, no confetti)
        things = {c for c, k in enumerate(columns) if not quoted_ranges(texts[k])}
        slots = best_match(fit[:, columns], free, set(range(len(texts), len(texts) + len(counted))),
                           set(range(len(texts) + len(counted), len(columns))), spare=things)
        dealt = keep_relations({row: columns[c] for row, c in slots.items()}, [boxes[i] for i in wanted],
                               relative_places(read, objects), enclosing_places(read, objects))
        return {wanted[row]: texts[k] for row, k in dealt.items()}

    # -- training
    def loss(self, prompts: list[str], layer_captions: list[list[str]], boxes: list[list[Box]],
             sizes: list[tuple[int, int]]) -> tuple[torch.Tensor, dict]:
        """Tagging (cross-entropy per token) plus, per foreground box, which object phrase it shows
        (cross-entropy over the prompt's phrases). Designs whose layer captions are not all found in the
        prompt teach nothing and are skipped."""
        features, mask, spans = self.encode(prompts)
        tag_targets = torch.full(mask.shape, -1, dtype=torch.long)
        assignment, correct, total = [], 0, 0
        for i, (prompt, captions) in enumerate(zip(prompts, layer_captions)):
            found = locate(prompt, captions)
            if found is None:
                continue
            tag_targets[i, :len(spans[i])] = torch.tensor(tag_sequence(spans[i], found))
            objects = found[1:]
            if len(objects) < 2 or any(not t for t in phrase_tokens(spans[i], objects)):
                continue
            tokens = scoring_tokens(prompt, spans[i], objects, found[:1])
            width, height = sizes[i]
            feats = torch.tensor([box_features(b, width, height, k, len(objects)) for k, b in enumerate(boxes[i])],
                                 dtype=features.dtype, device=features.device)
            logits = self.scores(features[i], tokens, feats)
            target = torch.arange(len(objects), device=logits.device)
            assignment.append(F.cross_entropy(logits, target))
            correct += (logits.argmax(-1) == target).sum().item()
            total += len(objects)
        tag_logits = self.tag(features)
        tag_targets = tag_targets.to(tag_logits.device)
        keep = tag_targets >= 0
        if not keep.any():
            return features.sum() * 0.0, {}
        loss = F.cross_entropy(tag_logits[keep], tag_targets[keep])
        stats = {"tag_accuracy": round((tag_logits[keep].argmax(-1) == tag_targets[keep]).float().mean().item(), 4)}
        if assignment:
            loss = loss + torch.stack(assignment).mean()
            stats["box_accuracy"] = round(correct / total, 4)
        return loss, stats


_ROW_WORDS = {"top": 1 / 6, "upper": 1 / 6, "bottom": 5 / 6, "lower": 5 / 6}
_COLUMN_WORDS = {"left": 1 / 6, "right": 5 / 6}
_MIDDLE_WORDS = {"middle", "centre", "center", "centred", "centered", "central"}


def place_evidence(text: str, spans: list[tuple[int, int]], beside: list[list[int]], phrases: list[list[int]],
                   boxes: list[Box], width: int, height: int) -> np.ndarray:
    """(boxes, objects): how much nearer each box's centre is than the boxes' mean to where the words beside each
    object put it ('in the top left corner', 'at the bottom', 'in the middle'), in canvas widths and heights along
    the axes the words name; 0 where they name none, so that the box there prefers that object to one said to be
    nowhere. `beside`: per object its scoring tokens, `phrases` its own (their words are what it is, not where:
    'an arrow pointing left')."""
    out = np.zeros((len(boxes), len(beside)), np.float32)
    for k, (tokens, own) in enumerate(zip(beside, phrases)):
        covered = [" "] * len(text)
        for t in tokens:
            if t not in own:
                covered[spans[t][0]:spans[t][1]] = text[spans[t][0]:spans[t][1]]
        words = re.findall(r"[a-z]+", "".join(covered).lower())
        row = next((_ROW_WORDS[w] for w in words if w in _ROW_WORDS), None)
        column = next((_COLUMN_WORDS[w] for w in words if w in _COLUMN_WORDS), None)
        if any(w in _MIDDLE_WORDS for w in words):
            row, column = 0.5 if row is None else row, 0.5 if column is None else column
        for b, box in enumerate(boxes):
            if row is not None:
                out[b, k] -= abs((box.y0 + box.y1) / 2 / height - row)
            if column is not None:
                out[b, k] -= abs((box.x0 + box.x1) / 2 / width - column)
    return out - out.mean(0, keepdims=True)


# An object's place said against another's: (words, axis 0 across / 1 down, sign of its centre minus the other's)
_RELATIONS = [(r"above|over|on top of", 1, -1), (r"below|under|beneath|underneath", 1, 1),
              (r"(?:to the )?left of|to its left|left of it", 0, -1),
              (r"(?:to the )?right of|to its right|right of it", 0, 1)]
_RELATION = re.compile(r"\s*,?\s*(?:(?:is|which is|that is|placed|\w+ing)\s+)?(?:(%s)|(%s)|(%s)|(%s))\b" %
                       tuple(words for words, _, _ in _RELATIONS), re.IGNORECASE)


def relative_places(text: str, objects: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """(object, axis, sign, other object) for each object said to be above, below, left or right of another: the
    one named right after the words ('a sun above a house') or again ('... below the tree'), or, for 'it' and 'them',
    the one before that is not itself placed against another ('A moon. A star below it.')."""
    out = []
    for k, (a, b) in enumerate(objects):
        upto = objects[k + 1][0] if k + 1 < len(objects) else len(text)
        said = _RELATION.match(text, b, upto)
        if said is None:
            continue
        group = next(g for g in range(4) if said.group(g + 1))
        _, axis, sign = _RELATIONS[group]
        rest = text[said.end():upto].strip().lower()
        start = said.end() + len(text[said.end():upto]) - len(text[said.end():upto].lstrip())
        named = _NAMED_AGAIN.match(text, start, upto)
        again = _referred_to(text, named.span(), objects[:k]) if named else None
        if re.match(r"(it|them)\b", rest) or "its" in said.group(0).lower() or "of it" in said.group(0).lower():
            # the nearest object before that is not itself placed against another: 'A tree. A bird above it. A
            # dog below it.' puts both against the tree
            placed = {o for o, _, _, _ in out}
            anchor = next((i for i in reversed(range(k)) if i not in placed), k - 1)
            if k > 0:
                out.append((k, axis, sign, anchor))
        elif again is not None:  # 'a dog below the tree'
            out.append((k, axis, sign, again))
        elif not rest and k + 1 < len(objects):
            out.append((k, axis, sign, k + 1))
    return out


# A thing said to be between or inside others ('a lamp between a sofa and a chair', 'a fish inside a bowl')
_BETWEEN = r"(?:right\s+|in\s+)?between"
_INSIDE = r"inside(?:\s+of)?|within|in\s+the\s+middle\s+of"
_ENCLOSED = re.compile(r"\s*,?\s*(?:(?:is|which is|that is|placed|sits|\w+ing)\s+)?(?:(%s)|(%s))\s+" % (_BETWEEN, _INSIDE),
                       re.IGNORECASE)


def enclosing_places(text: str, objects: list[tuple[int, int]]) -> list[tuple[int, bool, list[int]]]:
    """(object, between, the objects around it) for each object said to be between the objects named right after
    it ('a cat between a dog and a cow', 'between two trees') or inside the one after it ('a fish inside a bowl')."""
    out = []
    for k, (a, b) in enumerate(objects):
        upto = objects[k + 1][0] if k + 1 < len(objects) else len(text)
        said = _ENCLOSED.match(text, b, upto)
        if said is None or said.end() != upto:
            continue
        if said.group(1) is None:
            out.append((k, False, [k + 1]))
        elif k + 2 < len(objects) and _AND.fullmatch(text[objects[k + 1][1]:objects[k + 2][0]]):
            out.append((k, True, [k + 1, k + 2]))
        elif count_of(text[objects[k + 1][0]:objects[k + 1][1]]) > 1 or plural(text[objects[k + 1][0]:objects[k + 1][1]]):
            out.append((k, True, [k + 1]))
    return out


def keep_relations(dealt: dict[int, int], boxes: list[Box], relations: list[tuple[int, int, int, int]],
                   enclosing: list[tuple[int, bool, list[int]]] = ()) -> dict[int, int]:
    """`dealt` (box row -> object) with two objects' boxes swapped where one is said to be above, below, left or
    right of the other and its box is not: the draw decides where the pair goes, the words which is which. A thing
    said to be between others takes the middle one of their boxes (along the way they spread most), one said to be
    inside another the smaller box of the two."""
    dealt = dict(dealt)

    def centre(row, axis):
        return boxes[row].x0 + boxes[row].x1 if axis == 0 else boxes[row].y0 + boxes[row].y1

    for _ in range(3):  # a swap for one pair can undo another's: a few rounds settle chains ('above a tree ... below')
        for k, axis, sign, other in relations:
            rows = [next((r for r, c in dealt.items() if c == want), None) for want in (k, other)]
            if None in rows:
                continue
            if sign * (centre(rows[0], axis) - centre(rows[1], axis)) < 0:
                dealt[rows[0]], dealt[rows[1]] = other, k
        for k, between, around in enclosing:
            own = next((r for r, c in dealt.items() if c == k), None)
            others = [r for r, c in dealt.items() if c in around]
            if own is None or len(others) < (2 if between else 1):
                continue
            if between:
                rows = [own] + others
                axis = max((0, 1), key=lambda ax: np.ptp([centre(r, ax) for r in rows]))
                chosen = sorted(rows, key=lambda r: centre(r, axis))[len(rows) // 2]
            else:
                chosen = min([own] + others, key=lambda r: boxes[r].width * boxes[r].height)
            dealt[own], dealt[chosen] = dealt[chosen], dealt[own]
    return dealt


_HAVING = r"wearing|holding|carrying|hugging|riding|eating|playing\s+with"  # 'a pineapple wearing sunglasses'
_WITH = re.compile(r"\s+(?:with|saying|%s)\s+" % _HAVING, re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def join_parts(text: str, objects: list[tuple[int, int]], boxes: int) -> list[tuple[int, int]]:
    """Objects said as parts of the one before ('a house with a red roof and a chimney', 'a dog playing with a
    ball') joined to it, the largest group first, while more objects than `boxes` remain: as many of a group's parts
    as leave no box without an object, the first first. One box for that prompt shows the house, two the house with
    its roof and the chimney, three the house and its parts apart ('a snowman with a hat and the word 'BRRR'' in two
    boxes left the words out while the group joined whole or not at all)."""
    groups, i = [], 0
    while i < len(objects):
        j = i
        if j + 1 < len(objects) and _WITH.fullmatch(text[objects[j][1]:objects[j + 1][0]]):
            j += 1
            while j + 1 < len(objects) and _AND.fullmatch(text[objects[j][1]:objects[j + 1][0]]):
                j += 1
        groups.append((i, j))
        i = j + 1
    count = len(objects)
    joined = {}  # a group's first object -> the last part joined to it
    for i, j in sorted(groups, key=lambda g: g[0] - g[1]):
        parts = min(j - i, count - boxes)
        if parts > 0:
            joined[i] = i + parts
            count -= parts
    out = []
    for i, j in groups:
        last = joined.get(i, i)
        out += [(objects[i][0], objects[last][1])] + objects[last + 1:j + 1]
    return out


def best_match(fit: np.ndarray, *tiers: set[int], spare: set[int] | None = None) -> dict[int, int]:
    """Rows (boxes) to columns (phrases), the pairs of each round together as well as they fit in sum; the columns of
    each tier are dealt before those of the next, those before the others, and every column once before any again
    (more boxes than phrases), of the `spare` columns only where given. One pair at a time, best first, gave the wide
    box to whichever object scored it highest, though lettering fitted no other box ('two maple leaves' took it from
    'FALL SALE 30% OFF')."""
    rows, out = set(range(fit.shape[0])), {}
    rounds = [set(t) for t in tiers]
    while rows:
        free = set()
        while not free and rounds:
            free = rounds.pop(0)
        free = sorted(free or (spare if spare and out else None) or range(fit.shape[1]))  # out: past the first round
        ordered = sorted(rows)
        for r, c in _assignment(fit[np.ix_(ordered, free)]).items():
            out[ordered[r]] = free[c]
            rows.remove(ordered[r])
    return out


def shown_match(fit: np.ndarray, texts: list[str]) -> dict[int, int]:
    """Rows (boxes of a picture) to columns (phrases): each phrase, and each of a count ('three red stars'), in the
    box that shows it best, the pairs fitting best together; any box left over takes what it shows best. Dealt in
    rounds of every phrase, as a generation is, the fourth box of 'three red stars and a blue circle' got the circle
    though it showed a red star."""
    counted = [k for k in range(len(texts)) for _ in range(min(count_of(texts[k]), fit.shape[0]) - 1)]
    columns = list(range(len(texts))) + counted
    out = {row: columns[c] for row, c in _assignment(fit[:, columns]).items()}
    return {row: out[row] if row in out else int(fit[row].argmax()) for row in range(fit.shape[0])}


def _assignment(score: np.ndarray) -> dict[int, int]:
    """The rows and columns paired one to one (as many pairs as the shorter side) for the largest sum of scores:
    the Hungarian method with potentials, O(n^2 m)."""
    if score.shape[0] > score.shape[1]:
        return {r: c for c, r in _assignment(score.T).items()}
    n, m = score.shape
    cost = -np.asarray(score, np.float64)
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    owner, way = [0] * (m + 1), [0] * (m + 1)  # owner[j]: the row (1-based) holding column j; 0 for none
    for i in range(1, n + 1):
        owner[0], j0 = i, 0
        least, used = np.full(m + 1, np.inf), np.zeros(m + 1, bool)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], np.inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < least[j]:
                        least[j], way[j] = cur, j0
                    if least[j] < delta:
                        delta, j1 = least[j], j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    least[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    return {owner[j] - 1: j - 1 for j in range(1, m + 1) if owner[j]}


def locate(prompt: str, captions: list[str]) -> list[tuple[int, int]] | None:
    """Character spans of each layer caption (background first) in the prompt, each found after the
    spans already taken, or None if one is missing. An empty background caption (a prompt naming no background)
    is the empty span (0, 0)."""
    lower = prompt.lower()
    used: list[tuple[int, int]] = []
    for k, caption in enumerate(captions):
        needle = caption.strip().lower()
        if not needle and k == 0:
            used.append((0, 0))
            continue
        start = lower.find(needle) if needle else -1
        while start >= 0 and any(a < start + len(needle) and start < b for a, b in used):
            start = lower.find(needle, start + 1)
        if start < 0:
            return None
        used.append((start, start + len(needle)))
    return used


def phrase_tokens(spans: list[tuple[int, int]], phrases: list[tuple[int, int]]) -> list[list[int]]:
    """Per phrase (characters), the tokens starting inside it. BOS's span (0, 0) falls in a phrase that
    starts the prompt: the shipped planner was trained so."""
    return [[k for k, s in enumerate(spans) if a <= s[0] < b] for a, b in phrases]


def scoring_tokens(text: str, spans: list[tuple[int, int]], objects: list[tuple[int, int]],
                   background: list[tuple[int, int]]) -> list[list[int]]:
    """Per object phrase, its tokens and the tokens outside every phrase that go with it: those after it in its
    sentence up to the next phrase, or, before a sentence's first phrase, those leading up to it ('In the top left
    corner, a sun.'). Where a box goes is said beside the object ('a sun in the top left corner'): the learnt box
    scores and `place_evidence` read it from there."""
    quoted = quoted_ranges(text)
    stops = [i for i, c in enumerate(text) if c in ".;!?" and not any(a <= i < b for a, b in quoted)]

    def sentence(at: int) -> int:
        return sum(stop < at for stop in stops)

    out = phrase_tokens(spans, objects)
    taken = {t for tokens in out for t in tokens} | \
        {t for tokens in phrase_tokens(spans, background) for t in tokens} | {0}
    starts = [(a, k) for k, (a, _) in enumerate(objects)]
    for t, (s, _) in enumerate(spans):
        if t in taken:
            continue
        same = [(a, k) for a, k in starts if sentence(a) == sentence(s)]
        before = [(a, k) for a, k in same if a <= s]
        pick = max(before)[1] if before else min(same)[1] if same else None
        if pick is not None:
            out[pick].append(t)
    return [sorted(tokens) for tokens in out]


def tag_sequence(spans: list[tuple[int, int]], found: list[tuple[int, int]]) -> list[int]:
    """Per token: outside, or start/inside of the background phrase (found[0]) or of an object phrase."""
    tags = [OUTSIDE] * len(spans)
    for k, (a, b) in enumerate(found):
        first = True
        for t, (s, e) in enumerate(spans):
            if t and a <= s < b:
                start, inside = (BACKGROUND_START, BACKGROUND_INSIDE) if k == 0 else (OBJECT_START, OBJECT_INSIDE)
                tags[t] = start if first else inside
                first = False
    return tags


_KIND = {OUTSIDE: OUTSIDE, BACKGROUND_START: BACKGROUND_START, BACKGROUND_INSIDE: BACKGROUND_START,
         OBJECT_START: OBJECT_START, OBJECT_INSIDE: OBJECT_START}
_INSIDE = {OUTSIDE: OUTSIDE, BACKGROUND_START: BACKGROUND_INSIDE, OBJECT_START: OBJECT_INSIDE}


def as_sentence(prompt: str) -> str:
    """The prompt with a full stop after it if it ends without one. Every training prompt ends so, and the planner
    read "... and a green star on white" (no stop) as a fourth object "white" and no background. The stop goes
    after the text, so phrases keep their places in the prompt."""
    return prompt if not prompt.strip() or prompt.rstrip()[-1] in ".!?" else prompt + "."


def whole_units(text: str, tags: list[int], spans: list[tuple[int, int]]) -> list[int]:
    """Tags with every colour name and every quoted text read as one unit: its tokens vote (ties to the first)
    on outside, background or object, and all of them take it. Both are read letter by letter where the
    vocabulary lacks them, and their letters were tagged apart: "on dark grey" gave the background "dark" and an
    object "grey" (300 held-out prompts with half their colours named: 246 -> 280 read exactly as the truth);
    'the word "Don't panic!"' was cut at the apostrophe."""
    tags = list(tags)
    quoted = quoted_ranges(text)
    units = [(a, b) for a, b, _ in colour_spans(text, quoted)] + quoted
    for a, b in units:
        unit = [t for t, (s, _) in enumerate(spans) if t and a <= s < b]
        if not unit:
            continue
        votes = Counter(_KIND[tags[t]] for t in unit)
        if (a, b) in quoted:  # words in quotes are drawn: "'Tom and Jerry' on white" lost its only object to outside
            del votes[OUTSIDE]
            votes.setdefault(OBJECT_START, 0)
        kind = max(votes, key=lambda k: (votes[k], k == _KIND[tags[unit[0]]]))
        if _KIND[tags[unit[0]]] != kind:  # the unit's first token starts the phrase, or goes on with the one before
            tags[unit[0]] = _INSIDE[kind] if _KIND[tags[unit[0] - 1]] == kind else kind
        for t in unit[1:]:
            tags[t] = _INSIDE[kind]
    return tags


_BETWEEN_PHRASES = {"on", "with", "and", "in", "of", "over", "under", "behind", "beside", "at", "by", "for", "to",
                    "from", "above", "below", "next", "near", "all", "plus", "against"}
_BETWEEN_ALTERNATIVES = "|".join(sorted(_BETWEEN_PHRASES))
# 'the tree' of 'a dog below the tree': a thing named again, up to the next word between phrases
_NAMED_AGAIN = re.compile(r"the\s+[\w'-]+(?:\s+(?!(?:%s)\b)[\w'-]+)*" % _BETWEEN_ALTERNATIVES, re.IGNORECASE)


# nouns the planner learnt as objects', read in place of ones it never saw: 'an owl', else 'a cat'
_STAND_IN = {"an": "owl"}
_STAND_IN_ELSE = "cat"


_WORDS = re.compile(r"[\w'-]+|[^\w\s]")  # words and punctuation marks, one at a time
_BEFORE_NOUN = {"a", "an", "the", "some", "two", "three", "one"}
_PURPOSE = {"for", "like", "as", "about"}
# Words saying where, not what ('in the middle,'): a stand-in noun there made 'the middle' an object.
_PLACES = {"middle", "centre", "center", "corner", "top", "bottom", "side", "edge", "upper", "lower", "it", "them"}


def stand_in(text: str, unknown: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """`text` with each unknown word where a noun goes ('a yellow banana on', after an article or a colour name and
    before a word between phrases or punctuation) read as a noun the planner knows, and per character of the
    result the characters of `text` it stands for. Spelled letter by letter, a noun the planner never saw broke
    its cut: 'a yellow banana on white' gave the object 'a' and a yellow background, and could drop the next
    object. (Other words it never saw, such as 'pointing' or 'Minimal', it learnt spelled; the corpus's cuts stay
    as they were.)"""
    colours = colour_spans(text)
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORDS.finditer(text)]
    starts = {a: k for k, (a, _, _) in enumerate(words)}
    unknown_starts = {a for a, _ in unknown}
    out, origin, pos = [], [], 0
    for a, b in unknown:
        k = starts.get(a)
        if k is None or words[k][2] in LEARNT_SPELLED or words[k][2] in _PLACES or \
                any(s < b and a < e for s, e, _ in colours):
            continue
        first = k  # back over unknown words before it: 'a cute dragon' reads 'a cute cat'
        while first > 0 and words[first - 1][0] in unknown_starts and words[first - 1][2] not in LEARNT_SPELLED:
            first -= 1
        before = words[first - 1] if first > 0 else None
        after = words[k + 1][2] if k + 1 < len(words) else "."
        colour_before = before is not None and any(s <= before[0] and before[1] <= e for s, e, _ in colours)
        # 'for a party', 'A cute card: ...' and 'an image of' say what the design is, not what is in it
        purpose = first > 1 and words[first - 2][2] in _PURPOSE or after in (":", "of")
        if purpose or not ((colour_before or before is not None and before[2] in _BEFORE_NOUN) and
                           (after in _BETWEEN_PHRASES or not after[0].isalnum())):
            continue
        noun = _STAND_IN.get(before[2], _STAND_IN_ELSE)
        out.append(text[pos:a]), origin.extend((i, i + 1) for i in range(pos, a))
        out.append(noun), origin.extend([(a, b)] * len(noun))
        pos = b
    out.append(text[pos:]), origin.extend((i, i + 1) for i in range(pos, len(text)))
    origin.append((len(text), len(text)))  # BOS's empty span (0, 0) and spans ending at the text's end
    return "".join(out), origin


_PALETTE_WORD = r"(?:colou?rs|colou?r\s+(?:scheme|palette)|palette|tones|shades)"
_PALETTE_AFTER = re.compile(r"\s+%s\b" % _PALETTE_WORD, re.IGNORECASE)  # 'brown and cream colours'
_PALETTE_BEFORE = re.compile(r"\b%s\s*(?::|of|in)?\s*$" % _PALETTE_WORD, re.IGNORECASE)  # 'colour scheme: brown and cream'
_LISTED = re.compile(r"\s*(?:,|&|/|\band\b|\bor\b)\s*(?:and\s+)?$", re.IGNORECASE)


def palette_said(text: str, skip: list[tuple[int, int]] = ()) -> tuple[list[tuple[int, int]], list[str]]:
    """(spans, colour names) of a palette the prompt states ('..., brown and cream colours', 'colour scheme: teal and
    gold', 'in pink and white tones', '..., red on yellow'): a choice of colours for the design, no thing to draw;
    ([], []) if none. Read as an object, 'cream colours' took a box of its own and the shop's name lost its one."""
    spans = colour_spans(text, skip)
    runs, run = [], []
    for span in spans:  # colours said together: 'brown and cream', 'teal, gold & white'
        if run and _LISTED.fullmatch(text[run[-1][1]:span[0]]) is None:
            runs.append(run)
            run = []
        run.append(span)
    if run:
        runs.append(run)
    for k, run in enumerate(runs):
        start, end = run[0][0], run[-1][1]
        # '..., red on yellow': the objects' colours, said on their own before the background's
        if k + 1 < len(runs) and re.fullmatch(r"\s+on\s+", text[end:runs[k + 1][0][0]], re.IGNORECASE) and \
                re.search(r"(?:^|[,;:.]\s*)$", text[:start]):
            lead = re.search(r"[,;]?\s*$", text[:start])
            return [(lead.start(), end)], [text[a:b].lower() for a, b, _ in run]
        after = _PALETTE_AFTER.match(text, end)
        before = _PALETTE_BEFORE.search(text, 0, start)
        if len(run) < 2 and not (after or before):
            continue
        if after:
            lead = re.search(r"(?:,\s*|\b(?:in|with|using)\s+|\b(?:and\s+)?(?:a|the)\s+)*$", text[:start], re.IGNORECASE)
            owner = re.search(r"([\w'-]+)\s+in\s+$", text[:start], re.IGNORECASE)
            if owner and "," not in text[lead.start():start] and owner.group(1).lower() not in DESIGN_NOUNS:
                continue  # 'a cat in pink and white tones': the cat's colours
            return [(lead.start(), after.end())], [text[a:b].lower() for a, b, _ in run]
        if before and not text[before.end():start].strip(" :"):
            lead = re.search(r"(?:,\s*|\b(?:with|in|using)\s+|\b(?:a|the)\s+)*$", text[:before.start()], re.IGNORECASE)
            return [(lead.start(), end)], [text[a:b].lower() for a, b, _ in run]
    return [], []


def mend_cut(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]]
             ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(background, objects) phrases mended around the names of icons the engine draws and the planner never saw in
    training, which its cuts split or dropped ('A blue' for 'A blue butterfly', 'A purple piggy' + 'bank', 'yellow'
    read as the background's in 'a yellow piggy bank'). Each such name becomes one object phrase with the phrases
    overlapping it and the words before it, back to a word between phrases ('on', 'and', a comma) or the start of
    an object phrase it then takes in; a background phrase of colour words alone met on the way is the object's. A
    name inside a phrase with words before it is whole already; names inside quotes or the background's other
    words are left alone."""
    names = untrained_spans(text)
    colour_words = colour_spans(text)

    def only_colours(span):
        return _only_colours(text, span, colour_words)

    background = [(s, e) for s, e in background
                  if (s, e) not in names and not any(a <= s and e <= b for a, b in objects)]
    out = [tuple(span) for span in objects]
    for a, b in names:
        if any(s < b and a < e for s, e in quoted_ranges(text)) or \
                any(s < b and a < e and not only_colours((s, e)) for s, e in background):
            continue
        if any(s < a and b <= e for s, e in out):  # inside a phrase with words before it: whole already
            continue
        overlapping = [(s, e) for s, e in out if s < b and a < e]
        start, end = min([a] + [s for s, _ in overlapping]), max([b] + [e for _, e in overlapping])
        out = [span for span in out if span not in overlapping]
        for word in reversed(list(_WORDS.finditer(text[:start]))):
            phrase = next((span for span in out if span[0] < word.end() and word.start() < span[1]), None)
            if phrase is not None:  # the start of an object phrase this name ends: taken in whole
                if text[phrase[1]:start].strip():
                    break
                out.remove(phrase)
                start = phrase[0]
                break
            ground = next((span for span in background if span[0] < word.end() and word.start() < span[1]), None)
            if ground is not None and not only_colours(ground):
                break
            if word.group().lower() in _BETWEEN_PHRASES or not word.group()[0].isalnum():
                break
            if ground is not None:
                background.remove(ground)
            start = word.start()
        out.append((start, end))
    return background, sorted(out)


def _only_colours(text: str, span: tuple[int, int], colour_words, besides=("a", "an", "the")) -> bool:
    """Whether the words of `span` are colour names (`colour_words`, from colour_spans) and words in `besides`
    (articles) alone."""
    words = [m.span() for m in re.finditer(r"[\w'-]+", text[span[0]:span[1]])]
    return all(any(s <= span[0] + wa and span[0] + wb <= e for s, e, _ in colour_words) or
               text[span[0] + wa:span[0] + wb].lower() in besides for wa, wb in words)


def _colours_before_an_effect(text: str, span: tuple[int, int], colour_words) -> tuple[int, int]:
    """A phrase of colours said after 'on', 'over' or 'against' and an effect after them ('... on white with a drop
    shadow', read as one more object): the colours alone, which are the background (the effect is no object)."""
    said = re.search(r"\s+with\s+(?:an?\s+)?(?:[\w-]+\s+){0,2}([\w-]+)\s*$", text[span[0]:span[1]], re.IGNORECASE)
    if said is None or said.group(1).lower() not in EFFECT_WORDS or \
            not re.search(r"\b(?:on|over|against)\s+$", text[:span[0]], re.IGNORECASE):
        return span
    colours = (span[0], span[0] + said.start())
    return colours if _only_colours(text, colours, colour_words) else span


TIMES_OF_DAY = ("night", "nighttime", "sunset", "sunrise", "dawn", "dusk", "twilight", "midnight", "daybreak",
                "nightfall")
_AT_TIME = re.compile(rf"\s(?:at|by)\s+((?:the\s+)?(?:{'|'.join(TIMES_OF_DAY)}))\b", re.IGNORECASE)


def tidy_cut(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]]
             ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(background, objects) with what no phrase can be taken off: words between phrases or of the request at a
    phrase's ends ("the word 'SALE' in white next" before 'to a red tag'; 'is navy' in 'The background is navy'),
    phrases of articles alone ('a' for 'a cat'), and a phrase of colour names alone, which is the background
    where no other phrase is ('... and a blue moon on white' read 'white' as a third object: trained also on
    prompts naming no background, the planner took 'on white' after two objects for one, 'on navy' not). Where no
    background is found still, it is looked for where the last object ran on ('... a blue moon on white'), in a
    place the objects are in or on ('over a navy sky', 'in the sky'), in colours after 'on' that no phrase holds
    ('a star on white, make it pop') and in a colour the prompt opens on ('On white, ...'). What is said of an
    object after a comma or with 'in' is its ('a red star, glowing,', 'a star in gold'), and so is the count before
    it ('three stars', 'a pair of shoes'); an effect said with 'with' is no object ('... on white with a glow'), nor
    are what the design is and is for ('Instagram post for a coffee shop. ...'), a place alone ('across the
    middle'), a thing named again ('below the tree') or words about the look ('Warm, cosy feel.'). Things run
    together are cut apart ('red star blue moon white background'), and a shape or icon left out of every phrase
    between joining words is an object ('a music note and headphones on purple')."""
    def trim(spans):
        out = []
        for a, b in spans:
            words = list(_WORDS.finditer(text, a, b))
            while words and (words[0].group().lower() in _NOT_IN_PHRASES or words[0].group() in _DASHES):
                words.pop(0)
            while words and (words[-1].group().lower() in _NOT_IN_PHRASES or words[-1].group() in _DASHES):
                words.pop()
            if any(w.group().lower() not in ("a", "an", "the") and any(c.isalnum() for c in w.group())
                   for w in words):
                out.append((words[0].start(), words[-1].end()))
        return out

    colour_words = colour_spans(text)
    background, trimmed = _rejoin(text, trim(background), trim(objects), colour_words)
    background, trimmed = _measured(text, trim(background), _possessives(text, trim(trimmed)))
    # '... on sky blue with soft shadows' read 'soft shadows' as the background: an effect is no background
    background = [b for b in background if not AN_EFFECT.fullmatch(text[b[0]:b[1]])]
    lettering = [b for b in background if not _blanked(text, b, quoted_ranges(text)).strip(" ,.;:!?")]
    if lettering:  # words in quotes are drawn, never the background ("'Happy Halloween', bats and a ghost")
        background, trimmed = [b for b in background if b not in lettering], sorted(trimmed + lettering)
    trimmed = _with_the_thing_after(text, background, trimmed)
    background, trimmed = _things_before_the_background(text, background, trimmed, colour_words)
    trimmed = _names_left_out(text, background, trimmed, colour_words)
    trimmed = _counted(text, background, _said_after(text, background, _split_run_together(text, trimmed, colour_words),
                                                     colour_words))
    background, trimmed = _coloured_in(text, background, trimmed, colour_words)
    trimmed = [_colours_before_an_effect(text, span, colour_words) for span in trimmed]
    bare = [span for span in trimmed if _only_colours(text, span, colour_words)]
    if bare and not background:
        background = [bare[-1]]
    trimmed = [_lettering_named(text, span, trimmed) for span in trimmed if span not in bare]
    trimmed = [span for span in trimmed if not _no_object(text, span, trimmed)]
    if not background and trimmed:  # 'a red star & a blue moon on white': the last object ran on into it
        a, b = trimmed[-1]  # ... or on into a place: 'a house with a roof and a chimney on green grass'
        tail = re.search(r"\s(?:on|over|against|in)\s+(\S.*)$", text[a:b], re.IGNORECASE)
        if tail and not any(s < b and a + tail.start(1) < e for s, e in quoted_ranges(text)) and (
                (tail.group(0).lstrip()[:2].lower() != "in" and any(a + tail.start(1) <= s for s, _, _ in colour_words if s < b)
                 and _only_colours(text, (a + tail.start(1), b), colour_words))
                or _only_a_place(text, (a + tail.start(1), b), colour_words)):
            background, trimmed = [(a + tail.start(1), b)], trimmed[:-1] + [(a, a + tail.start())]
    if not background:  # 'over a navy sky', 'On white, a red star ...': a place the objects are on
        scene = [span for span in trimmed if re.search(rf"\b(on|over|against|in|across|by|under|at|in front of|behind)\s+((a|an|the)\s+)?"
                                                       rf"{re.escape(text[span[0]:span[1]])}", text, re.IGNORECASE)
                 and _PLACE_NOUNS & set(re.findall(r"[a-z]+", text[span[0]:span[1]].lower()))]
        opening = re.match(r"\s*(?:on|over|against)\s+", text, re.IGNORECASE)
        if scene:
            background, trimmed = [scene[-1]], [span for span in trimmed if span != scene[-1]]
        elif (said := _colours_outside(text, trimmed, colour_words)) is not None:  # 'a star on white, make it pop'
            background = [said]
        elif opening:
            first = next((c for c in colour_words if c[0] == opening.end()), None)
            if first is not None and not any(a <= first[0] < b for a, b in trimmed):
                background = [(opening.end(), first[1])]
        # said first: 'blue background, white snowflake', 'background color: teal, a white anchor'
        stated = _BACKGROUND_FIRST.match(text)
        if stated and not background:
            span = stated.span(1) if stated.group(1) else stated.span(2)
            if any(span[0] <= c[0] < span[1] for c in colour_words) or names_pattern(text[span[0]:span[1]]):
                background = [span]
                trimmed = [t for t in trimmed if not (t[0] < span[1] and span[0] < t[1])]
        place = re.match(r"\s*(?:on|in|at|over|against)\s+((?:(?:the|a|an)\s+)?([\w'-]+))\s*[:,]", text, re.IGNORECASE)
        if not background and place and place.group(2).lower() in _PLACE_NOUNS:  # 'On the beach: a palm tree, ...'
            background = [place.span(1)]
            trimmed = [span for span in trimmed if not (span[0] < place.end(1) and place.start(1) < span[1])]
    if not background:  # a place named as if a thing, before what is in it: 'Misty forest with an owl'
        background, trimmed = _place_said_as_a_thing(text, trimmed)
    if background:  # the time of day or weather said just before it: 'Night sky' was cut to 'sky'
        a, b = background[0]
        said = re.search(r"\b(night|morning|evening|winter|summer|autumn|spring|starry|misty|foggy|stormy|sunny|"
                         r"cloudy|snowy|rainy)\s+$", text[:a], re.IGNORECASE)
        if said and not any(o[0] < a and said.start(1) < o[1] for o in trimmed):
            background = [(said.start(1), b)] + background[1:]
    background, trimmed = _pattern_said_whole(text, background, trimmed, colour_words)
    # a name said as whose is no background ("Valentine's day card with a big heart": 'Valentine')
    background = [span for span in background if not re.match(r"['’]s\b", text[span[1]:])]
    # and a thing cut after its owner's name is whole again ("grandma's blue sofa" had been 's blue sofa')
    owned = [re.search(r"[\w-]+['’]$", text[:a]) if re.match(r"s\b", text[a:b]) else None for a, b in trimmed]
    trimmed = [(m.start(), b) if m else (a, b) for m, (a, b) in zip(owned, trimmed)]
    background, trimmed = _not_asked_for(text, background, trimmed)
    return _at_a_time(text, *_last_fixes(text, background, trimmed, colour_words))


def _at_a_time(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]]
               ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """A time of day the scene is at ('a wolf howling at night', 'a lighthouse at sunset') is its background where
    no other is said, and no object: the planner ran the object on into it, left it out of every phrase, or took it
    for a thing ('a red star at dawn on white')."""
    when = _AT_TIME.search(_blanked(text, (0, len(text)), quoted_ranges(text)))
    if when is None:
        return background, objects
    objects = [span for span in objects if span != when.span(1)]
    held = [span for span in objects if span[0] <= when.start() < span[1]]
    if held and held[0][1] > when.end() + 1:  # (said further on: 'at night in a forest' ...)
        return background, objects
    objects = [(a, when.start()) if (a, b) in held else (a, b) for a, b in objects]
    return background or [when.span(1)], objects


# Words a background's pattern or gradient is said in, beside its colours ('vertical stripes of navy and white',
# 'big blue dots on yellow', 'a radial gradient from yellow to red', 'checkerboard red and black')
_PATTERN_NAMES = re.compile(r"%s|\b(?:gradient|radial|ombre|vertical|horizontal|diagonal)\b" % PATTERN_WORDS.pattern)
_PATTERN_SAYING = {"thin", "thick", "wide", "broad", "bold", "narrow", "big", "small", "tiny", "large", "background",
                   "pattern", "soft", "and", "of", "in", "to", "from", "on", "a", "an", "the"}
_PATTERN_PHRASE = re.compile(r"\b(?:stripes|striped|dots|dotted|spots|spotted|checks|checked|checkered|chequered|"
                             r"checkerboard|gingham|chevrons|zigzags|pattern|patterned|background|backdrop)\b")
_PATTERN_JOINS = {"and", "of", "in", "to", "from", "on", "a", "an", "the"}


def _pattern_said_whole(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]],
                        colour_words) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """A background naming a pattern or gradient with the words around it that say its colours and kind, which no
    phrase held: 'dotted background in green' was cut to 'dotted background', 'vertical stripes of navy and white'
    lost 'and white', 'diagonal blue and yellow stripes' its direction, 'from yellow to red' its 'to red'; and a
    phrase of pattern words and colours alone is the background's ('checkerboard red' was an object)."""
    def coloured(word):
        return any(a <= word.start() < b for a, b, _ in colour_words)

    def sayable(word):
        lower = word.group().lower()
        return coloured(word) or lower in _PATTERN_SAYING or _PATTERN_NAMES.fullmatch(lower)

    def saying(words):  # a colour or the pattern's own word among them
        return any(coloured(w) or _PATTERN_NAMES.fullmatch(w.group().lower()) for w in words)

    moved = [span for span in objects if _PATTERN_PHRASE.search(text[span[0]:span[1]].lower()) and
             all(sayable(w) for w in _WORDS.finditer(text, *span))]  # not 'a red dot', 'a chevron': things
    background, objects = sorted(background + moved), [span for span in objects if span not in moved]
    words = list(_WORDS.finditer(text))

    def taken(nearest_first, patterned):
        """The words no phrase holds said of the pattern, nearest first; a plain background takes them only where
        they name the pattern."""
        run = []
        for w in nearest_first:
            if any(s <= w.start() < e for s, e in objects) or not sayable(w):
                break
            run.append(w)
        while run and run[-1].group().lower() in _PATTERN_JOINS:
            run.pop()
        named = any(_PATTERN_NAMES.fullmatch(w.group().lower()) for w in run)
        return run if saying(run) and (patterned or named) else []

    out = []
    for a, b in background:
        patterned = _PATTERN_NAMES.search(text[a:b].lower()) is not None
        after = taken([w for w in words if w.start() >= b], patterned)
        before = taken([w for w in reversed(words) if w.end() <= a], patterned)
        out.append((before[-1].start() if before else a, after[-1].end() if after else b))
    merged = []
    for a, b in sorted(out):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged, objects


_NEGATION = re.compile(r"(?:^|\s)(?:no|without|not|minus|except)\s+(?:any\s+|an?\s+|the\s+)?$", re.IGNORECASE)
_NEGATION_INSIDE = re.compile(r"\s*[,;]?\s+(?:but\s+)?(?:no|without|not)\b", re.IGNORECASE)


def _not_asked_for(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]]
                   ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """What the prompt says is not to be drawn is no piece: 'a cat and a dog, no text', 'a blue circle without a
    shadow', 'no words, just a rainbow', 'a tree, no leaves', 'a cat but not black' (each was a layer or the
    background of its own). Lettering in quotes is drawn whatever surrounds it ('NO PARKING')."""
    quoted = quoted_ranges(text)

    def kept(span):
        if any(a <= span[0] < b for a, b in quoted):
            return span
        if _NEGATION.search(text[:span[0]]) or re.match(r"(?:no|without|not)\s", text[span[0]:span[1]], re.IGNORECASE):
            return None  # (not 'no-bake cheesecake')
        inside = _NEGATION_INSIDE.search(text, span[0], span[1])
        if not inside or inside.start() <= span[0]:
            return span
        head = re.sub(r"(?:\s+(?:with|and|or|but|minus|just))+\s*$", "", text[span[0]:inside.start()], flags=re.IGNORECASE)
        return (span[0], span[0] + len(head)) if head.strip() else None  # 'a field with no trees': 'a field'

    return ([k for k in map(kept, background) if k is not None], [k for k in map(kept, objects) if k is not None])


_BACKGROUND_FIRST = re.compile(r"\s*(?:(?:the|a|an)\s+)?(?:background(?:\s+colou?r)?\s*(?:is|:|-|=)\s*([^,.;:]+?)|"
                               r"([^,.;:]*?\b(?:background|backdrop)))\s*[,.;]", re.IGNORECASE)


_MEASURE = re.compile(r"\b(?:(?:a|an|one|\d+|%s)\s+)?(?:cup|mug|glass|jar|bottle|plate|bowl|slice|piece|bag|box|can|"
                      r"tin|basket|pot|vase|bucket|carton|pack|packet|tub|scoop|loaf|bouquet)s?\s+of\s+" % "|".join(COUNTS),
                      re.IGNORECASE)


def _measured(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]]
              ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(background, objects) with what a container holds one object with it: 'a mug of hot chocolate' was a mug on
    a background of hot chocolate, 'a jar of honey' nothing, 'a glass of milk' a glass. The thing held is the words
    up to the next word between phrases ('a mug of hot chocolate on a table'); pieces it overlaps join it."""
    quoted = quoted_ranges(text)
    for m in _MEASURE.finditer(text):
        what = re.match(r"[\w'-]+(?:\s+(?!(?:%s)\b)[\w'-]+)*" % _BETWEEN_ALTERNATIVES, text[m.end():], re.IGNORECASE)
        if what is None or any(a <= m.start() < b for a, b in quoted):
            continue
        start, end = m.start(), m.end() + what.end()
        joined = [o for o in objects if o[0] < end and start < o[1]]
        span = (min([start] + [a for a, _ in joined]), max([end] + [b for _, b in joined]))
        objects = sorted([o for o in objects if o not in joined] + [span])
        background = [(max(a, span[1]), b) for a, b in background
                      if not (a < span[1] and span[0] < b) or (b > span[1] and text[span[1]:b].strip())]
    return background, objects


def _possessives(text: str, objects: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Objects cut at a possessive joined again: "a teacher's apple" was 'a teacher'' and 'apple'."""
    out: list[tuple[int, int]] = []
    for span in sorted(objects):
        gap = text[out[-1][1]:span[0]] if out else ""
        if out and (re.search(r"['’]s?$", text[out[-1][0]:out[-1][1]]) and re.fullmatch(r"s?\s+", gap)
                    or re.fullmatch(r"['’]s\s+", gap)):
            out[-1] = (out[-1][0], span[1])
        else:
            out.append(span)
    return out


def _lettering_named(text: str, span: tuple[int, int], objects: list[tuple[int, int]]) -> tuple[int, int]:
    """Of a piece naming the design, the words it names to letter ("'Summer Sale' banner" before 'with a sun')."""
    quoted = quoted_ranges(text[span[0]:span[1]])
    return (span[0], span[0] + quoted[-1][1]) if quoted and _design_name(text, span, objects) else span


_TONE = {"and", "or", "&", "bright", "vivid", "rich", "shiny", "metallic", "glossy", "matte", "soft", "warm", "cool",
         "neon", "pastel"}


def _coloured_in(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]], colour_words
                 ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(background, objects) with colours said with 'in' after an object joined to it: 'a smiley face in bright
    yellow' was a smiley face on yellow, 'a star in gold and red' a star and an object 'gold and red', and 'a
    christmas ornament in gold and red' lost its red to the background."""
    def colours_alone(span):  # 'gold and red', 'bright yellow'
        return any(span[0] <= a < span[1] for a, _, _ in colour_words) and \
            _only_colours(text, span, colour_words, _TONE)

    for piece in sorted(objects + background):
        if not colours_alone(piece):
            continue
        start = min([piece[0]] + [a for a, b, _ in colour_words if a < piece[0] < b])  # 'bright' of 'bright yellow'
        before = max((o for o in objects if o[1] <= start), default=None, key=lambda o: o[1])
        if before is None:
            continue
        gap = text[before[1]:start]
        if re.fullmatch(r"(?:\s+in|\s*,)\s+(?:(?:%s)\s+)*" % "|".join(_TONE - {"&"}), gap, re.IGNORECASE) or (
                re.fullmatch(r"\s*(?:,|and|or|&)\s*", gap, re.IGNORECASE) and
                re.search(r"\sin\s+[^,;:.]+$", text[before[0]:before[1]], re.IGNORECASE) and
                colours_alone((before[0] + re.search(r"\sin\s+([^,;:.]+)$", text[before[0]:before[1]],
                                                     re.IGNORECASE).start(1), before[1]))):
            objects = [(before[0], piece[1]) if o == before else o for o in objects if o != piece]
            background = [b for b in background if b != piece]
    return background, objects


def _only_a_place(text: str, span: tuple[int, int], colour_words) -> bool:
    """Whether the words in `span` name a place (_PLACE_NOUNS) and nothing else but colours: 'green grass', 'the sky'."""
    words = re.findall(r"[\w'-]+", _blanked(text, span, [c[:2] for c in colour_words]).lower())
    nouns = [w for w in words if w not in ("a", "an", "the")]
    return bool(nouns) and set(nouns) <= _PLACE_NOUNS


_COUNT_WORDS = re.compile(r"\b(?:%s|\d+|a (?:set|row|stack|bunch|cup|mug|glass|jar|bottle|plate|bowl|slice|piece) of|"
                          r"some|several|many)\s+"
                          % "|".join(COUNTS), re.IGNORECASE)  # counts, and measures ('a cup of coffee')


def _counted(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Objects with the count or measure before them ('two stars', 'a pair of blue shoes', 'a cup of coffee'): the
    planner never learnt counts, and cut 'stars' alone, 'a pair' + 'blue shoes', or nothing of 'three stars'. Where
    no phrase follows the count, the words up to the next word between phrases are one if they name a thing."""
    out = list(objects)
    for count in _COUNT_WORDS.finditer(text):
        start, end = count.span()
        if any(a < start < b for a, b in out + background):  # inside a phrase already: 'the word '2 FOR 1''
            continue
        after = next((span for span in out if span[0] <= end < span[1] or span[0] == end), None)
        if after is None and not any(a < end + 1 and end < b for a, b in background):
            words = re.match(r"[\w'-]+(?:\s+(?!(?:%s)\b)[\w'-]+)*" % _BETWEEN_ALTERNATIVES, text[end:], re.IGNORECASE)
            if words and named_object(words.group()):
                after = (end, end + words.end())
        if after is None:
            continue
        out = [span for span in out if not (start <= span[0] and span[1] <= end) and span != after]
        out.append((start, after[1]))
    return sorted(out)


_COLOUR_VARIETY = {"different", "various", "assorted", "mixed", "random", "matching", "many", "pastel", "bright", "bold",
                   "muted", "warm", "cool", "soft", "vivid", "neon", "rainbow", "colours", "colors", "shades", "tones",
                   "hues", "all", "in", "of"}  # 'four hearts in different colours', 'all in pastel colours'


def _place_said_as_a_thing(text: str, objects: list[tuple[int, int]]
                           ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(background, objects): the first object phrase that names a place ('Misty forest with an owl', 'a snowy
    night') as the background, where another object is left; ([], objects) where none does."""
    placed = [span for span in objects if ((_PLACE_NOUNS - {"day", "night", "board"}) &
                                           set(re.findall(r"[a-z]+", text[span[0]:span[1]].lower()))
                                           or re.search(r"\b(?:starry|stormy|winter|summer|rainy|snowy|dark)\s+"
                                                        r"(?:night|day)\b", text[span[0]:span[1]], re.IGNORECASE))
              and named_object(text[span[0]:span[1]]) is None and not quoted_ranges(text[span[0]:span[1]])
              and "'" not in text[span[0]:span[1]]]  # ('movie night', "Patrick's Day" are no places)
    if placed and len(objects) > 1:
        return placed[:1], [span for span in objects if span != placed[0]]
    return [], objects


def _last_fixes(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]], colour_words
                ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """From a helper's review of everyday prompts: an object piece that says 'background' is the background ('...
    all on a soft beige background that feels warm'; colours taken for one before go back to the object they
    followed: 'leaves in orange and red'); colours said with 'in' after a background are its ('stripes in red and
    white'); what a design is, is no object, what it shows is ('a sticker of a happy avocado', 'a Christmas card
    with a snowman', 'a logo for my dentist office'); a list after a comma is cut apart ("'Hi' in gold, three
    balloons"); a known thing said with 'with', or lettering with 'saying', is an object of its own ("'Happy New
    Year' in gold with fireworks", "a ghost saying 'BOO!'"), joined again where boxes are too few (`join_parts`)."""
    quoted = quoted_ranges(text)
    said_background = [span for span in objects
                       if re.search(r"\b(background|backdrop)\b", _blanked(text, span, quoted), re.IGNORECASE)]
    if said_background:
        span = said_background[-1]
        objects = [o for o in objects if o != span]
        for a, b in background:  # the colours taken for the background before: back to the object they followed
            before = max((o for o in objects if o[1] <= a), default=None, key=lambda o: o[1])
            if before and _colour_list(text, (a, b), colour_words) and \
                    re.fullmatch(r"\s*(?:,|and|or|&)\s*", text[before[1]:a], re.IGNORECASE):
                objects = [(before[0], b) if o == before else o for o in objects]
        background = [span]
    if background:  # 'horizontal stripes in red and white'
        a, b = background[-1]
        after = next((o for o in objects if re.fullmatch(r"\s+in\s+", text[b:o[0]], re.IGNORECASE)), None)
        if after and _colour_list(text, after, colour_words):
            background = background[:-1] + [(a, after[1])]
            objects = [o for o in objects if o != after]
    if background:  # 'red and white striped background': the first colours of a list before it are its too
        a, b = background[0]
        first = next((c[1] for c in colour_words if c[0] == a), None)
        listed = re.search(r"((?:\b[\w -]+?\s*,\s*)*\b[\w -]+?\s+(?:and|&)\s+)$", text[:a])
        start = listed and first and next((c[0] for c in colour_words if listed.start(1) <= c[0] < a and
                                           _colour_list(text, (c[0], first), colour_words)), None)
        if start is not None and not any(o[0] < a and start < o[1] for o in objects + background[1:]):
            background = [(start, b)] + background[1:]
    if background:  # 'a price tag, white and red stripes background': a pattern's first colour cut onto the thing
        a, b = background[0]
        before = max((o for o in objects if o[1] <= a), default=None, key=lambda o: o[1])
        said = [c for c in colour_words if a <= c[0] < b]
        tail = before and next((c for c in colour_words if c[1] == before[1] and before[0] < c[0]), None)
        comma = tail and re.search(r"\s*,\s*$", text[before[0]:tail[0]])
        if comma and len(said) == 1 and names_pattern(text[a:b]) and \
                re.fullmatch(r"\s+(?:and|&)\s+", text[before[1]:a], re.IGNORECASE):
            objects = [(before[0], before[0] + comma.start()) if o == before else o for o in objects]
            background = [(tail[0], b)] + background[1:]
    if background and named_object(text[background[-1][0]:background[-1][1]]) and \
            not draws_as_background(text[background[-1][0]:background[-1][1]]):  # 'a bee on a sunflower'
        thing, background = background[-1], background[:-1]
        if not _design_name(text, thing, objects):  # ('a coffee shop logo with a brown cup' names the design)
            objects = sorted(objects + [thing])
        if not background:  # a thing taken for the background ('a christmas tree'): a place said as a thing is it
            background, objects = _place_said_as_a_thing(text, objects)
    out = []
    for span in objects:
        for listed in _listed(text, span, quoted):
            for piece in _what_the_design_shows(text, listed, quoted):
                out += [part for said in _things_said_with(text, piece, quoted)
                        for around in _things_around(text, said, quoted)
                        for part in _lettering_apart(text, around, quoted)]
    out = _sizes_before(text, out)
    whole = re.match(r"\s*(.*?)[\s.!?]*$", text, re.DOTALL)
    if not out and not background and len(text.split()) <= 6 and named_object(whole.group(1)) and \
            not _no_object(text, whole.span(1), []):  # 'a heart emoji': the planner found nothing in a few words
        out = [whole.span(1)]
    return background, out


def _sizes_before(text: str, objects: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Object pieces of size and look words alone ('Big' of "Big bold 'SALE'") joined to the phrase right after them:
    as an object of their own they took a box, and 'SALE' lost its one."""
    out = []
    for span in sorted(objects):
        words = re.findall(r"[\w'-]+", text[span[0]:span[1]].lower())
        if out and out[-1][2] and not re.search(r"[,;:.!?&]|\band\b|\bor\b", text[out[-1][1]:span[0]],
                                                re.IGNORECASE) and \
                set(re.findall(r"[\w'-]+", text[out[-1][1]:span[0]].lower())) <= LOOK_WORDS:
            out[-1] = (out[-1][0], span[1], False)
            continue
        sized = bool(words) and all(_BIG.fullmatch(w) or _SMALL.fullmatch(w) or w in LOOK_WORDS for w in words) and \
            any(_BIG.fullmatch(w) or _SMALL.fullmatch(w) for w in words)
        out.append((span[0], span[1], sized))
    return [(a, b) for a, b, _ in out]


def _things_around(text: str, span: tuple[int, int], quoted) -> list[tuple[int, int]]:
    """The span cut where a thing is said to be between or inside known things: 'a lamp between a sofa and a chair'
    -> 'a lamp', 'a sofa', 'a chair'; 'a fish inside a bowl' -> 'a fish', 'a bowl' (`enclosing_places` reads where
    each goes)."""
    piece = _blanked(text, span, quoted)
    said = re.search(r"\s+(?:(?:is|sits|sitting|placed|standing|floating)\s+)?(?:(%s)|%s)\s+" % (_BETWEEN, _INSIDE), piece,
                     re.IGNORECASE)
    if said is None:
        return [span]
    before, rest = (span[0], span[0] + said.start()), (span[0] + said.end(), span[1])
    if not (quoted_ranges(text[before[0]:before[1]]) or named_object(text[before[0]:before[1]])) or \
            not named_object(text[rest[0]:rest[1]]):
        return [span]
    pair = _AND.search(piece, said.end()) if said.group(1) else None
    if pair and named_object(text[rest[0]:span[0] + pair.start()]) and named_object(text[span[0] + pair.end():span[1]]):
        return [before, (rest[0], span[0] + pair.start()), (span[0] + pair.end(), span[1])]
    return [before, rest]


def _colour_list(text: str, span: tuple[int, int], colour_words) -> bool:
    """Whether `span` holds colour names alone, joined by 'and' or commas ('red and white')."""
    parts = re.split(r"\s*(?:,|\band\b|\bor\b|&)\s*", text[span[0]:span[1]], flags=re.IGNORECASE)
    return all(p.strip() for p in parts) and all(
        any(s <= span[0] + m.start() and span[0] + m.end() <= e for s, e, _ in colour_words)
        or m.group().lower() in ("a", "an", "the", "and", "or")
        for m in re.finditer(r"[\w'-]+", text[span[0]:span[1]]))


def _blanked(text: str, span: tuple[int, int], ranges) -> str:
    """The span's text with the character ranges given (quoted words, colour names) blanked."""
    chars = list(text[span[0]:span[1]])
    for a, b in ranges:
        for i in range(max(a, span[0]), min(b, span[1])):
            chars[i - span[0]] = " "
    return "".join(chars)


def _listed(text: str, span: tuple[int, int], quoted) -> list[tuple[int, int]]:
    """The span cut at commas outside quotes that a count, an article or a known thing's name follows ("'Hi' in
    gold, three balloons", 'a black microphone, headphones': one layer, drawn twice, had been both)."""
    commas = [m for m in re.finditer(r"\s*,\s*(?=\w)", text[span[0]:span[1]])
              if not any(q0 <= span[0] + m.start() < q1 for q0, q1 in quoted)]
    named = {a for a, _ in name_spans(text)} if commas else set()  # (looked for only where a comma is)
    cuts = [m for m in commas
            if re.match(r"(?:a|an|the|%s|\d+)\s" % "|".join(COUNTS), text[span[0] + m.end():], re.IGNORECASE)
            or span[0] + m.end() in named]
    pieces, start = [], span[0]
    for m in cuts:
        pieces.append((start, span[0] + m.start()))
        start = span[0] + m.end()
    return [p for p in pieces + [(start, span[1])] if text[p[0]:p[1]].strip()]


_DESIGN_WRAP = re.compile(r"\b(?:%s)s?\s+(with|of|showing|featuring|for)\s+" % "|".join(sorted(DESIGN_NOUNS)),
                          re.IGNORECASE)


def _what_the_design_shows(text: str, span: tuple[int, int], quoted) -> list[tuple[int, int]]:
    """The parts of an object piece the design shows, where the piece names the design: 'a sticker of a happy
    avocado' -> 'a happy avocado', 'a card for mum with a red heart' -> 'a red heart', and words it names to letter
    ("'Summer Sale' banner with a sun" -> "'Summer Sale'", 'a sun'); none for the design alone ('a logo for my
    dentist office'; 'a sticker' before 'of ...'; 'a poster that reads' before the words)."""
    piece = _blanked(text, span, quoted)
    wrap = _DESIGN_WRAP.search(piece)
    if wrap is None or named_object(piece[:wrap.start()]) is not None:
        words = re.findall(r"[\w'-]+", re.sub(r"\s+(?:(?:that|which)\s+)?(?:reads|says|saying|reading)\s*$", "", piece).lower())
        alone = words and words[-1] in DESIGN_NOUNS and named_object(piece) is None and not quoted_ranges(
            text[span[0]:span[1]]) and re.match(r"\s*(of|with|for|showing|featuring|['\"‘“])", text[span[1]:], re.IGNORECASE)
        return [] if alone else [span]
    lettered = [q for q in quoted if span[0] <= q[0] and q[1] <= span[0] + wrap.start()]
    said = [(span[0], lettered[-1][1])] if lettered else []
    if wrap.group(1).lower() == "for":
        shows = re.search(r"(?:^|\s+)with\s+", piece[wrap.end():], re.IGNORECASE)
        until = span[0] + wrap.end() + (shows.start() if shows else len(piece) - wrap.end())
        named = [q for q in quoted if span[0] + wrap.start() <= q[0] and q[1] <= until]  # "logo for 'Bella's Bakery'"
        said += named[-1:]
        return said if shows is None else said + [(span[0] + wrap.end() + shows.end(), span[1])]
    return said + [(span[0] + wrap.end(), span[1])]


def _lettering_apart(text: str, span: tuple[int, int], quoted) -> list[tuple[int, int]]:
    """The span cut after words to letter that a known thing follows ("'Happy Birthday Emma!' pink balloons" ->
    the words, 'pink balloons'; "'Happy Easter' bunny"); not before a design noun, colours or an effect ("'SALE'
    sign", "'HI' in gold")."""
    inside = [q for q in quoted if span[0] <= q[0] and q[1] <= span[1]]
    if not inside:
        return [span]
    end = inside[-1][1]
    rest = re.match(r"[\s,;:!.-]*", text[end:span[1]])
    start = end + rest.end()
    after = text[start:span[1]]
    if not after or not _blanked(text, (span[0], inside[0][0]), ()).strip(" ").lower() in ("", "the", "a") and \
            not re.fullmatch(r"(?:the\s+)?(?:words?|text)\s*", text[span[0]:inside[0][0]], re.IGNORECASE):
        return [span]
    first = re.match(r"[\w'-]+", after)
    if first is None or first.group().lower() in DESIGN_NOUNS | {"in", "with", "on", "and", "written", "lettered",
                                                                   "printed", "saying", "across", "at", "for"} or \
            named_object(after) is None or set(re.findall(r"[a-z]+", after.lower())) & EFFECT_WORDS:
        return [span]
    return [(span[0], end), (start, span[1])]


def _things_said_with(text: str, span: tuple[int, int], quoted) -> list[tuple[int, int]]:
    """The span cut before a known thing said with 'with', or lettering with 'saying', where what comes before is
    a thing or lettering itself; effects stay ('a star with a drop shadow')."""
    piece = _blanked(text, span, quoted)
    for m in re.finditer(r"\s+(with|saying|%s)\s" % _HAVING, text[span[0]:span[1]], re.IGNORECASE):
        if any(q0 <= span[0] + m.start(1) < q1 for q0, q1 in quoted):
            continue
        start = span[0] + m.end()
        start += len(text[start:span[1]]) - len(text[start:span[1]].lstrip())
        before, rest = (span[0], span[0] + m.start()), (start, span[1])
        first = text[before[0]:before[1]]
        if not (quoted_ranges(first) or named_object(first)):
            continue
        lettering = not re.sub(r"\b(?:the|a|an|words?|text)\b", "", _blanked(text, before, quoted)).strip()
        more_lettering = bool(quoted_ranges(text[rest[0]:rest[1]])) and not re.sub(  # "'SALE' text with '50% off'"
            r"\b(?:the|a|an|words?|text)\b", "", _blanked(text, rest, quoted)).strip(" .,;!")
        if m.group(1).lower() != "saying" and (named_object(text[rest[0]:rest[1]]) or lettering or more_lettering) and \
                not set(re.findall(r"[a-z]+", piece[m.end():].lower())) & EFFECT_WORDS:
            if not quoted_ranges(first) and re.search(r"\b(?:%s)s?\s*$" % "|".join(DESIGN_NOUNS), first, re.IGNORECASE):
                return _things_said_with(text, rest, quoted)  # 'ice cream shop logo with a cone': the design
            return [before] + _things_said_with(text, rest, quoted)
        if m.group(1).lower() == "saying" and quoted_ranges(text[rest[0]:rest[1]]):
            return [before, rest]
    return [span]


def _referred_to(text: str, span: tuple[int, int], objects: list[tuple[int, int]]) -> int | None:
    """The index of the earlier object that 'the X' names again ('a bird above a tree and a dog below the tree'),
    or None."""
    named = re.findall(r"[\w'-]+", text[span[0]:span[1]].lower())
    if not named or named[0] != "the" or len(named) < 2 or quoted_ranges(text[span[0]:span[1]]):
        return None
    for k, (a, b) in enumerate(objects):  # every word of it in the earlier one, which ends in the same thing
        words = re.findall(r"[\w'-]+", text[a:b].lower())
        if b <= span[0] and words and words[0] in ("a", "an") and words[-1] == named[-1] and set(named[1:]) <= set(words):
            return k
    return None


# whose a design is, not what it shows ('a pet store logo')
BUSINESSES = {"shop", "store", "cafe", "café", "restaurant", "bakery", "company", "brand", "studio", "business", "bar",
              "pub", "hotel", "salon", "gym", "agency", "startup", "firm", "clinic", "boutique", "market", "club",
              "team", "band", "podcast", "channel", "school", "shirt", "t-shirt", "tshirt", "mug", "tote"}


def _design_name(text: str, span: tuple[int, int], objects: list[tuple[int, int]]) -> bool:
    """Whether an object piece names the design or what it is for, not a thing in it: a design noun followed by
    'for', 'with', a colon or a stop, before other objects ('Merry Christmas card with a green tree, ...'), or the
    words after such a noun's 'for' ('logo for a bakery with ...')."""
    if not any(a > span[1] for a, _ in objects):
        return False
    named = re.match(r"([\w' -]*?)\s*(?:for\b|with\b|[:.;!?])", text[span[1]:], re.IGNORECASE)  # 'Social' media banner for
    words = re.findall(r"[\w'-]+", (text[span[0]:span[1]] + " " + named.group(1)).lower()) if named else []
    if words and words[-1] in DESIGN_NOUNS:
        shown = re.findall(r"[\w'-]+", _blanked(text, span, quoted_ranges(text)).lower())
        shown = shown[:-1] if shown and shown[-1] in DESIGN_NOUNS else shown
        # 'a green leaf logo for a brand': the logo is a leaf; 'a coffee shop logo with a brown cup': a shop's logo
        return not (shown and named_object(shown[-1]) and shown[-1] not in BUSINESSES)
    purpose = re.search(r"\b([\w'-]+)\s+for\s+(?:(?:a|an|the)\s+)?$", text[:span[0]], re.IGNORECASE)
    shows = re.search(r"\bwith\s+(.*)$", text[span[0]:span[1]], re.IGNORECASE)  # 'for a weather app with a sun'
    return purpose is not None and purpose.group(1).lower() in DESIGN_NOUNS and not (shows and named_object(shows.group(1)))


# how much of something, not what ('with lots of lovely details: a red circle, ...')
_HOW_MUCH = {"lot", "lots", "loads", "plenty", "many", "much", "few", "bunch", "of", "detail", "details", "elements",
             "element", "things", "stuff", "touches", "little", "extra", "extras", "more", "other"}
_SAYING = {"that", "which", "says", "say", "saying", "reads", "read", "written", "titled", "entitled", "called", "named"}  # 'sign that says' before the words
_PLACE_ONLY = _PLACES | _MIDDLE_WORDS | set(_ROW_WORDS) | set(_COLUMN_WORDS) | {"a", "the", "row", "line"}  # 'the middle', 'in a row'
_ABOUT_THE_LOOK = re.compile(r"\b(feel|look|vibe|vibes|style|mood|aesthetic)\s*$", re.IGNORECASE)  # 'Warm, cosy feel.'
_LOOK = re.compile(r"(?:and\s+)?(?:make|keep|have)\s+(?:it|them|everything|the design)\b", re.IGNORECASE)


def _no_object(text: str, span: tuple[int, int], objects: list[tuple[int, int]]) -> bool:
    """Whether an object piece is none: a place alone ('the middle' of 'across the middle'), what the design is
    for ('... for halloween', or before a colon that opens its objects: 'A poster for a summer party: a sun, ...'),
    or words in a sentence about the look ('Make it pop and feel fun.')."""
    words = [w.lower() for w in re.findall(r"[\w'-]+", text[span[0]:span[1]])]
    if words and (all(w in _PLACE_ONLY for w in words) or all(w in _COLOUR_VARIETY for w in words)
                  or all(w in LOOK_WORDS | _HOW_MUCH | _SAYING for w in words) or words[-2:] == ["app", "icon"]):
        return True  # 'calm and minimal', 'lots of details'; (an 'app icon' is the design; 'the green owl icon' an owl)
    if re.search(r"\bfor\s*$", text[:span[0]], re.IGNORECASE) and named_object(text[span[0]:span[1]]) is None and \
            not quoted_ranges(text[span[0]:span[1]]):  # what it is for: '... on orange for halloween'
        return True
    later = [a for a, _ in objects if a > span[1]]
    said = quoted_ranges(text[span[0]:span[1]])  # words to letter are drawn wherever they are said
    if later and ":" in text[span[1]:min(later)] and not said or _referred_to(text, span, objects) is not None or \
            (_design_name(text, span, objects) and not said):
        return True
    sentence_start = max((m.end() for m in re.finditer(r"[.!?;]\s*", text[:span[0]])), default=0)
    stop = re.search(r"[.!?;]", text[span[1]:])
    sentence = text[sentence_start:span[1] + (stop.start() if stop else len(text))]
    about_the_look = (_LOOK.match(text, sentence_start) is not None or _ABOUT_THE_LOOK.search(sentence) is not None
                      or re.match(r"\s+(style|look|feel|vibe)\b", text[span[1]:], re.IGNORECASE))  # 'in retro style'
    # a thing the engine draws stays: 'an anchor and waves on navy, nautical style'
    return bool(about_the_look) and not quoted_ranges(text[span[0]:span[1]]) and \
        named_object(text[span[0]:span[1]]) is None


def _with_the_thing_after(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]]
                          ) -> list[tuple[int, int]]:
    """Object pieces naming nothing taken on over the words after them, outside every phrase, that name the thing
    ('a red' + 'car' in 'a red car a blue truck on grey': the piece was dropped as a bare colour)."""
    out = []
    for k, (a, b) in enumerate(objects):
        upto = min([s for s, _ in objects[k + 1:] + background if s >= b] + [len(text)])
        words = re.match(r"\s+(?!(?:%s)\b)[\w'-]+(?:\s+(?!(?:%s)\b)[\w'-]+)*" % ((_BETWEEN_ALTERNATIVES,) * 2),
                         text[b:upto], re.IGNORECASE)
        if words and not named_object(text[a:b]) and not quoted_ranges(text[a:b]) and \
                named_object(text[a:b + words.end()]):
            b += words.end()
        out.append((a, b))
    return out


_ARTICLES_AND_COUNTS = {"a", "an", "the", "some", "one"} | set(COUNTS)
_JOINING = {"and", "&", "plus", "with", "or", "of"}


def _names_left_out(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]], colour_words
                    ) -> list[tuple[int, int]]:
    """Objects for the shapes and icons named outside every phrase between joining words, with the article, count
    and colours before them: the planner left bare plurals out ('a music note and headphones on purple'). Not a
    name used as a word of a sentence ('a cat and a dog watch the moon')."""
    taken = background + objects + quoted_ranges(text)
    out = list(objects)
    for a, b in name_spans(text):
        if any(s < b and a < e for s, e in taken):
            continue
        after = _WORDS.match(text, b + len(text[b:]) - len(text[b:].lstrip()))
        if after is not None and after.group().lower() in DESIGN_NOUNS and not any(
                s < after.end() and after.start() < e for s, e in taken):
            b = after.end()  # 'pizza logo for ...': the logo is a pizza
        elif after is not None and after.group()[0].isalnum() and after.group().lower() not in _BETWEEN_PHRASES:
            continue
        start = a
        for word in reversed(list(_WORDS.finditer(text[:a]))):
            said = word.group().lower()
            if any(s < word.end() and word.start() < e for s, e in taken):
                break
            if said in _ARTICLES_AND_COUNTS or any(s <= word.start() < e for s, e, _ in colour_words):
                start = word.start()
                continue
            break
        else:
            word = None
        if word is not None and not (word.group().lower() in _JOINING or word.group() in ",;:.&+"):
            continue
        out.append((start, b))
    return sorted(out)


def _things_before_the_background(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]],
                                  colour_words) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """A background piece that begins with things run together before it ('green triangle white background') gives
    them up as objects."""
    out = []
    for a, b in background:
        cut = next((c for c, _, _ in colour_words if a < c < b and text[c - 1] == " " and named_object(text[a:c])
                    and not named_object(text[c:b]) and not quoted_ranges(text[a:b])
                    and not _JOINED.search(text[a:c])), None)
        if cut is not None:
            objects = sorted(objects + _split_run_together(text, [(a, len(text[:cut].rstrip()))], colour_words))
            a = cut
        out.append((a, b))
    return out, objects


_JOINED = re.compile(r"\b(on|in|with|of|over|and|or)\s*$|,\s*$", re.IGNORECASE)  # a word or comma between two pieces


def _split_run_together(text: str, objects: list[tuple[int, int]], colour_words) -> list[tuple[int, int]]:
    """Object pieces naming two things one after the other with no word between ('red star blue moon') cut where
    the second one's colour starts."""
    out = []
    for a, b in objects:
        for s, _, _ in colour_words:
            if a < s < b and text[s - 1] == " " and named_object(text[a:s]) and named_object(text[s:b]) \
                    and not _JOINED.search(text[a:s]) \
                    and not quoted_ranges(text[a:b]):
                out.append((a, len(text[:s].rstrip())))
                a = s
        out += _listed_bare(text, (a, b))
    return out


def _listed_bare(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """A piece of known names alone cut at each: 'cat dog bird', 'a cat a dog' (one layer, the last name's). Two
    names without articles stay one ('a tree house', 'a rocket ship' name one thing)."""
    a, b = span
    names = name_spans(text[a:b])
    if len(names) < 2 or quoted_ranges(text[a:b]):
        return [span]
    starts, counted, pos = [], 0, 0
    for s, e in names:
        between = text[a + pos:a + s].strip().lower()
        if between not in ("", "a", "an", "the") and not (between.isdigit() or between in COUNTS):
            return [span]
        starts.append(s - len(text[a + pos:a + s].lstrip()) if between else s)
        counted += bool(between)
        pos = e
    if text[a + pos:b].strip() or (len(names) < 3 and counted < len(names)):
        return [span]
    return [(a + st, a + e) for st, (_, e) in zip(starts, names)]


def _colour_run_end(text: str, start: int, colour_words) -> int:
    """Where the colour names from `start` end ('gold and silver', 'red, white and blue'); `start` if none starts
    there."""
    end = pos = start
    while (run := next((e for s, e, _ in colour_words if s == pos), None)) is not None:
        end = run
        joint = re.match(r"\s*(?:,\s*|\s(?:and|or)\s+|\s+)", text[run:])
        pos = run + (joint.end() if joint else 0)
    return end


def _colours_outside(text: str, objects: list[tuple[int, int]], colour_words) -> tuple[int, int] | None:
    """The last run of colour names after 'on', 'over' or 'against' that no phrase holds and a stop or the end
    follows, or an effect said with 'with' and then one ('a star on white, make it pop', 'balloons on sky blue with
    soft shadows'), or None."""
    found = None
    quoted = quoted_ranges(text)
    for m in re.finditer(r"\b(?:on|over|against)\s+", text, re.IGNORECASE):
        end = _colour_run_end(text, m.end(), colour_words)
        if end > m.end() and re.match(rf"(?:{EFFECT_SAID.pattern})?\s*([,.;:!?]|$)", text[end:], re.IGNORECASE) and \
                not any(s < end and m.start() < e for s, e in objects + quoted):
            found = (m.end(), end)
    return found


def _article_and_word(piece: str) -> bool:
    """'a salt' of 'a salt and pepper shaker': one word after an article, before 'and' and a piece with none."""
    return re.fullmatch(r"(a|an|the)\s+[\w'-]+", piece.strip(), re.IGNORECASE) is not None


# Words that describe an object when said after it, set off by a comma ('a red star, glowing,')
_DESCRIBING = re.compile(r"bright|dark|light|pale|deep|soft|very|\w+(ing|ed|y|ful|ish|ic|ous|ive|al)", re.IGNORECASE)
# Effects said with 'with' ('... with a soft glow', '... with a thick black outline'): part of an object, never one


def _said_after(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]], colour_words
                ) -> list[tuple[int, int]]:
    """Objects with what is said of them after a comma ('a red star, glowing,', 'a heart, bright red, on pink': up to
    three words describing it, no other phrase but colours the planner cut off alone), and without effects said
    after other words ('a red star on white with a glow': 'a glow' is no object; said right after an object, it is
    that object's)."""
    def only_bare_colours(start: int, end: int) -> bool:  # no other phrase there but colours cut off alone, whole
        return all(span in objects and span[1] <= end and (_only_colours(text, span, colour_words)
                                                           or _colour_list(text, span, colour_words))
                   for span in objects + background if span[0] < end and start < span[1])

    out: list[list[int]] = []
    for a, b in objects:
        words = [w.lower() for w in re.findall(r"[\w'-]+", text[a:b])]
        with_before = re.search(r"\bwith\s*$", text[:a], re.IGNORECASE)
        if with_before and words and words[-1] in EFFECT_WORDS and len(words) <= 5 and not named_object(text[a:b]) \
                and not quoted_ranges(text[a:b]):
            if out and not text[out[-1][1]:with_before.start()].strip():
                out[-1][1] = b
            continue
        if out and out[-1][1] > a:  # taken in by the object before: colours said after it
            continue
        out.append([a, b])
        coloured = re.match(r"\s+in\s+", text[b:])  # 'a star in #ffcc00 on navy'
        if coloured is not None:
            end = _colour_run_end(text, b + coloured.end(), colour_words)
            if end > b + coloured.end() and re.match(r"\s*($|[,.;:!?]|(and|on|with|over|against|next|beside)\b)",
                                                      text[end:]) and only_bare_colours(b, end):
                out[-1][1] = end
                continue
        said = re.match(r"\s*,\s*([\w' -]+?)\s*(?=[,.;:!?]|$)", text[b:])
        if said is None:
            continue
        end = b + said.end(1)
        spoken = list(re.finditer(r"[\w'-]+", text[b:end]))
        describing = all(
            any(s <= b + w.start() and b + w.end() <= e for s, e, _ in colour_words) or
            _DESCRIBING.fullmatch(w.group()) and w.group().lower() not in _NOT_IN_PHRASES | _PLACES | _MIDDLE_WORDS
            for w in spoken)
        if 1 <= len(spoken) <= 3 and describing and only_bare_colours(b, end):
            out[-1][1] = end
    return [(a, b) for a, b in out]


_DASHES = {"-", "–", "—", "&", "+", "*", "/"}  # 'Objects - red star': a label's dash is no part of a phrase


# Places a design is drawn on, named as things ('a navy sky'): the background, not an object
SCENE_NOUNS = {"sky", "wall", "table", "floor", "backdrop", "paper", "sea", "field", "board", "page", "canvas",
               "ground", "grass", "water", "desk", "space"}
# ... and more such places the planner reads as the background where no other is named (SCENE_NOUNS alone are
# in its training prompts: a longer list there would change them)
_PLACE_NOUNS = SCENE_NOUNS | {"ocean", "road", "forest", "woods", "beach", "street", "lake", "river", "meadow", "garden",
                              "park", "desert", "city", "jungle", "hills", "snow", "sand",
                              "night", "sunset", "clouds", "pond", "lawn", "countryside", "day", "morning",
                              "evening", "dusk", "dawn", "rain", "fog", "storm", "sunrise", "sunshine", "underwater"}


_STARTS_PHRASE = re.compile(r"(a|an|the)\b|['\"‘“]", re.IGNORECASE)  # an article or a quote


def _bare_name(piece: str) -> bool:
    """Whether a piece is the name of a thing the engine draws and nothing else ('balloons'; not 'red ball', whose
    colour goes on from 'a big,')."""
    stripped = piece.strip()
    return any((a, b) == (0, len(stripped)) for a, b in name_spans(stripped))


def _rejoin(text: str, background: list[tuple[int, int]], objects: list[tuple[int, int]], colour_words
            ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Phrases cut where no phrase goes on and joined where one does. No caption the planner learnt from holds a
    stop or a colon outside quotes, nor a background a comma, and none follows another after a mere space: 'A
    shiny' + 'red car' is one object, and 'Yellow' (background) + 'sun' one object (a piece starting with an
    article or a quote starts a phrase of its own); 'blue moon White background' across 'A blue moon. White
    background.' is an object, then the background. Of several background pieces, the one naming a background
    ('... background', a gradient, stripes) or else the last stays the background; the others that name a thing
    the engine draws are objects ('blue moon'), the rest ('A futuristic cover:') no phrase. An object piece naming
    nothing goes on across a comma into one that starts without an article ('a big, red ball')."""
    quoted = quoted_ranges(text)
    pieces = []  # (start, end, is_background)
    for kind, spans, stops in ((True, background, ",.;:!?"), (False, objects, ".;:!?")):
        breaks = [i for i, c in enumerate(text) if c in stops and not any(a <= i < b for a, b in quoted)]
        for a, b in spans:
            for cut in [i for i in breaks if a <= i < b] + [b]:
                piece = text[a:cut]
                if piece.strip(" " + stops):
                    start = a + len(piece) - len(piece.lstrip(" " + stops))
                    pieces.append((start, len(text[:cut].rstrip(" " + stops)), kind))
                a = cut + 1
    joined: list[list] = []
    for a, b, kind in sorted(pieces):
        run_on = joined and named_object(text[joined[-1][0]:joined[-1][1]]) and \
            any(s == a for s, _, _ in colour_words)  # 'red circle' + 'blue square': a new thing, not more words
        if joined and not text[joined[-1][1]:a].strip() and not _STARTS_PHRASE.match(text, a) and not run_on:
            joined[-1][1], joined[-1][2] = b, kind  # the later piece says what the whole is: 'Yellow' + 'sun'
        else:
            joined.append([a, b, kind])
    # 'a big' + 'red ball' across a comma: adjectives in a row, the first piece naming nothing and no quote; and
    # colours joined by 'and' ('a black' + 'white cat')
    merged: list[list] = []
    for piece in joined:
        before = merged[-1] if merged else None
        between = text[before[1]:piece[0]].strip().lower() if before else ""
        if (before is not None and not before[2] and not piece[2]
                and (between == "," or between == "and" and (_only_colours(text, tuple(before[:2]), colour_words)
                                                             or _article_and_word(text[before[0]:before[1]])))
                and not _STARTS_PHRASE.match(text, piece[0])
                and not named_object(text[before[0]:before[1]]) and not untrained_spans(text[before[0]:before[1]])
                and not quoted_ranges(text[before[0]:before[1]])
                and (between != "," or not _bare_name(text[piece[0]:piece[1]]))):  # 'A clown, balloons': two things
            before[1] = piece[1]
        else:
            merged.append(piece)
    grounds = [(a, b) for a, b, kind in merged if kind]
    objects = [(a, b) for a, b, kind in merged if not kind]
    if len(grounds) > 1:
        naming = [g for g in grounds if re.search(r"\b(backgrounds?|backdrop|gradient|stripes|dots|noise)\b",
                                                  text[g[0]:g[1]], re.IGNORECASE)]
        keep = (naming or grounds)[-1]
        objects = sorted(objects + [g for g in grounds if g != keep and named_object(text[g[0]:g[1]])])
        grounds = [keep]
    return grounds, objects


# Words that start or end no phrase: between phrases, or the request around them ('The background is navy')
_NOT_IN_PHRASES = _BETWEEN_PHRASES | {"is", "are", "be", "should", "use", "make", "draw", "add", "put", "create",
                                      "want", "need", "paint", "show", "give", "please", "then", "also", "opposite",
                                      "among", "beyond", "around", "beneath", "alongside", "between", "inside",
                                      "across", "against", "underneath", "atop", "within", "onto", "into",
                                      "wearing", "holding", "carrying", "hugging", "riding", "eating"}


def whole_words(text: str, phrases: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Phrases widened to whole words and merged where they then overlap. A word the vocabulary lacks is
    spelled letter by letter, and a tag boundary inside it ('thr' + 'ee stars') would cut it apart."""
    def joined(i: int) -> bool:  # characters i - 1 and i belong to one word ("sky-blue" is one word)
        if not 0 < i < len(text):
            return False
        left, right = text[i - 1], text[i]
        return (left.isalnum() and right.isalnum() or left == "-" and right.isalnum() and i > 1
                and text[i - 2].isalnum() or right == "-" and left.isalnum() and i + 1 < len(text)
                and text[i + 1].isalnum())

    out: list[list[int]] = []
    for a, b in sorted(phrases):
        while joined(a):
            a -= 1
        while joined(b):
            b += 1
        while b > a and text[b - 1] in ",.;:!?":
            b -= 1
        if b <= a:
            continue
        if out and a < out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def cut_phrases(tags: list[int], spans: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Tagged tokens -> (background spans, object spans) in characters. An inside tag with no start
    before it starts a phrase of its own."""
    background, objects = [], []
    current, kind = None, None
    for tag, (s, e) in list(zip(tags, spans))[1:] + [(OUTSIDE, (0, 0))]:
        is_bg = tag in (BACKGROUND_START, BACKGROUND_INSIDE)
        continues = tag in (BACKGROUND_INSIDE, OBJECT_INSIDE) and current is not None and kind == is_bg
        if current is not None and not continues:
            (background if kind else objects).append(tuple(current))
            current = None
        if tag == OUTSIDE:
            continue
        if current is None:
            current, kind = [s, e], is_bg
        else:
            current[1] = e
    return background, objects
