"""Render the real main window after generating a design, for the README and the software centre:

    DISPLAY=:99 python -m layerstudio.app.screenshot resources/screenshot.png [--model DIR] [--seed S]

It draws a poster layout, generates it with the model (the planner names the layers after the objects
it deals them), regenerates one layer (so the variation strip has something to show), selects that layer
and saves the window as a PNG. Without a display it renders
offscreen (the same widgets, no window-manager frame)."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

PROMPT = ("A sky blue cloud at the bottom, a gold sun lower left, the word 'SALE' in crimson at the top and a white "
          "dolphin on the right. A navy background with orange stripes.")


def poster_boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """A plausible poster: a title band, a sun, a mountain band and a badge, on the 16 px grid."""
    g = lambda v: int(round(v / 16)) * 16  # noqa: E731
    return [
        (g(width * 0.10), g(height * 0.55), g(width * 0.95), g(height * 0.95)),  # mountains
        (g(width * 0.55), g(height * 0.12), g(width * 0.85), g(height * 0.45)),  # sun
        (g(width * 0.08), g(height * 0.06), g(width * 0.55), g(height * 0.25)),  # title
        (g(width * 0.08), g(height * 0.70), g(width * 0.30), g(height * 0.90)),  # badge
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", help="model directory (default: the shipped model)")
    parser.add_argument("--preset", help="random-weight preset instead of a model (for trying the tool)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--size", default="1600x1000", help="window size WxH")
    args = parser.parse_args(argv)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import qasync
    from PySide6.QtCore import QSettings, QTemporaryDir

    from ..document import Box
    from ..engine.pipeline import Pipeline
    from .controller import blank_document
    from .launch import create_app
    from .main_window import MainWindow

    app = create_app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    engine = Pipeline.from_preset(args.preset) if args.preset else Pipeline.load(args.model)
    tmp = QTemporaryDir()
    settings = QSettings(os.path.join(tmp.path(), "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(engine=engine, settings=settings, confirm_discard=False)
    w, h = (int(v) for v in args.size.lower().split("x"))
    window.resize(w, h)
    window.show()
    width, height = max(engine.config.canvas_presets, key=lambda p: p[0] * p[1])
    window.set_document(blank_document(width, height, seed=args.seed), None)
    for box in poster_boxes(width, height):
        window.controller.add_box(Box(*box))
    window.prompt_panel.prompt_edit.setPlainText(args.prompt)
    window.prompt_panel.seed_spin.setValue(args.seed)

    async def run() -> int:
        await asyncio.sleep(0.3)
        for step in ("generate", "regenerate"):
            done = loop.create_future()
            window.jobFinished.connect(lambda outcome, f=done: f.done() or f.set_result(outcome))
            if step == "regenerate":  # no hint: a new variation of the same object
                window.controller.select(2)
            getattr(window, step)()
            if await done != "done":
                print(f"{step} failed: {window.last_error}", file=sys.stderr)
                return 1
        window.controller.select(2)
        window.canvas.set_tool("select")  # the selected box with its handles, as when editing it
        window.canvas.fit()
        await asyncio.sleep(0.5)
        window.grab().save(args.out)
        print(f"wrote {args.out}")
        return 0

    with loop:
        code = loop.run_until_complete(run())
    window.controller.undo_stack.setClean()
    window.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
