"""`layerstudio generate | regenerate | decompose`.

Every argument and input file is checked before the model loads, so bad input costs nothing, exits 2 with
one line and writes nothing. Outputs are written atomically after the job, so a failure or Ctrl-C part way
leaves no half-written file."""
from __future__ import annotations

import difflib
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..document import Box, Document, Layout, LayoutError
from ..document.layout import GRID, MAX_CANVAS_SIDE, MAX_SEED, check_canvas
from ..engine.request import JobRequest
from ..errors import UserError

MAX_STEPS = 1000
MAX_IMAGE_BYTES = 512 << 20


# ------------------------------------------------------------------------------------ arguments
@dataclass
class Output:
    path: Path
    kind: str  # "psd", "lsproj" or "dir"


def parse_output(value: str) -> Output:
    """OUT by suffix: .psd, .lsproj, or a directory for the PNG set: a name without a suffix, one ending
    in a slash, or an existing directory. Any other suffix is refused, so a typo (.pds) or a wrong kind
    (.txt) never quietly becomes a directory."""
    if not value or not value.strip():
        raise UserError("--out is empty")
    try:
        return _parse_output(value)
    except OSError as exc:  # a name too long, say: asking whether it exists already fails
        raise UserError(f"--out {value}: {exc.strerror or exc}") from None


def _parse_output(value: str) -> Output:
    path = Path(value).expanduser()
    suffix = path.suffix.lower()
    kind = {".psd": "psd", ".lsproj": "lsproj"}.get(suffix, "dir")
    if kind == "dir":
        if path.exists() and not path.is_dir():
            raise UserError(f"--out {value}: exists and is not a directory (use .psd or .lsproj for a file)")
        if suffix in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"):
            raise UserError(f"--out {value}: a single image cannot hold layers; use .psd, .lsproj or a directory")
        if suffix and not path.is_dir() and not value.endswith(("/", os.sep)):
            close = difflib.get_close_matches(suffix, [".psd", ".lsproj"], n=1, cutoff=0.5)
            hint = f"did you mean {path.with_suffix(close[0])}? " if close else ""
            raise UserError(f"--out {value}: unknown output type {path.suffix!r}; {hint}use .psd, .lsproj, "
                            f"or a directory name without a suffix")
    elif path.is_dir():
        raise UserError(f"--out {value}: is a directory")
    check_folder_of(path, f"--out {value}")
    return Output(path, kind)


