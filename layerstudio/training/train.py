"""`layerstudio train`: the autoencoder first, then the transformer (with the text encoder) under random per-layer
masking: all layers generated (text -> layers), composite given (decomposition), random layers given
(regeneration). Checkpoints and resumes; logs JSON lines; writes config.json + model.safetensors.
Runs on CPU or CUDA; under torchrun each rank takes its own GPU and its own data stream (DDP)."""
from __future__ import annotations

import copy
import json
import math
import os
import random
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from ..document import Box
from ..engine.autoencoder import premultiply
from ..engine.config import BACKGROUND, COMPOSITE, ModelConfig, preset
from ..engine.device import autocast_for, pick_device
from ..engine.model import CONFIG_FILE, WEIGHTS_FILE, LayerModel
from ..engine.packing import LayerSlot, by_shape, pack, patchify, token_noise
from ..engine.pipeline import to_tensor
from ..engine.text import Tokenizer
from ..engine.transformer import Conditioning, composite_grid
from ..engine.weights import check_finite, save_weights
from ..errors import UserError
from .corpus import style_prompt
from .phrasing import rephrase
from .unknown_words import reword, word_lists

CHECKPOINT = "checkpoint.pt"
# Saved beside the model's weights (the app never reads it) so a run started with --init keeps the colour probe
# it was trained with: a fresh probe took ~400 of a 1,000-step run to fall from 6 to under 1, its random head
# pushing the text and transformer features meanwhile.
PROBE_FILE = "colour_probe.safetensors"
# Starting from a trained model: the encoder may change, but its latents (normalised) stay within ~0.1 RMS of the
# initial ones, which the transformer has learnt; the reconstruction loss runs 0.05-0.1.
ANCHOR_WEIGHT = 0.3
PLANNER_LR, PLANNER_BATCH = 1e-3, 32  # a planner step costs little beside rendering its designs
STYLE_ONLY_RATE = 0.1  # planner prompts that name no object
UNKNOWN_WORDS_RATE = 0.5  # planner prompts reworded with words the vocabulary lacks ('a shiny red sports car')
PHRASING_RATE = 0.4  # planner prompts rebuilt as people write them ('A red star. A blue moon.', 'in the top left')
# How often a layer is given its own caption as a hint (and its glyph). The planner hints every foreground layer
# it can, and since session 18 the background with the prompt's words about it (its stripes or dots come with
# them); layers of prompts it cannot cut stay anonymous.
FOREGROUND_HINT_RATE, BACKGROUND_HINT_RATE = 0.7, 0.7


def hint_rate(index: int) -> float:
    """How often layer `index` (0: the background) is given its hint and glyph in training."""
    return BACKGROUND_HINT_RATE if index == 0 else FOREGROUND_HINT_RATE


ZERO_STARTED_LR_SCALE = 10.0  # parameters --init's model lacks that start at zero (see Trainer._adamw)
HIGH_NOISE_CENTRE = 1.0  # logit of the median of sample_t's logit-normal half
PROBE_WEIGHT = 0.1  # the probe's losses start near 3 and fall to ~0.1; the diffusion loss runs 0.2-0.7


@dataclass
class Sample:
    """One training design: layer images (composite first, then background, foreground), boxes, captions."""

    width: int
    height: int
    caption: str
    boxes: list[Box]  # per document layer
    images: list[torch.Tensor]  # per document layer, (4, h, w) straight RGBA 0..1
    layer_captions: list[str]
    composite: torch.Tensor  # (4, H, W)
    colours: list[int]  # per layer, see colour_targets
    glyphs: list[torch.Tensor | None]  # per layer, its lettering's coverage (text layers of the corpus), else None


def to_sample(design) -> Sample:
    """Runs in the data loader's workers, so the colour targets and glyphs cost the training step nothing. The
    composite, layers and glyphs are views of one tensor: a worker hands each tensor's memory to the training process
    on its own, and that costs about as much per tensor as per design (3x faster to take 96 designs with one tensor
    each)."""
    doc = design.document
    pixels = [design.composite, *(l.pixels for l in doc.layers)]
    glyphs = [design.glyph(i) for i in range(len(doc.layers))]
    whole = torch.empty(sum(p.size for p in pixels) + sum(g.size for g in glyphs if g is not None))
    images, start = [], 0
    for p in pixels:
        image = whole[start:start + p.size].view(p.shape[2], p.shape[0], p.shape[1])
        image.copy_(to_tensor(p))
        images.append(image)
        start += p.size
    glyph_views = []
    for g in glyphs:
        if g is not None:
            view = whole[start:start + g.size].view(g.shape)
            view.copy_(torch.from_numpy(g))
            start += g.size
            g = view
        glyph_views.append(g)
    return Sample(doc.width, doc.height, design.caption, [l.box for l in doc.layers], images[1:],
                  list(design.layer_captions), images[0], colour_targets([l.pixels for l in doc.layers]), glyph_views)


# Share of corpus layers painted in a colour name outside the twelve ("crimson", "sky blue"): the model learns
# to draw a colour from its name's colour feature (engine/colours.py), not from a token of its own.
NAMED_COLOUR_RATE = 0.3


class DesignStream(torch.utils.data.IterableDataset):
    """Endless designs: the procedural corpus (seeded per rank and worker) or a folder of PSDs."""

    def __init__(self, data: str, seed: int, rank: int, canvases: list[tuple[int, int]]):
        self.data, self.seed, self.rank, self.canvases = data, seed, rank, canvases

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker = info.id if info else 0
        if self.data == "corpus":
            from .corpus import make_design

            n = 0
            while True:
                # disjoint seed streams per rank and worker; held-out eval seeds start at 10,000,000
                seed = (self.seed * 1_000_003 + n * 64 + self.rank * 8 + worker) % 9_000_000
                yield to_sample(make_design(seed, canvas=self.canvases[seed % len(self.canvases)],
                                            named_colours=NAMED_COLOUR_RATE))
                n += 1
        else:
            # scaled to the model's canvases: a 1000 px document made each step 5x slower, at a size it never drew
            designs = open_psd_folder(self.data, max_side=max(max(c) for c in self.canvases))
            rng = random.Random(self.seed + self.rank * 101 + worker)
            while True:
                if len(designs) == 0:
                    raise UserError(f"no readable PSD files in {self.data}")
                index = rng.randrange(len(designs))
                try:
                    design = designs[index]
                except UserError as exc:  # damaged pixels show only when decoded: that file is left out, not the run
                    print(f"skipping {designs.paths[index]}: {exc}", file=sys.stderr, flush=True)
                    del designs.paths[index], designs.sizes[index]
                    continue
                yield to_sample(design)


