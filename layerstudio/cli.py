"""The `layerstudio` command. Argument parsing lives here; each subcommand's work is imported lazily
so `--help` and `info` stay fast and the GUI does not pay for the CLI."""
from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

from . import __version__
from .document import LayoutError
from .errors import Cancelled, UserError

# subcommand -> "module:function"; the function takes the parsed args and returns an exit code.
HANDLERS = {
    "gui": "layerstudio.app.launch:run_gui",
    "generate": "layerstudio.io.commands:run_generate",
    "regenerate": "layerstudio.io.commands:run_regenerate",
    "decompose": "layerstudio.io.commands:run_decompose",
    "train": "layerstudio.training.train:run_train",
    "eval": "layerstudio.training.evaluate:run_eval",
    "bench": "layerstudio.bench:run_bench",
    "info": "layerstudio.cli:run_info",
}


def _add_engine_options(p: argparse.ArgumentParser,
                        model_default: str = "the shipped model") -> None:
    p.add_argument("--model", help=f"model directory (config.json + model.safetensors); default: {model_default}")
    p.add_argument("--device", help="cpu, cuda, cuda:N or mps; default: CUDA, then MPS, then CPU")


def _add_job_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int,
                   help="random seed (default: the layout's for generate, the layer's + 1 for regenerate, else 0)")
    p.add_argument("--steps", type=int, help="sampling steps (default: the model's)")
    p.add_argument("--guidance", type=float, help="classifier-free guidance scale (default: the model's)")
    p.add_argument("--out", required=True, help="OUT.psd, OUT.lsproj, or a directory for PNGs + layout.json")
    _add_engine_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layerstudio",
        description="Layered, transparent designs from anonymous boxes and one prompt.",
    )
    parser.add_argument("--version", action="version", version=f"layerstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gui", help="open the desktop app (the default)")
    p.add_argument("file", nargs="?", help="a .lsproj project or .psd to open")
    _add_engine_options(p)

    p = sub.add_parser("generate", help="generate a layered design from a prompt and boxes")
    p.add_argument("--prompt", help="the global prompt (with --layout: replaces the file's prompt)")
    p.add_argument("--box", action="append", default=[], metavar="x0,y0,x1,y1", help="a foreground box (repeatable)")
    p.add_argument("--size", metavar="WxH", help="canvas size, e.g. 512x512")
    p.add_argument("--layout", help="a layout JSON file (canvas, prompt, boxes, seed) instead of --box/--size; "
                                    "--prompt and --seed, if given, replace its prompt and seed")
    _add_job_options(p)

    p = sub.add_parser("regenerate", help="regenerate one layer of a project, keeping the others")
    p.add_argument("project", help="a .lsproj project or a .psd")
    p.add_argument("--layer", type=int, required=True, help="layer index, 0 = background, bottom to top")
    p.add_argument("--hint", help="extra text for this layer only")
    _add_job_options(p)

    p = sub.add_parser("decompose", help="split an image into layers inside the given boxes")
    p.add_argument("image", help="an image file (PNG, JPEG, ...)")
    p.add_argument("--box", action="append", default=[], metavar="x0,y0,x1,y1", help="a foreground box (repeatable)")
    p.add_argument("--prompt", default="", help="what the image shows")
    _add_job_options(p)

    p = sub.add_parser("train", help="train a model on the procedural corpus or a folder of PSDs")
    p.add_argument("--preset", help="tiny, default or large (default: default; with --init, the init model's; "
                                    "ignored when resuming)")
    p.add_argument("--out", required=True, help="run directory: checkpoints, log, final weights")
    p.add_argument("--data", help="'corpus' or a folder of PSD files (default: corpus; when resuming: the run's)")
    # when resuming, each of these not given is the run's own
    p.add_argument("--steps", type=int, help="transformer optimisation steps (default 4000; when resuming: the run's)")
    p.add_argument("--ae-steps", type=int, help="autoencoder steps before the transformer (default: preset's)")
    p.add_argument("--planner-steps", type=int,
                   help="steps of the planner (which prompt object goes in which box), trained last (default 800)")
    p.add_argument("--batch", type=int, help="designs per step (default: preset's; when resuming: the run's)")
    p.add_argument("--lr", type=float, help="learning rate (default: preset's; when resuming: the run's)")
    p.add_argument("--seed", type=int, help="seed of the initial weights and the data order (default 0)")
    p.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints (default 200)")
    p.add_argument("--time-limit", type=float, help="stop cleanly (with a checkpoint) after this many minutes; the "
                                                    "planner's short last phase still runs")
    p.add_argument("--resume", action="store_true", help="continue from the run directory's checkpoint")
    p.add_argument("--init", metavar="MODEL_DIR",
                   help="start from a trained model's weights (e.g. fine-tune the shipped model on your PSDs); "
                        "with --ae-steps 0 its autoencoder is kept as it is")
    p.add_argument("--device", help="cpu, cuda or mps; under torchrun each rank takes its own GPU")

    p = sub.add_parser("eval", help="measure a model on a seeded held-out set of corpus layouts")
    p.add_argument("--count", type=int, default=32, help="held-out designs (default 32)")
    p.add_argument("--seed", type=int, default=10_000_000, help="held-out corpus seed")
    p.add_argument("--steps", type=int, help="sampling steps (default: the model's)")
    p.add_argument("--sheet", help="write a contact sheet PNG here")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_engine_options(p)

    p = sub.add_parser("bench", help="benchmarks: attention, regenerate, ui, export, train")
    p.add_argument("which", choices=["attention", "regenerate", "ui", "export", "train"])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--preset", help="model preset for engine benchmarks (default: per benchmark)")
    p.add_argument("--batches", help="train: comma-separated batch sizes (default 48,96,192 on CUDA, else 4,8,16)")
    _add_engine_options(p, "the shipped model for train; random weights of --preset for attention and regenerate")

    p = sub.add_parser("info", help="versions, device and default model")
    _add_engine_options(p)
    return parser


