"""`layerstudio gui [FILE] [--model DIR] [--device D]`: the desktop app on a qasync event loop."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from ..errors import UserError


def create_app(argv: list[str] | None = None):
    """The QApplication with LayerStudio's identity and theme (reused when one exists)."""
    from PySide6.QtWidgets import QApplication

    from .icons import app_icon
    from .style import apply_theme

    app = QApplication.instance()
    if app is None:
        QApplication.setApplicationName("LayerStudio")
        QApplication.setOrganizationName("LayerStudio")
        QApplication.setApplicationDisplayName("LayerStudio")
        QApplication.setDesktopFileName("io.github.layerstudio.LayerStudio")
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setWindowIcon(app_icon())
        apply_theme(app)
    return app


def run_gui(args) -> int:
    import qasync
    from PySide6.QtCore import QTimer

    from .main_window import MainWindow, default_loader, release_clipboard

    path = getattr(args, "file", None)
    if path and not Path(path).exists():
        raise UserError(f"{path}: no such file")
    if getattr(args, "device", None):  # a bad --device is a command-line error, before any window opens
        from ..engine.device import pick_device

        pick_device(args.device)
    if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        raise UserError("no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); "
                        "the command-line tools (layerstudio generate, ...) work without one")
    app = create_app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(loader=default_loader(getattr(args, "model", None), getattr(args, "device", None)),
                        model_dir=getattr(args, "model", None), autosave=True)
    window.show()

    async def load_model() -> None:
        # Loaded in the background so the window is usable at once and the first Generate need not wait.
        window.model_label.setText("Model: loading…")
        try:
            await window.worker.load()
            window._engine_ready()
        except Exception as exc:  # a missing or broken model: say so; the editor and files still work
            window.model_label.setText("Model: unavailable")
            box = window._error("Cannot load the model", exc)
            box.setInformativeText("Drawing, editing and files work without it. To generate, start with "
                                   "a model folder: layerstudio gui --model DIR")

    def start() -> None:
        # A plain Qt callback, not an asyncio task: the recovery question runs a nested dialog loop.
        if path:
            window.open_file(path)
        else:
            window.offer_recovery()
        asyncio.ensure_future(load_model())

    QTimer.singleShot(0, start)
    with loop:
        loop.run_forever()  # returns when the last window closes
        # A job cancelled by closing the window finishes its clean-up before the widgets are deleted.
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    release_clipboard()
    return 0