def check_folder_of(path: Path, option: str) -> None:
    """The folder `path` will be written into exists and is writable: checked before the work, not after it."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{option}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UserError(f"{option}: folder {parent} is not writable")


def parse_box(text: str) -> Box:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise UserError(f"--box {text!r}: expected four integers x0,y0,x1,y1")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise UserError(f"--box {text!r}: expected four integers x0,y0,x1,y1") from None
    return Box(*values)


def parse_size(text: str) -> tuple[int, int]:
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise UserError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 512x512") from None
    try:
        check_canvas(width, height)
    except LayoutError as exc:
        raise UserError(f"--size {text}: {exc}") from None
    return width, height


def check_job_options(args) -> None:
    if args.steps is not None and not 1 <= args.steps <= MAX_STEPS:
        raise UserError(f"--steps {args.steps}: must be between 1 and {MAX_STEPS}")
    if args.guidance is not None and (not math.isfinite(args.guidance) or args.guidance < 0):
        raise UserError(f"--guidance {args.guidance}: must be a finite number >= 0")
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise UserError(f"--seed {args.seed}: must be between 0 and {MAX_SEED}")
    if args.model is not None and not Path(args.model).is_dir():
        state = "is not a directory (give the folder holding config.json and the weights)" \
            if Path(args.model).exists() else "model directory does not exist"
        raise UserError(f"--model {args.model}: {state}")
    if args.device is not None:
        from ..engine.device import pick_device

        try:
            pick_device(args.device)
        except UserError:
            raise
        except Exception as exc:
            raise UserError(f"--device {args.device}: {exc}") from None


# ------------------------------------------------------------------------------------- progress
class ProgressBar:
    """A one-line bar on stderr when it is a terminal; silent otherwise (logs and pipes stay clean)."""

    def __init__(self, label: str, stream=None, width: int = 30):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label, self.width = label, width
        self.start = time.monotonic()
        self.drawn = False

    def __call__(self, step: int, total: int, preview=None) -> None:
        if not self.enabled or total <= 0:
            return
        done = int(self.width * min(step, total) / total)
        elapsed = time.monotonic() - self.start
        bar = "#" * done + "-" * (self.width - done)
        self.stream.write(f"\r{self.label} [{bar}] {step}/{total}  {elapsed:5.1f}s")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.enabled and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------------------------- the work
def load_pipeline(args):
    from ..engine.pipeline import Pipeline

    return Pipeline.load(args.model, args.device)


def write_output(document: Document, out: Output) -> None:
    if out.kind == "psd":
        from .psd import export_psd

        export_psd(document, out.path)
    elif out.kind == "lsproj":
        from .project import save_project

        save_project(document, out.path)
    else:
        from .png import export_pngs

        export_pngs(document, out.path)


def _finish(document: Document, out: Output, started: float, steps: int) -> int:
    write_output(document, out)
    n = len(document.layers)
    print(f"wrote {out.path}: {n} layer{'' if n == 1 else 's'} on {document.width} x {document.height}, "
          f"{steps} step{'' if steps == 1 else 's'}, {time.monotonic() - started:.1f} s")
    print("layers (bottom to top): " + ", ".join(layer.name for layer in document.layers))
    return 0


def _job(label: str, pipe, request: JobRequest):
    """Runs the request with a progress bar; warns about anything in how it was read (a long prompt's end)."""
    bar = ProgressBar(label)
    try:
        result = pipe.run(request, bar)
    finally:
        bar.close()
    warn(result.notices)
    return result


def generate_layout(args) -> Layout:
    if args.layout:
        if args.box or args.size:
            raise UserError("--layout gives the canvas and boxes; do not combine it with --box or --size")
        layout = Layout.load(args.layout)
        if args.prompt is not None:
            # --prompt replaces the file's prompt as --seed replaces its seed; say so, as that is easy to miss
            if layout.prompt and layout.prompt != args.prompt:
                shown = layout.prompt if len(layout.prompt) <= 60 else layout.prompt[:57] + "..."
                print(f"layerstudio generate: note: --prompt replaces the prompt of {args.layout} ({shown!r})",
                      file=sys.stderr)
            layout.prompt = args.prompt
    else:
        if args.size is None:
            raise UserError("give --size WxH (or --layout FILE)")
        if args.prompt is None:
            raise UserError("give --prompt TEXT (or --layout FILE)")
        width, height = parse_size(args.size)
        layout = Layout(width, height, args.prompt, [parse_box(b) for b in args.box])
    if not layout.prompt.strip():  # as the app refuses it: with nothing to draw from, boxes get stray marks
        raise UserError("the prompt is empty: say what the design shows, e.g. --prompt \"a red star and the word "
                        "'SALE' on navy\"" + (f" (or write one in {args.layout})" if args.layout else ""))
    if args.seed is not None:
        layout.seed = args.seed
    return layout.validate()


def run_generate(args) -> int:
    check_job_options(args)
    layout = generate_layout(args)
    out = parse_output(args.out)
    started = time.monotonic()
    pipe = load_pipeline(args)
    steps = args.steps or pipe.config.default_steps
    document = Document.from_layout(layout)
    request = JobRequest.generate(document, steps, args.guidance)
    return _finish(_job("generate", pipe, request).apply_to(document), out, started, steps)


def warn(messages: list[str]) -> None:
    for message in messages:
        print(f"layerstudio: warning: {message}", file=sys.stderr)


def load_design(path: str) -> Document:
    p = Path(path)
    if p.suffix.lower() == ".psd":
        from .psd import import_psd

        document, warnings = import_psd(p)
        warn(warnings)
        return document
    from .project import open_project

    document, warnings = open_project(p)  # a damaged layer image opens empty, with a warning
    warn(warnings)
    return document


def run_regenerate(args) -> int:
    check_job_options(args)
    out = parse_output(args.out)
    document = load_design(args.project)
    count = len(document.layers)
    if not 0 <= args.layer < count:
        raise UserError(f"--layer {args.layer}: the design has layers 0..{count - 1} (0 = background)")
    old = document.layers[args.layer]
    if old.locked:
        raise UserError(f"--layer {args.layer}: layer '{old.name}' is locked")
    seed = args.seed if args.seed is not None else (old.seed + 1) % 2**63
    started = time.monotonic()
    pipe = load_pipeline(args)
    steps = args.steps or pipe.config.default_steps
    request = JobRequest.regenerate(document, args.layer, seed, args.hint, steps, args.guidance)
    # The replaced result stays among the layer's variations (JobResult.apply_to).
    return _finish(_job(f"regenerate layer {args.layer}", pipe, request).apply_to(document), out, started, steps)


def read_image(path: str) -> np.ndarray:
    """An image file as RGBA uint8, its size checked from the header before decoding."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    try:
        if not p.is_file():
            raise UserError(f"cannot read image {path}: no such file")
        if p.stat().st_size > MAX_IMAGE_BYTES:
            raise UserError(f"image {path} is larger than {MAX_IMAGE_BYTES >> 20} MB")
        with Image.open(p) as im:
            width, height = im.size
            if width > MAX_CANVAS_SIDE or height > MAX_CANVAS_SIDE:
                raise UserError(f"image {path} is {width} x {height}; at most {MAX_CANVAS_SIDE} x "
                                f"{MAX_CANVAS_SIDE} is supported")
            image = np.array(im.convert("RGBA"), dtype=np.uint8)  # a writable copy
    except UserError:
        raise
    except UnidentifiedImageError:
        raise UserError(f"cannot read image {path}: not an image format Pillow knows") from None
    except OSError as exc:
        raise UserError(f"cannot read image {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # Pillow raises many types on damaged files
        raise UserError(f"cannot read image {path}: damaged ({type(exc).__name__})") from None
    return image


def pad_to_grid(image: np.ndarray) -> tuple[np.ndarray, str]:
    """The canvas is a multiple of GRID px each way: pad right and bottom with transparency (so boxes
    keep their coordinates). Returns the image and a note for the user ("" when nothing was padded)."""
    height, width = image.shape[:2]
    w16, h16 = -(-width // GRID) * GRID, -(-height // GRID) * GRID
    if (w16, h16) == (width, height):
        return image, ""
    check_canvas(w16, h16)
    padded = np.zeros((h16, w16, 4), np.uint8)
    padded[:height, :width] = image
    return padded, (f"{width} x {height} is not a multiple of {GRID} px; padded right and bottom with "
                    f"transparency to {w16} x {h16}")


def run_decompose(args) -> int:
    check_job_options(args)
    out = parse_output(args.out)
    boxes = [parse_box(b) for b in args.box]
    image, note = pad_to_grid(read_image(args.image))
    height, width = image.shape[:2]
    seed = args.seed if args.seed is not None else 0
    Layout(width, height, args.prompt, boxes, seed).validate()
    if note:
        print(f"layerstudio decompose: note: {args.image}: {note}", file=sys.stderr)
    started = time.monotonic()
    pipe = load_pipeline(args)
    steps = args.steps or pipe.config.default_steps
    request = JobRequest.decompose(image, boxes, args.prompt, seed, steps, args.guidance)
    empty = Document(request.width, request.height, args.prompt, [])
    return _finish(_job("decompose", pipe, request).apply_to(empty), out, started, steps)
