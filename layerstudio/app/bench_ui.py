"""`layerstudio bench ui`: how smooth the event loop stays while the model generates 8 layers.

A QTimer asks for a tick every 5 ms and records the wall-clock gap between ticks; a gap much over 5 ms is
time the GUI thread could not run (a frozen window if it grows past ~50 ms)."""
from __future__ import annotations

import asyncio
import os
import time

import numpy as np

TICK_MS = 5
BOXES = 8


def eight_boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Eight overlapping boxes on a 4 x 2 grid, each about a third of the canvas side."""
    boxes = []
    for k in range(BOXES):
        col, row = k % 4, k // 4
        x0 = (col * width // 5) // 16 * 16
        y0 = (row * height // 3 + 16) // 16 * 16
        boxes.append((x0, y0, min(width, x0 + width // 3 // 16 * 16 + 16), min(height, y0 + height // 2 // 16 * 16)))
    return boxes


def bench_ui(args) -> dict:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QSettings, QTimer

    from ..document import Box
    from ..engine.pipeline import Pipeline
    from .controller import blank_document
    from .launch import create_app
    from .main_window import MainWindow

    app = create_app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    preset = getattr(args, "preset", None)
    if preset:
        engine = Pipeline.from_preset(preset, device=getattr(args, "device", None) or "cpu")
    else:
        engine = Pipeline.load(getattr(args, "model", None), getattr(args, "device", None))
    width, height = engine.config.canvas_presets[0]
    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "LayerStudio", "bench-ui")
    window = MainWindow(engine=engine, settings=settings, confirm_discard=False)
    window.set_document(blank_document(width, height), None)
    for box in eight_boxes(width, height):
        window.controller.add_box(Box(*box))
    window.prompt_panel.prompt_edit.setPlainText("a poster with a sun, mountains, a title and badges")
    window.prompt_panel.steps_spin.setValue(engine.config.default_steps)
    window.resize(1400, 900)
    window.show()

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000.0)
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)

    async def measure() -> tuple[str, float]:
        await asyncio.sleep(0.3)  # let the window settle before measuring
        finished = loop.create_future()
        window.jobFinished.connect(lambda outcome: finished.done() or finished.set_result(outcome))
        gaps.clear()
        last[0] = time.perf_counter()
        timer.start()
        t0 = time.perf_counter()
        window.generate()
        outcome = await finished
        timer.stop()
        return outcome, time.perf_counter() - t0

    with loop:
        outcome, seconds = loop.run_until_complete(measure())
    window.controller.undo_stack.setClean()
    window.close()
    if outcome != "done":
        from ..errors import UserError

        raise UserError(f"the benchmark job did not finish ({outcome}: {window.last_error})")
    arr = np.array(gaps or [0.0])
    return {
        "max_gap_ms": round(float(arr.max()), 2),
        "p99_gap_ms": round(float(np.percentile(arr, 99)), 2),
        "median_gap_ms": round(float(np.median(arr)), 2),
        "ticks": int(arr.size),
        "job_s": round(seconds, 2),
        "layers": BOXES,
        "canvas": f"{width}x{height}",
        "model": engine.model_id,
        "device": str(engine.device),
    }
