"""Pipeline: one JobRequest in, RGBA layers out. Rectified-flow sampling with Euler steps over a shifted schedule,
classifier-free guidance, noise seeded per layer, progress with a cheap preview, cooperative cancel."""
from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from .. import DEFAULT_MODEL_DIR
from ..document import Box, Document, Layer, Layout
from ..errors import Cancelled
from .colours import PRINTED, colour_only, colour_rgb, colour_spans, flat_colour, lab, named_colours, snap_to_colour
from .config import BACKGROUND, COMPOSITE, ModelConfig, preset
from .counting import count_of, plural
from .decomposition import (as_clear_as, clear_bands, clear_behind, opaque, refit_layers, seen_coverage,
                            shown_outside_boxes, shows_named_colour)
from .device import autocast_for, pick_device
from .effects import EFFECT_SAID, EFFECT_WORDS, effect_for_all, glow_as_learnt, with_shadow, without_shadow
from .glyphs import (LEGIBLE_PX, MAX_GLYPH_CHARS, drawable, drawn_text, glyph_for, letterable, lettering_height,
                     quoted_text, within_lettering_limit)
from .model import LayerModel
from .packing import LayerSlot, pack, patchify, unpack
from .patterns import (names_gradient, names_pattern, painted, pattern_colours, pattern_for, pattern_sketch,
                       rainbow_for, smooth_gradient)
from .lettering_cues import DESIGN_NOUNS
from .planner import palette_said
from .silhouettes import named_object
from .request import JobRequest, JobResult, ProgressCallback, drawn_from, empty_part_notice, short
from .text import quoted_ranges
from .transformer import Conditioning, composite_grid
from .usual_colours import (background_in_usual_colour, draws_as_background, in_one_colour, object_in_usual_colour,
                            stands_apart, without_parts)


LATENT_CACHE_SIZE = 256
SKETCH_T = 0.4  # a patterned background joins from its sketch at the first step this noisy or less
CONTEXT_CACHE_SIZE = 2  # enough for "regenerate this layer again"; a large model's context is hundreds of MB
EMPTY_SHARE = 0.005  # a decomposed layer solid over less of its box than this holds nothing of the picture
# A prompt naming objects and no background ('a dog next to a cat') gets a plain white one, as a blank canvas
# would be; drawn from the whole prompt instead, it took a mix of the objects' colours ('a red star and a blue
# heart': a mean of (189, 108, 100); 'a brown owl next to a grey cat': (126, 113, 106); white: 246 and 244).
UNNAMED_BACKGROUND = "a plain white background"
# ... unless an object is asked in white or near it ('a white bunny'): it would not show
UNNAMED_UNDER_PALE = "a plain dark slate grey background"


_NO_BACKGROUND = re.compile(r"\b(?:no|without(?:\s+an?)?|transparent|see[- ]through|clear)\s+(?:background|backdrop)\b"
                            r"|\b(?:background|backdrop)\s+(?:is\s+|should\s+be\s+)?transparent\b", re.IGNORECASE)


def wants_no_background(text: str) -> bool:
    """Whether the words ask for no background at all ('no background, just a red star', 'on a transparent
    background'): the background layer then comes out fully transparent."""
    return _NO_BACKGROUND.search(text) is not None


def pixel_key(pixels: np.ndarray) -> tuple:
    return pixels.shape, hashlib.blake2b(np.ascontiguousarray(pixels).data, digest_size=16).digest()


def schedule(steps: int, shift: float) -> list[float]:
    """t from 1 (noise) to 0 (clean); shift > 1 spends more steps at high noise."""
    t = torch.linspace(1.0, 0.0, steps + 1)
    return (shift * t / (1 + (shift - 1) * t)).tolist()


def layer_noise(seed: int, shape: tuple[int, ...]) -> torch.Tensor:
    """Noise depends only on the layer's own seed and size: a new seed for layer k changes layer k only.
    Plain noise even for models trained with a noise offset: it followed the prompt's colours better
    (run 7: colour adherence 0.573 from plain noise, 0.472 with the training offset 0.5)."""
    generator = torch.Generator().manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)
    return torch.randn(shape, generator=generator)