def run_info(args) -> int:
    import torch

    from . import DEFAULT_MODEL_DIR
    from .engine.device import pick_device

    device = pick_device(args.device)  # first: a bad --device is the only output, not a half-printed report
    print(f"layerstudio {__version__}")
    print(f"python      {sys.version.split()[0]}")
    print(f"torch       {torch.__version__}")
    print(f"device      {device}")
    model_dir = DEFAULT_MODEL_DIR if not args.model else args.model
    model_dir = Path(model_dir)
    from .engine.model import CONFIG_FILE, WEIGHTS_FILE

    files = sorted(model_dir.glob("*")) if model_dir.is_dir() else []
    size = sum(f.stat().st_size for f in files if f.is_file())
    lacking = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if not (model_dir / name).is_file()]
    state = ("missing" if not model_dir.is_dir() else
             f"not a model folder: no {' or '.join(lacking)}" if lacking else f"{size / 1e6:.1f} MB")
    print(f"model       {model_dir} ({state})")
    return 0


def join_negative_values(argv: list[str]) -> list[str]:
    """`--box -40,100,80,260` as `--box=-40,100,80,260`: argparse takes a value starting with '-' for an
    option unless it is a plain negative number, and a box off the left or top edge is an ordinary thing."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--":
            out += argv[i:]
            break
        if argv[i] == "--box" and i + 1 < len(argv) and re.match(r"-\d", argv[i + 1]):
            out.append(f"--box={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def _opens_the_app(argv: list[str]) -> bool:
    """`layerstudio`, `layerstudio design.lsproj` and `layerstudio --model DIR` open the app; a mistyped command
    stays an error."""
    if not argv:
        return True
    first = argv[0]
    if first in HANDLERS or first in ("-h", "--help", "--version"):
        return False
    return first.startswith("-") or Path(first).suffix.lower() in (".lsproj", ".psd") or Path(first).exists()


def main(argv: list[str] | None = None) -> int:
    argv = join_negative_values(list(argv if argv is not None else sys.argv[1:]))
    if _opens_the_app(argv):
        argv = ["gui", *argv]
    args = build_parser().parse_args(argv)
    command = args.command
    module_name, func_name = HANDLERS[command].split(":")
    try:
        handler = getattr(importlib.import_module(module_name), func_name)
        return int(handler(args) or 0)
    except (UserError, LayoutError) as exc:
        print(f"layerstudio {command}: error: {exc}", file=sys.stderr)
        return 2
    except Cancelled:
        print(f"layerstudio {command}: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"layerstudio {command}: interrupted", file=sys.stderr)
        return 130


def gui_main() -> int:
    return main(["gui", *sys.argv[1:]])
