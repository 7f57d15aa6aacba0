"""The engine worker: one background thread runs one job at a time; the GUI awaits it on the qasync loop.

Nothing here touches a widget from the worker thread: progress goes back through
loop.call_soon_threadsafe, and the result through the awaited future."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
from PySide6.QtWidgets import QApplication

from ..engine.request import JobRequest, JobResult


_attached: asyncio.AbstractEventLoop | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """The running qasync loop. Under a Qt event loop that someone else drives (pytest-qt, an embedding
    application) a qasync loop is attached to it, so coroutines run whenever Qt processes events."""
    global _attached
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        import qasync

        app = QApplication.instance()
        if app is None:
            raise RuntimeError("a QApplication must exist before jobs run") from None
        _attached = qasync.QEventLoop(app, already_running=True)
        return _attached


def detach_event_loop() -> None:
    """Undo event_loop()'s attachment (the embedding code is done with jobs), so plain asyncio code
    such as asyncio.run() works again in this thread."""
    global _attached
    if _attached is not None and asyncio._get_running_loop() is _attached:
        asyncio.events._set_running_loop(None)
    _attached = None


class EngineWorker:
    """Owns the pipeline (loaded lazily on the worker thread) and its single thread."""

    def __init__(self, engine=None, loader: Callable[[], object] | None = None):
        self._engine = engine
        self._loader = loader
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layerstudio-engine")
        self._cancel: threading.Event | None = None
        self._lock = threading.Lock()

    @property
    def engine(self):
        return self._engine

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    def _ensure_engine(self):
        with self._lock:
            if self._engine is None:
                if self._loader is None:
                    raise RuntimeError("no engine and no way to load one")
                self._engine = self._loader()
            return self._engine

    async def load(self):
        """Load the engine on the worker thread (the GUI stays live while weights load)."""
        loop = event_loop()
        return await loop.run_in_executor(self._executor, self._ensure_engine)

    async def run(self, request: JobRequest,
                  on_progress: Callable[[int, int, np.ndarray | None], None] | None = None) -> JobResult:
        """Run one job; raises layerstudio.errors.Cancelled when cancel() was called, or the engine's error."""
        if self.busy:
            raise RuntimeError("a job is already running")
        loop = event_loop()
        cancel = self._cancel = threading.Event()
        latest: dict = {}
        guard = threading.Lock()

        def deliver() -> None:  # GUI thread: only the newest progress report is shown
            with guard:
                item = latest.pop("item", None)
            if item is not None and on_progress is not None and not cancel.is_set():
                on_progress(*item)

        def progress(step: int, total: int, preview=None) -> None:  # worker thread
            with guard:
                pending = "item" in latest
                latest["item"] = (step, total, preview)
            if not pending:
                loop.call_soon_threadsafe(deliver)

        def job() -> JobResult:
            engine = self._ensure_engine()
            return engine.run(request, progress=progress, cancel=cancel)

        try:
            return await loop.run_in_executor(self._executor, job)
        finally:
            self._cancel = None

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def shutdown(self) -> None:
        self.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