def hash_seeds(seeds) -> int:
    digest = hashlib.blake2b(",".join(str(int(s)) for s in seeds).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 H x W x 4 -> float (4, H, W) in 0..1."""
    return torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1).float() / 255.0


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """float (4, H, W) in 0..1 -> uint8 H x W x 4."""
    return (image.float().clamp(0, 1) * 255.0).round().byte().permute(1, 2, 0).cpu().numpy()


@contextmanager
def cancelled_between_modules(cancel: threading.Event | None):
    """Cancel takes effect before the next module runs in this thread, not only between steps: on a 4096 px canvas
    one step ran for minutes, Cancel waited on it, and a window closed during a job left the process running."""
    if cancel is None:
        yield
        return
    thread = threading.get_ident()

    def check(module, args):
        if cancel.is_set() and threading.get_ident() == thread:  # the hook is global: other threads' jobs run on
            raise Cancelled()

    handle = torch.nn.modules.module.register_module_forward_pre_hook(check)
    try:
        yield
    finally:
        handle.remove()


# Alpha below this (of 255) is the decoder's noise: 2-7% of a box far from its object held alpha 1-2, invisible here but
# picked up by another editor's alpha-to-selection, trim and stroke (review 31b); glow and shadow tails run higher.
FAINT_ALPHA = 3


def without_faint_alpha(pixels: np.ndarray) -> np.ndarray:
    """An RGBA layer with alpha below FAINT_ALPHA made fully clear."""
    out = pixels.copy()
    out[out[..., 3] < FAINT_ALPHA] = 0
    return out


# Marks apart from a layer's glyph up to this share of its alpha are specks: the model strewed a few beside its object
# (review 33a: dashes beside waves, dots beside a croissant, a smear under a balloon); more is something it drew.
SPECK_SHARE = 0.03


def without_specks(pixels: np.ndarray, glyph: np.ndarray | None) -> np.ndarray:
    """A generated layer without the small marks that touch nothing of what its glyph asked for (the silhouette or
    lettering it was drawn from, reached through the layer's own alpha: a glow around it stays)."""
    if glyph is None:
        return pixels
    solid = pixels[..., 3] > 0
    reached = solid & _grown(glyph > 0.1, 2)
    while True:
        grown = _grown(reached, 1) & solid
        if (grown == reached).all():
            break
        reached = grown
    stray = solid & ~reached
    alpha = pixels[..., 3].astype(np.float64)
    if not stray.any() or alpha[stray].sum() > SPECK_SHARE * alpha.sum():
        return pixels
    out = pixels.copy()
    out[stray] = 0
    return out


def _grown(mask: np.ndarray, by: int) -> np.ndarray:
    """`mask` grown by `by` px (a square's reach)."""
    padded = np.pad(mask, by)
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy in range(2 * by + 1):
        for dx in range(2 * by + 1):
            out |= padded[dy:dy + h, dx:dx + w]
    return out


def _colour_turn(descriptions: list[str], i: int) -> int | None:
    """For one of several layers drawn from one phrase of several things ('three balloons, red, yellow and blue'), its
    place among them, bottom to top: which of the phrase's colours it takes (all were drawn in the first); None for
    any other layer."""
    said = descriptions[i]
    same = [j for j in range(1, len(descriptions)) if descriptions[j] == said]
    if len(same) < 2 or not (count_of(said) > 1 or plural(said)):
        return None
    return same.index(i)


def _palette(prompt: str) -> list[str]:
    """The colour names of a palette the prompt states ('..., brown and cream colours'), in order; [] if none."""
    return palette_said(prompt, quoted_ranges(prompt))[1]


class Pipeline:
    def __init__(self, model: LayerModel, model_id: str, device: torch.device | str | None = None):
        self.device = pick_device(device) if not isinstance(device, torch.device) else device
        self.model = model.to(self.device).eval()
        self.model_id = model_id
        self._lock = threading.Lock()
        self._latents: dict = {}  # insertion-ordered: the oldest entry goes first
        self._contexts: dict = {}  # context passes of recent jobs, the same way

    def clear_caches(self) -> None:
        """Forget encoded layers and context passes (they are only a speed-up)."""
        self._latents.clear()
        self._contexts.clear()

    @property
    def config(self) -> ModelConfig:
        return self.model.cfg

    @classmethod
    def load(cls, model_dir: str | Path | None = None, device: str | None = None) -> "Pipeline":
        model, mid = LayerModel.load(Path(model_dir) if model_dir else DEFAULT_MODEL_DIR)
        return cls(model, mid, device)

    @classmethod
    def from_preset(cls, name: str = "tiny", seed: int = 0, device: str | None = "cpu") -> "Pipeline":
        """Random weights (for tests and benchmarks)."""
        torch.manual_seed(seed)
        return cls(LayerModel(preset(name)), f"{name}-random-{seed}", device)

    def save(self, directory: str | Path) -> None:
        self.model.save(directory)

    # -- the document-level API
    def generate(self, layout: Layout, steps: int | None = None, guidance: float | None = None,
                 progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> Document:
        document = Document.from_layout(layout)
        return self.run(JobRequest.generate(document, steps, guidance), progress, cancel).apply_to(document)

    def regenerate(self, document: Document, index: int, seed: int, hint: str | None = None,
                   steps: int | None = None, guidance: float | None = None,
                   progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> Document:
        request = JobRequest.regenerate(document, index, seed, hint, steps, guidance)
        return self.run(request, progress, cancel).apply_to(document)

    def decompose(self, image: np.ndarray, boxes: list, prompt: str = "", seed: int = 0,
                  steps: int | None = None, guidance: float | None = None,
                  progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> Document:
        request = JobRequest.decompose(image, boxes, prompt, seed, steps, guidance)
        empty = Document(request.width, request.height, prompt, [])
        return self.run(request, progress, cancel).apply_to(empty)

    # -- the job
    def run(self, request: JobRequest, progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None) -> JobResult:
        request.validate()
        request, read_so = request.as_meant()
        alpha = request.composite[..., 3] if request.composite is not None else None
        clear_parts = alpha is not None and alpha.min() < 255
        if clear_parts:  # read where it is clear as what it borders, then kept clear
            request = replace(request, composite=opaque(request.composite))
        with self._lock, torch.inference_mode(), cancelled_between_modules(cancel):
            result = self._run(request, progress, cancel)
        if clear_parts:
            boxes = [spec.box for spec in request.layers]
            result.layers = as_clear_as(boxes, result.layers, alpha, [spec.generated for spec in request.layers])
            if request.layers[0].generated:
                result.layers[0] = clear_behind(boxes, result.layers, alpha)
            result.composite = Document(request.width, request.height, request.prompt,
                                        [Layer(b, px) for b, px in zip(boxes, result.layers)]).compose()
            clear = alpha == 0
            if clear.mean() > 0.01:
                # a picture of another shape fitted into the canvas leaves clear bands; a sticker, clear parts
                result.notices.append(
                    f"{clear.mean():.0%} of the picture is clear: bands, as it was fitted into a canvas of another "
                    f"shape. The layers stay clear there; a canvas of the picture's shape fills it."
                    if clear_bands(alpha) else
                    f"{clear.mean():.0%} of the picture is clear: the layers stay clear there, the background "
                    f"behind the objects too.")
        result.notices[:0] = read_so
        return result

    def _run(self, request: JobRequest, progress, cancel) -> JobResult:
        cfg, model, device = self.config, self.model, self.device
        steps = request.steps or cfg.default_steps
        guidance = cfg.guidance if request.guidance is None else request.guidance
        use_cfg = guidance > 1.0
        canvas = Box(0, 0, request.width, request.height)

        def check_cancel():
            if cancel is not None and cancel.is_set():
                raise Cancelled()

        check_cancel()
        notices = self.notices(request)
        # Layer positions: composite 0, background 1, foreground k at k + 1.
        positions = [BACKGROUND + i for i in range(len(request.layers))]
        given_slots, given_hint_texts, given_keys = [], [], []
        composite_tokens = None
        if request.composite is not None:
            key = pixel_key(request.composite)
            given_keys.append((COMPOSITE, key))
            given_slots.append(self._encoded_slot(COMPOSITE, canvas, request.composite, key))
            given_hint_texts.append("")
            composite_tokens = composite_grid(patchify(given_slots[0].latent), canvas.height // cfg.grid,
                                              canvas.width // cfg.grid)
        phrases = self._phrases(request)
        descriptions = self._descriptions(request, phrases)
        drawn = self._as_drawn(request, descriptions)  # what generated layers are drawn from
        gen_index, gen_slots, gen_hint_texts = [], [], []
        for i, spec in enumerate(request.layers):
            if spec.generated:
                shape = (model.autoencoder.latent_channels, spec.box.height // cfg.latent_factor,
                         spec.box.width // cfg.latent_factor)
                gen_index.append(i)
                noise = layer_noise(spec.seed, shape).to(device)
                description = drawn[i]
                gen_slots.append(LayerSlot(positions[i], spec.box, noise, self._glyph(request, i, description)))
                gen_hint_texts.append(description)
            else:
                key = pixel_key(spec.given)
                description = descriptions[i]
                given_keys.append((positions[i], spec.box, key, description))
                given_slots.append(replace(self._encoded_slot(positions[i], spec.box, spec.given, key),
                                           glyph=self._glyph(request, i, description)))
                given_hint_texts.append(description)

        notices += self._shapeless_notices(request, descriptions, gen_index, gen_slots)
        for i in gen_index:
            if i > 0 and request.composite is None and (one := in_one_colour(descriptions[i])) != descriptions[i] \
                    and _colour_turn(descriptions, i) is None:  # (several things, a colour each: as asked)
                a, b, _ = colour_spans(one, quoted_ranges(one))[0]
                notices.append(f"“{short(descriptions[i])}” is drawn in {one[a:b]}: this model draws each layer in "
                               f"one colour. Give the other colour a box of its own.")
        notices += self._undealt_notices(request, phrases)
        clear = 0 in gen_index and request.composite is None and wants_no_background(
            request.layers[0].hint or request.prompt)
        if (0 in gen_index and not request.layers[0].hint and descriptions[0] in (UNNAMED_BACKGROUND, UNNAMED_UNDER_PALE)
                and descriptions[0] not in request.prompt.lower() and not clear):
            said = self.model.planner.phrases(request.prompt)[0] if self.model.planner is not None else ""
            if set(re.findall(r"[a-z]+", said.lower())) & DESIGN_NOUNS:  # 'hair salon logo' says what the design is
                said = ""
            plain = ("plain white" if descriptions[0] == UNNAMED_BACKGROUND else
                     "plain dark grey (an object as pale as white would not show on white)")
            notices.append((f"“{short(said)}” names no colour, pattern or place for the background" if said else
                            "The prompt names no background") + f", so it is {plain}. Name one (“on navy”, “a "
                           "gradient from teal to white”) for another.")
        prompt = self._prompt_read(request)
        prompts = [prompt] + ([""] if use_cfg else [])
        batch = len(prompts)
        # Context tokens never see the generated ones, so regenerating a layer again (a new seed, another
        # variation) with the same prompt and the same other layers re-uses the whole context pass.
        context_key = (prompt, use_cfg, request.width, request.height, tuple(given_keys))
        with autocast_for(self.device):
            if context_key in self._contexts:
                text, text_mask, pooled, cache = self._contexts.pop(context_key)
            else:
                text, text_mask, pooled = model.text(prompts)
                given_hints = self._hint_vectors(given_hint_texts, pooled)[None].expand(batch, -1, -1)
                ctx_cond = self._conditioning(text, text_mask, pooled, given_hints,
                                              t=0.0, given=True, composite=composite_tokens)
                cache = model.transformer.encode_context(self._pack([given_slots] * batch), ctx_cond)
            self._contexts[context_key] = (text, text_mask, pooled, cache)  # most recent last
            while len(self._contexts) > CONTEXT_CACHE_SIZE:
                self._contexts.pop(next(iter(self._contexts)))
            gen_hints = self._hint_vectors(gen_hint_texts, pooled)[None].repeat(batch, 1, 1)
            # Guidance pushes away from a layer that knows neither the prompt nor its own phrase or hint: the
            # description is where a layer's shape comes from, and the same hint in both branches cancels out.
            gen_hints[1:] = 0
        check_cancel()

        sigmas = schedule(steps, cfg.schedule_shift)
        x = [slot.latent for slot in gen_slots]
        sketch = self._sketch_latent(request, drawn[0]) if 0 in gen_index else None
        for step in range(steps):
            t_cur, t_next = sigmas[step], sigmas[step + 1]
            if sketch is not None and (t_cur <= SKETCH_T or step == steps - 1):
                # the background joins here from its sketch, noised to t with its own noise (SDEdit): the steps
                # before gave the other layers a background to be drawn against
                x[0] = (1.0 - t_cur) * sketch + t_cur * gen_slots[0].latent
                sketch = None
            slots = [LayerSlot(s.position, s.box, z, s.glyph) for s, z in zip(gen_slots, x)]
            packed = self._pack([slots] * batch)
            if packed.glyph is not None:
                packed.glyph[1:] = 0  # the unguided branch knows neither a layer's description nor its lettering
            cond = self._conditioning(text, text_mask, pooled, gen_hints, t=t_cur, given=False,
                                      composite=composite_tokens)
            with autocast_for(self.device):
                v = model.transformer.forward_generated(packed, cond, cache).float()
            if use_cfg:
                v = v[1:] + guidance * (v[:1] - v[1:])
            velocity = unpack(v[:1], packed)[0]
            if progress is not None:  # the clean estimate x0 = x_t - t v previews better than x_t itself
                clean = [z - t_cur * vel for z, vel in zip(x, velocity)]
            x = [z + (t_next - t_cur) * vel for z, vel in zip(x, velocity)]
            check_cancel()
            if progress is not None:
                progress(step + 1, steps, self._preview(request, gen_index, clean))

        # Joint decode: the generated layers together with every given layer (and the composite if given).
        decode_slots = given_slots + [LayerSlot(s.position, s.box, z, s.glyph) for s, z in zip(gen_slots, x)]
        wanted = [False] * len(given_slots) + [True] * len(gen_slots)
        with autocast_for(self.device):
            decoded = model.autoencoder.decode([decode_slots], [wanted])[0][len(given_slots):]
        layers = [spec.given for spec in request.layers]
        for i, image in zip(gen_index, decoded):
            layers[i] = to_pixels(image)
        if 0 in gen_index:
            # The background is the design's backdrop: opaque, as every one the model learnt from. Decoded, its
            # alpha dipped to ~175 in places, and other viewers showed those faintly see-through; an imported
            # picture's background held stripes of 240-254. (A picture with clear parts reaches here filled in,
            # and `run` clears its layers where it is clear.)
            layers[0][..., 3] = 255
        if clear:  # 'no background', 'on a transparent background': the objects alone, as a sticker or a logo
            layers[0] = np.zeros_like(layers[0])
        if request.composite is None:
            glyphs = {i: slot.glyph.numpy() for i, slot in zip(gen_index, gen_slots) if slot.glyph is not None}
            for i in gen_index:
                wanted = [PRINTED.get(c, c) for c in named_colours(drawn[i])]
                spec = request.layers[i]
                if i == 0 and not clear:
                    rainbow = rainbow_for(drawn[0], spec.box.width, spec.box.height, spec.seed)
                    if rainbow is not None:
                        layers[0] = rainbow
                        continue
                    if len(wanted) == 2 and names_pattern(drawn[0]):
                        # stripes, dots, checks, chevrons painted where the model drew them from their sketch (beaded)
                        ground, pattern = (PRINTED.get(c, c) for c in pattern_colours(drawn[0]))
                        layers[0] = painted(pattern_for(drawn[0], spec.box.width, spec.box.height, spec.seed), ground,
                                            pattern)
                    elif len(wanted) <= 2 and names_gradient(drawn[0]):
                        layers[0] = smooth_gradient(layers[0], drawn[0], spec.seed, wanted)  # the model's were blotchy
                if len(wanted) == 1:
                    # an object with a shadow is flat too: the shadow is drawn apart (with_shadow)
                    flat = flat_colour(drawn[i] if i == 0 else without_shadow(drawn[i]), background=i == 0)
                    snapped = snap_to_colour(layers[i], wanted[0], flat is not None)
                    if flat is not None and snapped is not layers[i]:  # in a mood said of it: 'a soft pink' is calmer
                        snapped[..., :3] = PRINTED.get(flat, flat)
                    layers[i] = snapped
                if i > 0:  # the drop shadow asked for, drawn as the corpus draws it: the model's was faint
                    layers[i] = without_faint_alpha(with_shadow(without_specks(layers[i], glyphs.get(i)), drawn[i],
                                                                spec.seed))
        else:
            layers = refit_layers([spec.box for spec in request.layers], layers, request.composite,
                                  [spec.generated for spec in request.layers])
            notices += self._decomposed_notices(request, phrases, layers)
        composite = Document(request.width, request.height, request.prompt,
                             [Layer(s.box, px, visible=s.visible) for s, px in zip(request.layers, layers)]).compose()
        return JobResult(request, layers, composite, self.model_id, steps, phrases=phrases, notices=notices)

    def notices(self, request: JobRequest) -> list[str]:
        """What the user should know about how the request was read: the model reads a fixed number of tokens,
        and a long prompt's end (its last objects, often) would otherwise vanish without a word; and a canvas
        larger than those it was trained on."""
        planner = self.model.planner
        hints = [(f"Layer {i}'s hint", spec.hint, None) for i, spec in enumerate(request.layers)
                 if spec.generated and spec.hint]
        texts = [("The prompt", request.prompt, planner)] + hints
        out = []
        for what, text, planner_reads in texts:
            # the prompt's words matter where the planner deals them to layers: what it reads, each layer is drawn
            # from (the text encoder's shorter reading of the whole prompt said 70 words were ignored, and one of
            # them was drawn); a hint is read by the text encoder alone
            unread = planner_reads.unread(text) if planner_reads is not None else self.model.text.unread(text)
            # the count says where (the same words may come earlier too); a lone final stop is no loss
            words = sum(any(c.isalnum() for c in w) for w in unread.split())
            if words:
                shown = unread if len(unread) <= 60 else unread[:57] + "…"
                out.append(f"{what} is longer than this model reads: it ignored the last "
                           f"{'word' if words == 1 else f'{words} words'}, “{shown}”. "
                           f"Shorten it, or put what matters first.")
        if request.kind != "decompose" and not request.prompt.strip() and any(
                spec.generated and not spec.hint.strip() for spec in request.layers[1:]):
            out.append("The prompt is empty, so layers without a hint are drawn from nothing: stray marks. Write "
                       "what the design shows (“a red star and a blue moon on white”).")
        # places past those it was trained on: the default model, trained up to 256 px, drew coloured bands along
        # the right and bottom of a 512 px canvas (the background 72 levels off white in its last 32 rows; 6 at 256)
        trained = max(max(size) for size in self.config.canvas_presets)
        if max(request.width, request.height) > trained:
            out.append(f"This model was trained on canvases up to {trained} px; on {request.width} x "
                       f"{request.height} px expect artefacts: bands towards the right and bottom edges, and marks "
                       f"inside layers beside other boxes.")
        return out

    def _shapeless_notices(self, request: JobRequest, descriptions: list[str], gen_index: list[int],
                           gen_slots: list[LayerSlot]) -> list[str]:
        """A generated object whose words name no shape or icon the model has a silhouette of, nor quote words to
        letter: the default model drew such a layer ('a green dragon') empty, and the user should know why; and
        quoted characters the font lacks, lettered without their accents or left out."""
        if self.model.transformer.glyph_in is None or request.composite is not None:
            return []
        layers = [(descriptions[i].strip(), slot) for i, slot in zip(gen_index, gen_slots)
                  if i > 0 and descriptions[i].strip()]
        shapeless = list(dict.fromkeys(d for d, slot in layers if slot.glyph is None and not drawn_text(d)))
        out = []
        if shapeless:
            which = " and ".join(f"“{short(w)}”" for w in shapeless)
            out.append(f"{which} name{'s' if len(shapeless) == 1 else ''} no shape or icon this model knows: "
                       f"{'that layer' if len(shapeless) == 1 else 'those layers'} may come out empty. Name one it "
                       f"knows (a star, an owl, a dolphin…), or put words in quotes to letter them.")
        for said in dict.fromkeys(quoted_text(d) for d, _ in layers):  # a quote post's last words were cut silently
            if len(said) > MAX_GLYPH_CHARS:
                out.append(f"A layer letters at most {MAX_GLYPH_CHARS} characters: of “{short(said)}” "
                           f"({len(said)}) it letters up to “…{within_lettering_limit(said)[-24:]}”. Put the rest in quotes "
                           f"of its own for another box.")
        for d, slot in layers:  # lettering squeezed below a readable height ('a 37-letter word in 96 x 48 px')
            tall = lettering_height(d, slot.box.width, slot.box.height)
            if tall is not None and tall < LEGIBLE_PX:
                out.append(f"“{short(drawn_text(d))}” comes out {max(1, round(tall))} px tall in its {slot.box.width} x "
                           f"{slot.box.height} px box, too small to read: widen the box or shorten the words.")
        for text in dict.fromkeys(drawn_text(d) for d, _ in layers if drawn_text(d)):
            lacking = "".join(dict.fromkeys(c for c in text if not drawable(c)))
            if lacking:
                out.append(f"The font has no “{short(lacking, 12)}”: “{short(text)}” is lettered “{letterable(text)}”."
                           if letterable(text) else f"The font has none of the characters of “{short(text)}”: that "
                           f"layer may come out empty. Letters, digits and common punctuation are lettered.")
        return out

    def _undealt_notices(self, request: JobRequest, phrases: list[str]) -> list[str]:
        """Objects of the prompt no layer shows after a whole design is generated: more objects than boxes, and the
        ones left over would otherwise vanish without a word."""
        planner = self.model.planner
        if planner is None or request.kind == "decompose" or not request.prompt.strip():
            return []
        if request.kind == "regenerate":  # a box added later, when every object already has a layer
            again = [phrases[i] for i in request.generated_indices if i > 0 and phrases[i] and not
                     _own_hint(request.layers[i]) and count_of(phrases[i]) == 1 and not plural(phrases[i]) and
                     any(p.strip().lower() == phrases[i].strip().lower() for k, p in enumerate(phrases) if k != i)]
            return [f"“{short(o)}” is drawn again: another layer shows it already, and the prompt names nothing "
                    f"else for this box. Add what it shows to the prompt, or give it a hint." for o in again]
        # boxes for objects: the generated ones not drawn from their own hints, and those kept showing one (not a
        # pasted picture, locked)
        own = sum(1 for spec in request.layers[1:] if spec.generated and _own_hint(spec))
        count = sum(1 for i, spec in enumerate(request.layers) if i > 0 and (spec.generated or phrases[i])) - own
        with autocast_for(self.device):
            objects = planner.phrases(request.prompt, count)[1]
        if not objects and any(spec.generated and not _own_hint(spec) for spec in request.layers[1:]):
            return ["The prompt names no object for the boxes (“logo for a bakery” says what the design is for, "
                    "not what it shows): they may come out as stray marks. Name what each box shows (“a brown "
                    "croissant”, “the word 'BAKERY'”) or give it a hint."]
        named = len({o.strip().lower() for o in objects})  # an object named twice is one
        shown = Counter(p.strip().lower() for p in phrases[1:] if p)
        left = list(dict.fromkeys(o for o in objects if o.strip().lower() not in shown))
        boxes = ("is 1 box" if count == 1 else f"are {count or 'no'} boxes") + (
            f" for them ({own} more drawn from {'its' if own == 1 else 'their'} own hint{'s' if own > 1 else ''})"
            if own else "")
        if left:
            which = " and ".join(f"“{short(o)}”" for o in left)
            return [f"{which} got no box: the prompt names {named} object{'s' if named != 1 else ''} and there {boxes}. "
                    f"Draw a box for each."]
        fewer = [(o, count_of(o), shown[o.strip().lower()]) for o in dict.fromkeys(objects)
                 if 0 < shown[o.strip().lower()] < count_of(o)]  # 'three balloons' in one box
        if fewer:
            return [" and ".join(f"“{short(o)}” asks for {want} and {'1 box shows' if got == 1 else f'{got} boxes show'}"
                                 f" {'it' if got == 1 else 'them'}" for o, want, got in fewer) +
                    ": draw a box for each."]
        # more boxes than objects: each object once, then again ('three stars' is meant so, 'a red star' not)
        again = [o for o in dict.fromkeys(p for p in phrases[1:] if p)
                 if shown[o.strip().lower()] > 1 and count_of(o) == 1 and not plural(o)]
        if not again:
            return []
        which = " and ".join(f"“{short(o)}”" for o in again)
        return [f"{which} {'is' if len(again) == 1 else 'are'} drawn more than once: the prompt names "
                f"{named} object{'s' if named != 1 else ''} and there {boxes}. Name one object per box."]

    def _decomposed_notices(self, request: JobRequest, phrases: list[str], layers: list[np.ndarray]) -> list[str]:
        """After a picture is decomposed: boxes that held nothing but the background (their layers empty, and
        named after no object: a spare box was 'Red rectangle 2'), boxes dealt words whose colours they do not
        show (named after them: a blue square was 'Red circle 2'), and objects of the prompt no box was drawn for
        that the picture shows (they stay in the background). Each went without a word. Clears the `phrases` of
        the first two."""
        boxes = [spec.box for spec in request.layers[1:]]
        empty = [i for i in request.generated_indices if i > 0 and (layers[i][..., 3] > 127).mean() < EMPTY_SHARE]
        unlike = [i for i in request.generated_indices if i > 0 and i not in empty and phrases[i] and
                  shows_named_colour(request.composite, boxes, i - 1, phrases[i]) is False]
        out = [empty_part_notice(i) for i in empty]
        for i in unlike:
            said = " or ".join(phrases[i][a:b] for a, b, _ in colour_spans(phrases[i], quoted_ranges(phrases[i])))
            out.append(f"Layer {i}'s box shows nothing {said} as “{short(phrases[i])}” says, so it is named "
                       f"“Layer {i}”: rename it, or say in the prompt what it shows.")
        for i in empty + unlike:
            phrases[i] = ""
        planner = self.model.planner
        if planner is not None and request.prompt.strip():
            with autocast_for(self.device):
                objects = planner.phrases(request.prompt, len(request.layers) - 1)[1]
            shown = {p.strip().lower() for p in phrases[1:] if p}
            left = list(dict.fromkeys(o for o in objects if o.strip().lower() not in shown))
            outside = [shown_outside_boxes(request.composite, boxes, o) for o in left]
            seen = [o for o, there in zip(left, outside) if there]
            maybe = [o for o, there in zip(left, outside) if there is None]
            for which, told in ((seen, "so {it} {stays} part of the background"),
                                (maybe, "if the picture shows {it}, {it} {stays} part of the background")):
                if which:
                    one = len(which) == 1
                    said = told.format(it="it" if one else "they", stays="stays" if one else "stay")
                    out.append(f"{' and '.join(f'“{short(o)}”' for o in which)} got no box, {said}. To give "
                               f"{'it a layer of its' if one else 'each a layer of its'} own, undo, draw a box over "
                               f"{'it' if one else 'each'} and import again.")
        return out

    def _prompt_read(self, request: JobRequest) -> str:
        """The prompt as the model reads it: a background regenerated from a hint has the hint in place of the
        prompt's words about the background. Both at once fought ('... on a yellow background' beside the hint
        'thin white stripes on navy' gave blotches of white in the stripes)."""
        planner, hint = self.model.planner, request.layers[0].hint.strip()
        if planner is None or not hint or not request.layers[0].generated or not request.prompt.strip():
            return request.prompt
        with autocast_for(self.device):
            background = planner.background_spans(request.prompt)
        if not background:
            return request.prompt
        (a, _), (_, b) = background[0], background[-1]
        return request.prompt[:a] + hint + request.prompt[b:]

    def _phrases(self, request: JobRequest) -> list[str]:
        """Per request layer, the part of the prompt it shows: kept from the request, or dealt by the planner to
        generated foreground layers with neither a hint nor a phrase. A layer drawn from a user's hint has none.
        Decomposition deals by the picture too: a layer knowing what it shows separates it from the rest far
        better: each layer against the truth, on 48 held-out designs, 20.4 dB dealt by colours against 21.1 given the
        true phrases (and 15.0 dealt nothing, on 16 of them)."""
        phrases = ["" if spec.generated and _own_hint(spec) else spec.phrase
                   for spec in request.layers]
        planner = self.model.planner
        wanted = [i - 1 for i, spec in enumerate(request.layers)  # a colour-only hint recolours what it is dealt
                  if i > 0 and spec.generated and not _own_hint(spec) and not spec.phrase]
        if planner is None or not wanted or not request.prompt.strip():
            return phrases
        boxes = [spec.box for spec in request.layers[1:]]
        seed = hash_seeds(request.layers[i + 1].seed for i in wanted)
        with autocast_for(self.device):
            dealt = planner.deal(request.prompt, request.width, request.height, boxes, wanted,
                                 [p for p in phrases if p], seed, request.composite)
        for i, phrase in dealt.items():
            phrases[i + 1] = phrase
        return phrases

    def _descriptions(self, request: JobRequest, phrases: list[str]) -> list[str]:
        """Per layer, the words it is drawn from: its hint, else its phrase; a background generated from the
        prompt alone, the prompt's words about it ('a navy background with thin orange stripes'), plain white when
        the prompt names objects and no background."""
        # a hint asking only for other colours ('green') recolours an object's own phrase; any other replaces it
        out = [drawn_from(phrase, spec.hint) if i > 0 else spec.hint or phrase
               for i, (spec, phrase) in enumerate(zip(request.layers, phrases))]
        planner = self.model.planner
        if not out[0] and request.layers[0].generated and request.composite is None and planner is not None:
            with autocast_for(self.device):
                background = planner.phrases(request.prompt)[0] if request.prompt.strip() else ""
            # words naming no colour, pattern or place ('service logo'), or none at all, are drawn as murky noise:
            # plain white
            out[0] = (background if draws_as_background(background) or wants_no_background(background) else
                      UNNAMED_BACKGROUND)
            palette = _palette(request.prompt)
            lightest = max(palette, key=lambda c: lab(colour_rgb(c))[0]) if palette else None
            # 'brown and cream colours': on the lightest; 'calm lavender tones': on it, a pale colour alone
            if out[0] == UNNAMED_BACKGROUND and lightest and (len(palette) > 1 or lab(colour_rgb(lightest))[0] > 75):
                out[0] = f"a plain {lightest} background"
            if out[0] == UNNAMED_BACKGROUND and any(  # (one the model draws: 'a white plate' names no icon)
                    not stands_apart(rgb, (255, 255, 255)) for i in range(1, len(out))
                    if request.layers[i].generated and (named_object(out[i]) or drawn_text(out[i]))
                    for rgb in named_colours(out[i])[:1]):
                out[0] = UNNAMED_UNDER_PALE
        return out

    def _as_drawn(self, request: JobRequest, descriptions: list[str]) -> list[str]:
        """The descriptions of generated layers as they are drawn: an object without the parts said after 'with'
        and in its usual colour where it names none (usual_colours: 'a sun' -> 'a yellow sun', apart from the
        background's colour); drawn without one, objects came out muddy; with the shadow or glow the prompt says of
        every object (`effect_for_all`) where it asks for no effect of its own. Not in a picture being decomposed: it
        shows the colours."""
        if request.composite is not None:
            return descriptions
        out = list(descriptions)
        background = request.layers[0]
        planner = self.model.planner  # the prompt's object phrases as cut, whatever each layer was dealt or hinted
        with autocast_for(self.device):
            cut = planner.phrases(request.prompt)[1] if planner is not None and request.prompt.strip() else None
        for_all = effect_for_all(request.prompt, cut) if cut else None
        if background.generated:
            if for_all:  # said of the objects, in the background's words or after them
                out[0] = EFFECT_SAID.sub("", out[0])
            objects = [rgb for i in range(1, len(out)) for rgb in named_colours(out[i])[:1]]
            out[0] = background_in_usual_colour(out[0], background.seed, objects)
            named = named_colours(out[0])
            under = named[0] if len(named) == 1 else list(named) if named else None  # a pattern's: apart from both
        else:
            opaque = background.given[..., 3] > 0
            under = tuple(int(v) for v in background.given[opaque][:, :3].mean(0)) if opaque.any() else None
        generated = [i for i, spec in enumerate(request.layers) if i > 0 and spec.generated]
        for i in generated:
            if for_all and out[i] and not set(re.findall(r"[a-z]+", out[i].lower())) & EFFECT_WORDS:
                out[i] = f"{out[i]} {for_all}"
            out[i] = glow_as_learnt(in_one_colour(without_parts(out[i]), _colour_turn(descriptions, i) or 0))
        beside = [c for i in range(1, len(out)) for c in named_colours(out[i])[:1]]  # the other objects' colours
        palette = _palette(request.prompt)
        for i in generated:
            if not named_colours(out[i]):
                out[i] = object_in_usual_colour(out[i], request.layers[i].seed, under, beside, palette)
                beside += named_colours(out[i])[:1]
        return out

    def _encoded_slot(self, position: int, box: Box, pixels: np.ndarray, key) -> LayerSlot:
        # Regenerating one layer again and again re-uses the same context: encode each distinct layer once.
        latent = self._latents.get(key)
        if latent is None:
            image = to_tensor(pixels)[None].to(self.device)
            with autocast_for(self.device):
                latent = self.model.autoencoder.encode(image)[0].float()
            self._latents[key] = latent
            while len(self._latents) > LATENT_CACHE_SIZE:
                self._latents.pop(next(iter(self._latents)))
        return LayerSlot(position, box, latent)

    def _sketch_latent(self, request: JobRequest, description: str) -> torch.Tensor | None:
        """The latent of a generated background's two-colour pattern as its words fix it (colours, stripes, dots,
        gradient ramp), or None. The model drew a gradient between two colours as one colour between them, and
        stripes and dots softly; started part-way from the sketch it keeps them."""
        spec = request.layers[0]
        if request.composite is not None or not description:
            return None
        pixels = pattern_sketch(description, spec.box.width, spec.box.height, spec.seed)
        return None if pixels is None else self._encoded_slot(BACKGROUND, spec.box, pixels, pixel_key(pixels)).latent

    def _glyph(self, request: JobRequest, index: int, description: str) -> torch.Tensor | None:
        """What a model that reads glyphs is given of a layer's shape: a foreground layer's lettering or named
        object drawn into its box (in a picture being decomposed, where the object shows); a generated
        background's stripes, dots or the ramp of a gradient between two colours."""
        if self.model.transformer.glyph_in is None or not description:
            return None
        spec = request.layers[index]
        if index == 0:
            if request.composite is not None or not spec.generated:  # the pixels already say where the pattern is
                return None
            coverage = pattern_for(description, spec.box.width, spec.box.height, spec.seed)
        else:
            coverage = glyph_for(description, spec.box.width, spec.box.height, spec.seed,
                                 another_take=request.kind == "regenerate")
            if request.composite is not None:
                coverage = seen_coverage(request.composite, [s.box for s in request.layers[1:]], index - 1,
                                         description, coverage)
        return None if coverage is None else torch.from_numpy(coverage)

    def _pack(self, designs):
        return pack(designs, self.model.autoencoder.latent_channels * 4, self.config.grid, self.device)

    def _hint_vectors(self, hints: list[str], pooled: torch.Tensor) -> torch.Tensor:
        """(L, Dt) pooled hint text per layer, zeros where a layer has none."""
        vectors = torch.zeros(max(len(hints), 1), pooled.shape[-1], device=self.device, dtype=pooled.dtype)
        with_hint = [i for i, h in enumerate(hints) if h]
        if with_hint:
            vectors[with_hint] = self.model.text([hints[i] for i in with_hint])[2].to(pooled.dtype)
        return vectors

    def _conditioning(self, text, text_mask, pooled, hints: torch.Tensor, t: float, given: bool,
                      composite: torch.Tensor | None = None) -> Conditioning:
        """`hints`: (B, L, Dt), per guidance branch."""
        batch, n = hints.shape[:2]
        layer_t = torch.full((batch, n), t, device=self.device)
        layer_given = torch.full((batch, n), given, device=self.device, dtype=torch.bool)
        if composite is None:
            return Conditioning(text, text_mask, pooled, layer_t, layer_given, hints)
        present = torch.ones(batch, *composite.shape[:2], dtype=torch.bool, device=self.device)
        return Conditioning(text, text_mask, pooled, layer_t, layer_given, hints,
                            composite[None].expand(batch, -1, -1, -1), present)

    def _preview(self, request: JobRequest, gen_index: list[int], x: list[torch.Tensor]) -> np.ndarray:
        """The current latents through the 1x1 preview head, upsampled, composed with the given layers."""
        f = self.config.latent_factor
        layers = []
        previews = dict(zip(gen_index, x))
        for i, spec in enumerate(request.layers):
            if i in previews:
                rgba = self.model.autoencoder.preview_rgba(previews[i].float()[None])[0]
                pixels = to_pixels(rgba).repeat(f, axis=0).repeat(f, axis=1)
            else:
                pixels = spec.given
            layers.append(Layer(spec.box, pixels, visible=spec.visible))
        return Document(request.width, request.height, "", layers).compose()


def _own_hint(spec) -> bool:
    """Whether a layer is drawn from its own hint, not from the prompt: a hint that only names colours recolours
    the object the prompt gives it."""
    return bool(spec.hint.strip()) and not colour_only(spec.hint)