def open_psd_folder(folder: str, max_side: int | None = None):
    """The folder's designs, quietly: the trainer names the skipped files once (every data stream and worker
    opens the folder, and each repeated the warnings)."""
    from .psd_dataset import PsdFolderDataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return PsdFolderDataset(folder, max_side=max_side)


def batches(data: str, seed: int, rank: int, batch: int, canvases, workers: int = 1):
    if workers:
        # Shared by file name, a design's tensor is taken 2x faster than through a passed descriptor; PyTorch's
        # shm manager unlinks the files when the run ends.
        torch.multiprocessing.set_sharing_strategy("file_system")
    # Each worker keeps designs for two batches ready: with 4 each, 8 workers held a third of a GPU batch of 96
    # and the step waited for the rest to render.
    loader = torch.utils.data.DataLoader(DesignStream(data, seed, rank, canvases), batch_size=None,
                                         num_workers=workers,
                                         prefetch_factor=max(4, -(-2 * batch // workers)) if workers else None,
                                         persistent_workers=bool(workers))
    it = iter(loader)
    while True:
        yield [next(it) for _ in range(batch)]


def captions_of(data, seed: int, designs: int = 1500) -> list[str]:
    """The captions and layer captions of 'corpus' (that many of its designs) or of an opened PSD folder (all of it;
    a file that fails to decode is skipped, with a warning)."""
    captions = []
    if data == "corpus":
        from .corpus import make_design

        for i in range(designs):
            d = make_design(seed * 7_919 + i)
            captions += [d.caption, *d.layer_captions]
    else:
        for design in data:
            captions += [design.caption, *design.layer_captions]
    return captions


def spelled_words(captions: list[str], vocab: list[str]) -> list[str]:
    """The words of `captions` outside `vocab`, which the text encoder learns letter by letter."""
    known = Tokenizer(vocab)
    return sorted({text[a:b].lower() for text in captions for a, b in known.unknown_words(text)})


def init_from(model: torch.nn.Module, weights: Path) -> dict:
    """Start from another model's weights wherever names match: same shape -> copied; a table that only grew or
    shrank in rows (token or position embeddings) -> the common rows copied; anything else keeps its fresh init."""
    from safetensors import SafetensorError, safe_open

    report = {"copied": 0, "rows_copied": [], "fresh": []}
    state = model.state_dict()
    try:
        with safe_open(str(weights), framework="pt") as f:
            names = set(f.keys())
            for name, target in state.items():
                if name not in names:
                    report["fresh"].append(name)
                    continue
                source = f.get_tensor(name).to(target.dtype)
                check_finite(name, source, f"--init {weights}")
                if source.shape == target.shape:
                    target.copy_(source)
                    report["copied"] += 1
                elif source.ndim == target.ndim == 2 and source.shape[1] == target.shape[1]:
                    rows = min(source.shape[0], target.shape[0])
                    target[:rows].copy_(source[:rows])
                    report["rows_copied"].append(name)
                else:
                    report["fresh"].append(name)
    except SafetensorError as exc:
        raise UserError(f"--init: {weights} is corrupt or not safetensors: {exc}") from None
    return report


class ColourProbe(torch.nn.Module):
    """Training only (not part of the shipped model): questions about colour whose answers must be read from the
    caption. From the caption's tokens: the background's colour and the set of foreground colours (attention
    pooling, a learned query each). From each generated layer's tokens after the double-stream blocks: that
    layer's colour. The diffusion loss reaches the text only through zero-initialised gates, and at high noise
    its optimum for an anonymous layer is the average of the caption's colours, so it teaches routing slowly:
    measured, the shipped model coloured a lone "blue circle" grey or pink, yet blue when given the layer's own
    caption as a hint. A classification loss's optimum is instead the set of candidate colours."""

    def __init__(self, text_width: int, width: int, colours: int):
        super().__init__()
        self.queries = torch.nn.Parameter(torch.randn(2, text_width) * 0.02)
        self.background = torch.nn.Linear(text_width, colours)
        self.foreground = torch.nn.Linear(text_width, colours)
        self.layer = torch.nn.Sequential(torch.nn.LayerNorm(width), torch.nn.Linear(width, colours))

    def caption(self, text: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = torch.einsum("btd,qd->bqt", text, self.queries) / text.shape[-1] ** 0.5
        weights = scores.masked_fill(~mask[:, None], float("-inf")).softmax(-1)
        pooled = torch.einsum("bqt,btd->bqd", weights, text)
        return self.background(pooled[:, 0]), self.foreground(pooled[:, 1])


# Beyond this CIELAB distance from all twelve colours a layer's colour is none of them ("sky blue", a gradient's
# middle): its probe target would pull the layer toward the nearest of the twelve, so it has none.
PROBE_COLOUR_REACH = 25.0


def colour_targets(layers: list[np.ndarray]) -> list[int]:
    """Per layer (background first, RGBA uint8), the index of the named colour nearest its dominant colour, or -1
    where it has none (e.g. a transparent layer) or is far from all of them; from the pixels, so PSD folders get
    them too."""
    from ..engine.colours import lab
    from .corpus import COLOURS
    from .evaluate import dominant_colour

    names = list(COLOURS)
    targets = []
    for pixels in layers:
        rgb = dominant_colour(pixels)
        if rgb is None:
            targets.append(-1)
            continue
        colour = lab(tuple(rgb))
        distance, index = min((math.dist(lab(COLOURS[n]), colour), i) for i, n in enumerate(names))
        targets.append(index if distance <= PROBE_COLOUR_REACH else -1)
    return targets


def recolour(images: list[torch.Tensor], rng: random.Random, keep: float = 0.3) -> list[torch.Tensor]:
    """The autoencoder's data, all but `keep` of the time through one random colour map per design (channel order,
    per-channel scale and offset, inversion), alpha untouched. The corpus paints in 12 named colours; trained on
    those alone, the autoencoder turned colours between them (gradients, users' images) into others: a
    brown-to-yellow gradient came back red, random solid colours averaged 18.7 dB."""
    if rng.random() < keep:
        return images
    perm = sorted(range(3), key=lambda _: rng.random())
    scale = torch.tensor([rng.uniform(0.5, 1.2) for _ in range(3)])[:, None, None]
    offset = torch.tensor([rng.uniform(-0.3, 0.3) for _ in range(3)])[:, None, None]
    invert = torch.tensor([rng.random() < 0.2 for _ in range(3)])[:, None, None]
    out = []
    for image in images:
        rgb = (image[perm] * scale + offset).clamp(0, 1)
        out.append(torch.cat([torch.where(invert, 1 - rgb, rgb), image[3:]]))
    return out


def sample_t(rng: random.Random) -> float:
    """Half uniform, half logit-normal with its median at t = 0.73: shapes and colours are decided at high noise,
    where sampling starts. Logit-normal around 0.5 alone left run 1 ignoring the prompt; half of it (run 10) still
    left shapes to be lost above t = 0.8."""
    if rng.random() < 0.5:
        return rng.uniform(0.02, 1.0)
    return 1 / (1 + math.exp(-rng.gauss(HIGH_NOISE_CENTRE, 1.0)))


def lr_at(step: int, total: int, base: float, time_fraction: float = 0.0, warmup: int = 200) -> float:
    """Warm-up over `warmup` steps or the first tenth of the time limit, whichever ends first (a 7-minute GPU
    run of 156 steps never left it); then cosine decay to 10% over the steps or over the time limit, whichever
    ends first."""
    warmed = max((step + 1) / warmup, time_fraction / 0.1)
    if warmed < 1:
        return base * warmed
    progress = min(1.0, max((step - warmup) / max(1, total - warmup), time_fraction))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


class Trainer:
    def __init__(self, args):
        self.args = args
        self.out = Path(args.out)
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        if self.distributed:
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
            self.rank, self.world = dist.get_rank(), dist.get_world_size()
            local = int(os.environ.get("LOCAL_RANK", "0"))
            self.device = torch.device(f"cuda:{local}") if torch.cuda.is_available() else torch.device("cpu")
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
        else:
            self.rank, self.world = 0, 1
            self.device = pick_device(args.device)
        self.main = self.rank == 0
        self.out.mkdir(parents=True, exist_ok=True)
        self.init_dir = Path(args.init) if getattr(args, "init", None) and not args.resume else None
        # Starting from a trained model, its transformer knows its encoder's latents: the autoencoder phase then
        # keeps the latents near the initial encoder's (ANCHOR_WEIGHT), and the latent statistics stay.
        self.state = {"phase": "ae", "ae_step": 0, "dit_step": 0, "planner_step": 0, "planner_ready": False,
                      "anchored": self.init_dir is not None}
        self.init_report: dict = {}
        if getattr(args, "init", None) and args.resume:
            raise UserError("--init starts a new run from a model's weights; --resume goes on with the run's own: "
                            "give one of them")
        if self.init_dir and not (self.init_dir / WEIGHTS_FILE).is_file():
            inside = self.init_dir / "model"
            raise UserError(f"--init {self.init_dir}: no {WEIGHTS_FILE} there (give a model directory"
                            + (f": a run's is {inside})" if (inside / WEIGHTS_FILE).is_file() else ")"))
        ckpt_path = self.out / CHECKPOINT
        ckpt = None
        if args.resume:
            if not ckpt_path.exists():
                raise UserError(f"nothing to resume: {ckpt_path} does not exist")
            ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        # A resumed run keeps its own settings (steps, batch, lr, seed) unless told others; runs from before they
        # were recorded take the defaults, as they did.
        run_settings = (ckpt or {}).get("settings") or {}

        def setting(name: str, default):
            given = getattr(args, name, None)
            return given if given is not None else run_settings.get(name, default)

        args.seed = setting("seed", 0)
        if ckpt is not None:
            self.cfg = ModelConfig.from_json(ckpt["config"], f"the model config in {ckpt_path}")
            self.state = ckpt["state"]
            # A run goes on with its own data (runs from before it was recorded: the corpus, or as told).
            recorded = ckpt.get("data")
            moved = recorded not in (None, "corpus") and not Path(recorded).is_dir()
            if moved and args.data is None:
                raise UserError(f"the run in {self.out} trains on {recorded}, which is no longer there: give the "
                                f"folder's new place with --data")
            if args.data is None:
                args.data = recorded or "corpus"
            elif recorded is not None and data_source(args.data) != recorded and not moved:
                raise UserError(f"--data {args.data}: the run in {self.out} trains on {recorded}; resume it without "
                                f"--data, or start a new run from its model with --init {self.out / 'model'}")
            self._use_data()
        else:
            self._use_data()
            # a PSD folder's captions, read once: every file is decoded for them
            psd_captions = captions_of(self.psd_designs, args.seed) if self.psd_designs is not None else None
            if self.init_dir:
                # The init model's architecture unless a preset is named (a newer preset may add parts, which start
                # fresh); its token table must keep meaning the same words.
                init_cfg = ModelConfig.load(self.init_dir / CONFIG_FILE)
                self.cfg = preset(args.preset) if args.preset else init_cfg
                self.cfg.text.vocab, self.cfg.text.spelled = init_cfg.text.vocab, init_cfg.text.spelled
            else:
                self.cfg = preset(args.preset or "default")
                self.cfg.text.vocab = Tokenizer.build_vocab(
                    psd_captions if psd_captions is not None else
                    captions_of("corpus", args.seed, 100 if self.cfg.name == "tiny" else 1500))
            if psd_captions is not None:  # (and what the init model learnt spelled still)
                self.cfg.text.spelled = sorted(set(self.cfg.text.spelled) |
                                               set(spelled_words(psd_captions, self.cfg.text.vocab)))
        if self.psd_designs is not None and self.main:
            largest = max(max(size) for size in self.cfg.canvas_presets)
            larger = sum(max(size) > largest for size in self.psd_designs.sizes)
            if larger:
                print(f"{larger} of them larger than {largest} px a side, the model's largest canvas: scaled down "
                      f"to it", file=sys.stderr, flush=True)
        torch.manual_seed(args.seed)  # the same initial weights on every rank
        self.model = LayerModel(self.cfg).to(self.device)
        if ckpt is not None:
            if "planner.word_start" not in ckpt["model"] and self.model.planner is not None:
                self.model.planner.word_start = None  # a run started before planners had it
            self.model.load_state_dict(ckpt["model"])
        elif self.init_dir:
            self.init_report = init_from(self.model, self.init_dir / WEIGHTS_FILE)
            self._check_init_fits(init_cfg.name)
            # a fresh word_start is zero: the planner reads as the one it was copied from
            self.state["planner_ready"] = not any(n.startswith("planner.") and n != "planner.word_start"
                                                  for n in self.init_report["fresh"])
        named = dict(self.model.named_parameters())
        if self.init_dir:
            self.state["zero_started"] = [n for n in self.init_report["fresh"]
                                          if n in named and not named[n].detach().any()]
        self.zero_started = {id(named[n]) for n in self.state.get("zero_started", []) if n in named}
        self.initial_encoder = None
        if self.state.get("anchored"):
            self.initial_encoder = copy.deepcopy(self.model.autoencoder.encoder).requires_grad_(False)
            if ckpt is not None:  # the anchor is the encoder the run started from, not the one it resumes with
                self.initial_encoder.load_state_dict(ckpt["initial_encoder"])
        torch.manual_seed(args.seed * 1009 + self.rank)
        self.ae_steps = setting("ae_steps", {"tiny": 2, "default": 1500}.get(self.cfg.name, 20000))
        self.dit_steps = setting("steps", 4000)
        self.planner_steps = setting("planner_steps", 2 if self.cfg.name == "tiny" else 800)
        if self.state["phase"] == "planner" and self.state["dit_step"] < self.dit_steps:
            # resumed for more transformer steps; the planner (its own text features) need not train again
            self.state["phase"] = "dit"
            ckpt["optim"] = None
        self.batch = setting("batch", {"tiny": 2, "default": 12}.get(self.cfg.name, 32))
        self.lr = setting("lr", {"default": 4e-4}.get(self.cfg.name, 3e-4))
        from .corpus import COLOURS

        self.colour_probe = ColourProbe(self.model.text.width, self.cfg.transformer.width, len(COLOURS)).to(self.device)
        if ckpt is not None and ckpt.get("colour_probe") is not None:
            self.colour_probe.load_state_dict(ckpt["colour_probe"])
        elif self.init_dir and (self.init_dir / PROBE_FILE).is_file():
            self.init_report["probe"] = init_from(self.colour_probe, self.init_dir / PROBE_FILE)
        if self.distributed:  # every rank starts from rank 0's weights (the probe was drawn from each rank's seed)
            for module in (self.model, self.colour_probe):
                for tensor in module.state_dict().values():
                    dist.broadcast(tensor, 0)
        self.optim = self._make_optimizer()
        if ckpt is not None and ckpt.get("optim") is not None:
            self.optim.load_state_dict(ckpt["optim"])
        self.decoder_optim = self._make_decoder_optimizer() if self.state["phase"] == "dit" else None
        if ckpt is not None and ckpt.get("decoder_optim") is not None and self.decoder_optim is not None:
            self.decoder_optim.load_state_dict(ckpt["decoder_optim"])
        # On a GPU memory bounds the batch, not arithmetic (the default model's steps wait on the host): blocks keep
        # only their inputs and recompute the rest in the backward pass. On a CPU, arithmetic-bound, it would only
        # cost time (each block's forward runs twice).
        self.model.transformer.recompute = self.model.autoencoder.decoder.recompute = self.device.type != "cpu"
        # bf16 on GPUs (fp16 would need loss scaling); on CPUs only where bf16 is the faster
        self.autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda"
                         else autocast_for(self.device))
        self.started = time.time()
        self.log_file = self.out / "log.jsonl"

    def _check_init_fits(self, init_name: str) -> None:
        """A preset that adds a few parts to the init model's is how models grow; one of another size would copy
        next to nothing and train from scratch without saying so."""
        report, total = self.init_report, len(self.model.state_dict())
        fitted = report["copied"] + len(report["rows_copied"])
        if fitted < total / 2:
            raise UserError(f"--init {self.init_dir} is a '{init_name}' model: only {fitted} of its {total} weights "
                            f"fit the '{self.cfg.name}' preset; leave out --preset to train its own architecture")
        if report["fresh"] and self.main:
            shown = ", ".join(report["fresh"][:4]) + (", ..." if len(report["fresh"]) > 4 else "")
            print(f"--init {self.init_dir}: {len(report['fresh'])} of {total} weights start fresh (not in it, or "
                  f"another shape): {shown}", file=sys.stderr, flush=True)

    # -- parts being trained in the current phase
    def _trainable(self):
        if self.state["phase"] == "ae":
            return self.model.autoencoder
        if self.state["phase"] == "planner":
            return self.model.planner
        return torch.nn.ModuleList([self.model.text, self.model.transformer, self.colour_probe])

    def _make_optimizer(self):
        params = [p for p in self._trainable().parameters() if p.requires_grad]
        return self._adamw(params, self._base_lr())

    def _base_lr(self) -> float:
        return PLANNER_LR if self.state["phase"] == "planner" else self.lr

    def _start_planner(self):
        """Last phase: the planner learns from captions and boxes alone; nothing else changes."""
        self.state["phase"] = "planner"
        self.model.requires_grad_(False)
        self.model.planner.requires_grad_(True)
        self.optim = self._make_optimizer()
        self.decoder_optim = None
        self.checkpoint()

    def _make_decoder_optimizer(self):
        """During the transformer phase the encoder (and so every latent) is frozen, but the decoder keeps
        learning to read those latents: it improves pictures without invalidating the transformer's training."""
        decoder = self.model.autoencoder.decoder
        decoder.requires_grad_(True)
        return self._adamw(decoder.parameters(), self.lr)

    def _adamw(self, params, lr: float):
        # A zero-initialised addition to a trained model (new input convolutions) starts from nothing while the
        # rest only adjusts: at the common rate the decoder's glyph input had moved 0.2 dB in 700 steps.
        params = list(params)
        groups = [{"params": [p for p in params if id(p) not in self.zero_started], "lr_scale": 1.0},
                  {"params": [p for p in params if id(p) in self.zero_started], "lr_scale": ZERO_STARTED_LR_SCALE}]
        groups = [g for g in groups if g["params"]]
        for group in groups:
            group["lr"] = lr * group["lr_scale"]
        # fused on CUDA: a few kernels a step instead of several per parameter tensor (the step is launch-bound)
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99), weight_decay=0.01,
                                 fused=self.device.type == "cuda" or None)

    def enter_transformer_phase(self):
        """The autoencoder frozen; fresh optimisers for the transformer and for the decoder it co-trains."""
        self.state["phase"] = "dit"
        self.model.autoencoder.requires_grad_(False)
        self.optim = self._make_optimizer()
        self.decoder_optim = self._make_decoder_optimizer()

    def train_decoder(self, samples: list[Sample], rng: random.Random) -> torch.Tensor:
        """One step of the decoder alone (every other transformer step), so it learns the latents' noise."""
        with self.autocast:
            loss, _ = self.ae_loss(samples, rng)
        self._update(loss, self.decoder_optim, self.model.autoencoder.decoder.parameters())
        return loss

    def _update(self, loss, optim, params) -> float:
        optim.zero_grad(set_to_none=True)
        loss.backward()
        params = list(params)
        if self.distributed:
            self._all_reduce_grads(params)
        grad_norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        if not torch.isfinite(loss):
            raise RuntimeError(f"loss became {float(loss)} in phase {self.state['phase']}")
        optim.step()
        return float(grad_norm)

    def _all_reduce_grads(self, params):
        """Data parallel: average gradients over ranks in one flat buffer. Phases train different parts with
        parameters that may get no gradient in a step, which a single fixed DDP wrapper does not handle; and a rank
        may draw a step that reaches a parameter (a glyph, a hint) another's does not: that one adds zeros (each
        rank sending only its own gradients made buffers of different sizes, and gloo aborted)."""
        reached = torch.tensor([p.grad is not None for p in params], dtype=torch.float32, device=self.device)
        dist.all_reduce(reached, op=dist.ReduceOp.MAX)
        for p, anywhere in zip(params, reached.tolist()):
            if anywhere and p.grad is None:
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in params if p.grad is not None]
        flat = torch.cat([g.flatten() for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    # -- losses
    def ae_loss(self, samples: list[Sample], rng: random.Random):
        ae = self.model.autoencoder
        anchored = self.state["phase"] == "ae" and self.initial_encoder is not None
        metas, targets = [], []
        for s in samples:
            composite, *images = recolour([s.composite, *s.images], rng)
            # the decoder reads a layer's glyph as often as the transformer is given it
            meta = [(BACKGROUND + i, b, g if rng.random() < hint_rate(i) else None)
                    for i, (b, g) in enumerate(zip(s.boxes, s.glyphs))]
            if rng.random() < 0.3:  # the composite is encoded for decomposition; decode it too sometimes
                images.insert(0, composite)
                meta.insert(0, (COMPOSITE, Box(0, 0, s.width, s.height), None))
            metas.append(meta)
            # the encoder's input and the decoder's target
            targets += [premultiply(image.to(self.device)) for image in images]
        latents = by_shape(ae.encoder, targets)
        drift = []
        if anchored:
            with torch.no_grad():
                initial = by_shape(self.initial_encoder, targets)
            drift = [((z - z0) / ae.latent_scale[:, None, None]).float().pow(2).mean() for z, z0 in zip(latents, initial)]
        # noise: robustness to the sampler's small latent errors
        noisy = iter(z + 0.05 * torch.randn_like(z) for z in latents)
        designs = [[LayerSlot(position, box, next(noisy), glyph) for position, box, glyph in meta] for meta in metas]
        outputs = [img for d in ae.decode_raw(designs) for img in d]
        recon = sum(F.mse_loss(o.float(), t) + 0.5 * F.l1_loss(o.float(), t) for o, t in zip(outputs, targets))
        recon = recon / len(targets)
        if not anchored:
            return recon, {}
        drift = torch.stack(drift).mean()
        extra = {"recon": round(recon.item(), 5), "drift_rms": round(drift.sqrt().item(), 4)}
        return recon + ANCHOR_WEIGHT * drift, extra

    def dit_loss(self, samples: list[Sample], rng: random.Random):
        model, cfg = self.model, self.cfg
        ae = model.autoencoder
        designs, layer_t, layer_given, hints, prompts, grids = [], [], [], [], [], []
        plans = []
        for s in samples:
            n = len(s.images)
            mode = rng.random()
            if mode < 0.45:  # text -> layers
                given = [False] * n
                composite = False
            elif mode < 0.7:  # regeneration: a random subset given, at least one generated
                given = [rng.random() < 0.6 for _ in range(n)]
                given[rng.randrange(n)] = False
                composite = False
            else:  # decomposition: the composite given, the rest generated (sometimes a few given too)
                given = [rng.random() < 0.1 for _ in range(n)]
                given[rng.randrange(n)] = False
                composite = True
            plans.append((given, composite, sample_t(rng)))
        with torch.no_grad():  # every layer and composite of the batch encoded in one call per size
            images = [img for s in samples for img in s.images]
            images += [s.composite for s, (_, composite, _) in zip(samples, plans) if composite]
            encoded = iter(by_shape(lambda x: ae.encode(x).float(), [img.to(self.device) for img in images]))
            per_design = [[next(encoded) for _ in s.images] for s in samples]
        for s, latents, (given, composite, t) in zip(samples, per_design, plans):
            n = len(latents)
            slots, ts, gv, hs = [], [], [], []
            if composite:
                zc = next(encoded)
                slots.append(LayerSlot(COMPOSITE, Box(0, 0, s.width, s.height), zc))
                ts.append(0.0), gv.append(True), hs.append("")
                grids.append(composite_grid(patchify(zc), s.height // cfg.grid, s.width // cfg.grid))
            else:
                grids.append(None)
            for i in range(n):
                rate = hint_rate(i)
                hinted = rng.random() < rate
                # a layer's lettering comes with its description, as the pipeline renders it from the hint or phrase
                slots.append(LayerSlot(BACKGROUND + i, s.boxes[i], latents[i], s.glyphs[i] if hinted else None))
                ts.append(0.0 if given[i] else t)
                gv.append(given[i])
                hs.append(s.layer_captions[i] if hinted else "")
            designs.append(slots)
            layer_t.append(ts), layer_given.append(gv), hints.append(hs)
            prompts.append("" if rng.random() < 0.1 else s.caption)

        packed = pack(designs, ae.latent_channels * 4, cfg.grid, self.device)
        L = packed.layer_pos.shape[1]
        # built on the CPU and moved once (element by element on a GPU, each write is a launch)
        t_tensor = torch.tensor([ts + [0.0] * (L - len(ts)) for ts in layer_t], device=self.device)
        g_tensor = torch.tensor([gv + [True] * (L - len(gv)) for gv in layer_given], device=self.device)
        # noise the generated tokens: x_t = (1 - t) x0 + t eps, target v = eps - x0
        tok_t = t_tensor[torch.arange(len(samples), device=self.device)[:, None], packed.layer][..., None]
        eps = token_noise(packed, cfg.noise_offset)
        x0 = packed.tokens
        packed.tokens = (1 - tok_t) * x0 + tok_t * eps
        target = eps - x0

        text, text_mask, pooled = model.text(prompts)
        flat_hints = [h for hs in hints for h in hs if h]
        hint = torch.zeros(len(samples), L, pooled.shape[-1], device=self.device, dtype=pooled.dtype)
        if flat_hints:
            where = torch.tensor([(i, j) for i, hs in enumerate(hints) for j, h in enumerate(hs) if h])
            hint[where[:, 0], where[:, 1]] = model.text(flat_hints)[2]
        cond = Conditioning(text, text_mask, pooled, t_tensor, g_tensor, hint, *self._composites(grids))
        mid: list = []
        pred = model.transformer(packed, cond, mid=mid).float()
        generated = (~g_tensor)[torch.arange(len(samples), device=self.device)[:, None], packed.layer] & packed.valid
        # every generated layer counts equally, whatever its area
        per_token = ((pred - target) ** 2).mean(-1)
        counts = torch.zeros(len(samples), L, device=self.device).scatter_add_(1, packed.layer, generated.float())
        weight = generated.float() / counts.gather(1, packed.layer).clamp(min=1)
        loss = (per_token * weight).sum() / (counts > 0).sum().clamp(min=1)
        targets = [s.colours for s in samples]
        probe = self.probe_loss(targets, prompts, text, text_mask)
        probe = probe + self.layer_probe_loss(targets, mid[0], packed, generated, counts, layer_given)
        return loss + PROBE_WEIGHT * probe, {"diffusion": round(loss.item(), 5), "probe": round(probe.item(), 4)}

    def planner_loss(self, samples: list[Sample], rng: random.Random):
        """Some prompts are about the look alone ("Make it pop."): the planner learns to deal no phrase then,
        not to name layers "Make" and "Pop"."""
        prompts, captions = [s.caption for s in samples], [s.layer_captions for s in samples]
        words = word_lists(self.model.planner.tokenizer.words)
        for i in range(len(samples)):
            if rng.random() < STYLE_ONLY_RATE:
                prompts[i], captions[i] = style_prompt(rng), []
                continue
            if rng.random() < UNKNOWN_WORDS_RATE:
                prompts[i], captions[i] = reword(prompts[i], captions[i], words, rng)
            if rng.random() < PHRASING_RATE:
                prompts[i], captions[i] = rephrase(prompts[i], captions[i], samples[i].boxes[1:],
                                                   (samples[i].width, samples[i].height), rng)
        return self.model.planner.loss(prompts, captions, [s.boxes[1:] for s in samples],
                                       [(s.width, s.height) for s in samples])

    def probe_loss(self, targets: list[list[int]], prompts: list[str], text, text_mask) -> torch.Tensor:
        """Background colour (cross-entropy) and the set of foreground colours (multi-label), from each caption."""
        rows = [i for i, prompt in enumerate(prompts) if prompt]
        if not rows:
            return text.sum() * 0.0
        multi_hot = torch.zeros(len(rows), self.colour_probe.foreground.out_features)
        for r, i in enumerate(rows):
            multi_hot[r, [c for c in targets[i][1:] if c >= 0]] = 1.0
        multi_hot = multi_hot.to(self.device)
        bg_logits, fg_logits = self.colour_probe.caption(text[rows].float(), text_mask[rows])
        bg_target = torch.tensor([targets[i][0] for i in rows], device=self.device)
        loss = F.binary_cross_entropy_with_logits(fg_logits, multi_hot)
        if (bg_target >= 0).any():
            loss = loss + F.cross_entropy(bg_logits, bg_target, ignore_index=-1)
        return loss

    def layer_probe_loss(self, targets, mid, packed, generated, counts, layer_given) -> torch.Tensor:
        """Each generated layer's colour from its mean token after the double-stream blocks (cross-entropy)."""
        b, L = counts.shape
        sums = torch.zeros(b, L, mid.shape[-1], device=self.device)
        sums = sums.scatter_add(1, packed.layer[..., None].expand(-1, -1, mid.shape[-1]),
                                mid.float() * generated[..., None])
        pooled = sums / counts[..., None].clamp(min=1)
        label = torch.full((b, L), -1, dtype=torch.long)
        for i, (colours, given) in enumerate(zip(targets, layer_given)):
            # slot order: the composite first when given (never generated), then the document's layers
            offset = len(given) - len(colours)
            for j, c in enumerate(colours):
                if not given[offset + j]:
                    label[i, offset + j] = c
        label = label.to(self.device)
        keep = (label >= 0) & (counts > 0)
        if not keep.any():
            return mid.sum() * 0.0
        return F.cross_entropy(self.colour_probe.layer(pooled[keep]), label[keep])

    def _composites(self, grids: list[torch.Tensor | None]):
        """Per design composite token grids (or None) -> one zero-padded (B, rows, cols, 4C) batch and the cells
        each design's own canvas covers."""
        if all(g is None for g in grids):
            return None, None
        rows = max(g.shape[0] for g in grids if g is not None)
        cols = max(g.shape[1] for g in grids if g is not None)
        dim = next(g for g in grids if g is not None).shape[2]
        batch = torch.zeros(len(grids), rows, cols, dim, device=self.device)
        present = torch.zeros(len(grids), rows, cols, dtype=torch.bool, device=self.device)
        for i, g in enumerate(grids):
            if g is not None:
                batch[i, :g.shape[0], :g.shape[1]] = g
                present[i, :g.shape[0], :g.shape[1]] = True
        return batch, present

    # -- loop
    @torch.no_grad()
    def set_latent_stats(self, stream, statistics: bool = True):
        """Per-channel latent statistics (unless the transformer already knows them), and the 1x1 preview map
        fitted by least squares: latent -> mean premultiplied RGBA of each 8x8 cell (a closed-form fit, so it never
        competes with the autoencoder)."""
        ae = self.model.autoencoder
        zs, targets = [], []
        for _ in range(4):
            for s in next(stream):
                for img in s.images:
                    x = img.to(self.device)[None]
                    zs.append(ae.encode_raw(x)[0].flatten(1).float())
                    targets.append(F.avg_pool2d(premultiply(x), 8)[0].flatten(1))
        z, target = torch.cat(zs, dim=1), torch.cat(targets, dim=1)
        if statistics:
            ae.latent_shift.copy_(z.mean(1))
            ae.latent_scale.copy_(z.std(1).clamp(min=1e-3))
        design = torch.cat([z, torch.ones(1, z.shape[1], device=z.device)]).T  # (cells, C + 1)
        solution = torch.linalg.lstsq(design.cpu(), target.T.cpu()).solution.to(z.device)  # (C + 1, 4)
        ae.preview.weight.copy_(solution[:-1].T[:, :, None, None])
        ae.preview.bias.copy_(solution[-1])
        if self.distributed:
            for t in (ae.latent_shift, ae.latent_scale, ae.preview.weight, ae.preview.bias):
                dist.broadcast(t, 0)

    def _agreed(self, *values: float) -> list[float]:
        """Rank 0's values of what every rank must share: by its own clock one rank could stop a step before the
        others (which then wait forever on its gradients), or set another learning rate."""
        if not self.distributed:
            return list(values)
        shared = torch.tensor([float(v) for v in values], dtype=torch.float64, device=self.device)
        dist.broadcast(shared, 0)
        return shared.tolist()

    def _check_ranks_agree(self) -> None:
        """The ranks' weights must be one model: a weight set apart on one rank would never be averaged back."""
        flat = torch.cat([t.detach().double().flatten() for module in (self.model, self.colour_probe)
                          for t in module.state_dict().values() if t.is_floating_point()])
        mix = torch.cos(torch.arange(flat.numel(), device=flat.device, dtype=torch.float64))
        spread = torch.stack([(flat * mix).sum(), -(flat * mix).sum()])
        dist.all_reduce(spread, op=dist.ReduceOp.MAX)
        if float(spread[0] + spread[1]) > 1e-6 * max(1.0, abs(float(spread[0]))):
            raise RuntimeError("the ranks' weights differ: data-parallel training went out of step")

    def log(self, record: dict):
        if not self.main:
            return
        record = {"time_min": round((time.time() - self.started) / 60, 2), **record}
        with open(self.log_file, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)

    def checkpoint(self):
        if self.distributed:
            self._check_ranks_agree()
        self._write_checkpoint()

    def _write_checkpoint(self):
        if not self.main:
            return
        tmp = self.out / (CHECKPOINT + ".tmp")
        try:
            self._save_checkpoint(tmp)
        except BaseException:  # a full disk or Ctrl-C: the last whole checkpoint stays, no half-written one beside it
            tmp.unlink(missing_ok=True)
            raise

    def _save_checkpoint(self, tmp: Path) -> None:
        settings = {"steps": self.dit_steps, "ae_steps": self.ae_steps, "planner_steps": self.planner_steps,
                    "batch": self.batch, "lr": self.lr, "seed": self.args.seed}
        with open(tmp, "wb") as f:  # through a Python file a full disk is an OSError, not torch's cryptic one
            torch.save({"config": self.cfg.to_json(), "state": self.state, "data": self.args.data,
                        "settings": settings, "model": self.model.state_dict(),
                        "optim": self.optim.state_dict(), "colour_probe": self.colour_probe.state_dict(),
                        "decoder_optim": self.decoder_optim.state_dict() if self.decoder_optim else None,
                        "initial_encoder": self.initial_encoder.state_dict() if self.initial_encoder else None}, f)
        tmp.replace(self.out / CHECKPOINT)
        # An untrained planner would deal phrases at random: leave it out until it has trained.
        planner = self.model.planner
        if not self.state.get("planner_ready"):
            self.model.planner = None
        try:
            self.model.save(self.out / "model", dtype=torch.float16)
        finally:
            self.model.planner = planner
        save_weights(self.colour_probe, self.out / "model" / PROBE_FILE)

    def _use_data(self) -> None:
        """Resolve --data; a PSD folder is opened once here (the vocabulary reads it) and its skipped files named."""
        args = self.args
        args.data = data_source(args.data)
        self.psd_designs = None
        if args.data != "corpus":
            from .psd_dataset import check_folder

            check_folder(args.data)
            designs = self.psd_designs = open_psd_folder(args.data)
            if self.main:
                skipped = "".join(f"\n  skipped {path.name}: {reason}" for path, reason in designs.skipped)
                print(f"training on {len(designs)} PSD file{'' if len(designs) == 1 else 's'} in "
                      f"{args.data}{skipped}", file=sys.stderr, flush=True)

    def run(self) -> int:
        args = self.args
        if args.resume:
            self.log({"resumed": str(self.out / CHECKPOINT), "data": args.data, "at": dict(self.state),
                      "steps": self.dit_steps, "ae_steps": self.ae_steps, "planner_steps": self.planner_steps,
                      "batch": self.batch, "lr": self.lr, "seed": args.seed})
            if self.state["phase"] == "planner" and self.state.get("planner_step", 0) >= self.planner_steps:
                self.log({"note": f"this run has finished ({self.state['dit_step']} transformer steps): "
                                  "raise --steps to train it further"})
        if self.init_report:
            self.log({"init": str(self.init_dir), "copied": self.init_report["copied"],
                      "rows_copied": self.init_report["rows_copied"], "fresh": self.init_report["fresh"],
                      "colour_probe": "fresh" if "probe" not in self.init_report else
                      f"{self.init_report['probe']['copied']} tensors copied"})
        data_seed = args.seed + self.state["ae_step"] * 7 + self.state["dit_step"] * 13
        # Designs render on the CPU: one worker keeps up with a CPU step; a GPU step needs several.
        cpus = max(1, (os.cpu_count() or 2) // self.world - 1)
        workers = 0 if self.cfg.name == "tiny" else (min(8, cpus) if self.device.type == "cuda" else 1)
        # The autoencoder is local and its rotary positions relative: it learns as well on small canvases, cheaper.
        ae_canvases = [(w * 2 // 3 // 16 * 16, h * 2 // 3 // 16 * 16) for w, h in self.cfg.canvas_presets]
        ae_stream = batches(args.data, data_seed, self.rank, max(1, self.batch // 2), ae_canvases, workers)
        dit_stream = batches(args.data, data_seed + 1, self.rank, self.batch, self.cfg.canvas_presets, workers)
        rng = random.Random(args.seed * 31 + self.rank + self.state["dit_step"] + self.state["ae_step"])
        deadline = self.started + args.time_limit * 60 if args.time_limit else None
        planner_stream = None  # started with its phase: it needs no workers before then
        t_last = phase_start = time.time()
        waited, since = 0.0, 0  # seconds spent waiting on the data workers, and steps, since the last log line
        # seconds in the step's loss and update, and in the decoder's step, since the last log line: on a GPU the loop
        # ran 3-10x slower than `bench train`'s step, waiting on no data; these say where the rest goes
        stepping, decoding = 0.0, 0.0

        def take(stream):  # a step that mostly waits here wants more workers or cheaper designs, not a faster GPU
            nonlocal waited
            start = time.time()
            samples = next(stream)
            waited += time.time() - start
            return samples

        try:
            while True:
                phase = self.state["phase"]
                key = f"{phase}_step"
                total = {"ae": self.ae_steps, "dit": self.dit_steps, "planner": self.planner_steps}[phase]
                if self.state.get(key, 0) >= total:
                    if phase == "ae":
                        self.set_latent_stats(dit_stream, statistics=not self.state.get("anchored"))
                        phase_start = time.time()
                        self.enter_transformer_phase()
                        self.checkpoint()
                        continue
                    if phase == "dit":
                        self._start_planner()
                        continue
                    break
                step = self.state.get(key, 0)
                time_fraction = ((time.time() - phase_start) / (deadline - phase_start)
                                 if deadline and phase == "dit" else 0.0)
                out_of_time = bool(deadline and time.time() > deadline and phase != "planner")
                out_of_time, time_fraction = self._agreed(out_of_time, time_fraction)
                if out_of_time:
                    self.log({"stopped": "time limit", **self.state})
                    if phase == "dit":  # the planner's few minutes still run: without it layers stay anonymous
                        self._start_planner()
                        continue
                    break
                lr = lr_at(step, total, self._base_lr(), time_fraction)
                for optim in (self.optim, self.decoder_optim):
                    for group in optim.param_groups if optim else []:
                        group["lr"] = lr * group.get("lr_scale", 1.0)
                self.model.train()
                if phase == "planner" and planner_stream is None:
                    planner_stream = batches(args.data, data_seed + 2, self.rank, PLANNER_BATCH, self.cfg.canvas_presets,
                                             workers)
                samples = take({"ae": ae_stream, "dit": dit_stream, "planner": planner_stream}[phase])
                start = time.time()
                with self.autocast:
                    loss, extra = {"ae": self.ae_loss, "dit": self.dit_loss, "planner": self.planner_loss}[phase](
                        samples, rng)
                grad_norm = self._update(loss, self.optim, self._trainable().parameters())  # waits for the device
                stepping += time.time() - start
                if phase == "dit" and step % 2 == 0:
                    samples = take(ae_stream)
                    start = time.time()
                    decoder_loss = self.train_decoder(samples, rng)
                    extra = {**extra, "decoder": round(decoder_loss.item(), 5)}
                    decoding += time.time() - start
                self.state[key] = step + 1
                since += 1
                if phase == "planner":
                    self.state["planner_ready"] = True
                if step % 10 == 0 or step + 1 == total:
                    now = time.time()
                    self.log({"phase": phase, "step": step + 1, "loss": round(loss.item(), 5),
                              "grad": round(grad_norm, 3), "lr": round(lr, 7),
                              "sec_per_step": round((now - t_last) / since, 3),
                              "data_wait": round(waited / since, 3), "seconds_step": round(stepping / since, 3),
                              "seconds_decoder_step": round(decoding / since, 3), **extra})
                    t_last, waited, since, stepping, decoding = now, 0.0, 0, 0.0, 0.0
                if (step + 1) % args.checkpoint_every == 0:
                    self.checkpoint()
        except KeyboardInterrupt:
            if self.main:  # the steps since the last checkpoint are kept, not lost
                print(f"interrupted: saving the checkpoint (phase {self.state['phase']}, step "
                      f"{self.state.get(self.state['phase'] + '_step', 0)}) in {self.out}; add --resume to go on",
                      file=sys.stderr, flush=True)
                self._write_checkpoint()  # no check with the other ranks: they may have stopped already
            raise
        self.checkpoint()
        if self.main:
            print(f"model saved in {self.out / 'model'} (use it with --model {self.out / 'model'})",
                  file=sys.stderr, flush=True)
        if self.distributed:  # together: a rank leaving while rank 0 still wrote the model aborted in gloo
            dist.barrier()
            dist.destroy_process_group()
        return 0


def data_source(data: str | None) -> str:
    """'corpus', or the PSD folder as an absolute path (a resumed run may start from another folder)."""
    return "corpus" if data in (None, "corpus") else str(Path(data).resolve())


def check_train_options(args) -> None:
    """Nonsense numbers are refused before anything is made (a step count below 0 ran as 0, say)."""
    for option in ("steps", "ae_steps", "planner_steps"):
        value = getattr(args, option, None)
        if value is not None and value < 0:
            raise UserError(f"--{option.replace('_', '-')} {value}: must be 0 or more")
    if args.batch is not None and args.batch < 1:
        raise UserError(f"--batch {args.batch}: must be 1 or more")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise UserError(f"--lr {args.lr}: must be a positive number")
    if args.checkpoint_every < 1:
        raise UserError(f"--checkpoint-every {args.checkpoint_every}: must be 1 or more")
    if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise UserError(f"--time-limit {args.time_limit}: must be a positive number of minutes")


@contextmanager
def terminate_as_interrupt():
    """SIGTERM (a job manager, `timeout`, a closed terminal's SIGHUP) stops a run as Ctrl-C does, keeping the steps made
    since the last checkpoint: they were lost, and the model folder still held the weights the run began with."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    stops = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    before = {stop: signal.signal(stop, interrupt) for stop in stops}
    try:
        yield
    finally:
        for stop, handler in before.items():
            signal.signal(stop, handler)


def run_train(args) -> int:
    check_train_options(args)
    out = Path(args.out)
    for folder in (out, *out.parents):  # the nearest part of the path that exists must be a folder
        if folder.exists():
            if not folder.is_dir():
                raise UserError(f"--out {args.out}: {folder} exists and is not a directory")
            break
    if not args.resume and (out / CHECKPOINT).exists():
        raise UserError(f"--out {args.out} already holds a run ({CHECKPOINT}): add --resume to continue it, "
                        "or choose another --out")
    made = [d for d in (out, *out.parents) if not d.exists()]  # deepest first
    try:
        try:
            with terminate_as_interrupt():
                return Trainer(args).run()
        except OSError as exc:  # a full or read-only disk; the last whole checkpoint is kept
            from ..io.atomic import os_error_message

            kept = "; the last checkpoint is kept: add --resume once mended" if (out / CHECKPOINT).exists() else ""
            raise UserError(f"--out {args.out}: {os_error_message(exc, exc.filename or out / CHECKPOINT, 'write')}"
                            f"{kept}") from None
    except BaseException:
        # A run that fails before writing anything leaves no empty folder behind; only folders this run
        # made are removed, and only while empty.
        for directory in made:
            try:
                directory.rmdir()
            except OSError:
                break
        raise
