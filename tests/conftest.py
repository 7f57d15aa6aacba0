import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="module")
def tiny():
    """A random-weight tiny pipeline: fast enough for every app test."""
    from layerstudio.engine.pipeline import Pipeline

    return Pipeline.from_preset("tiny", seed=0)


@pytest.fixture(autouse=True, scope="module")
def _detach_loop():
    """App jobs attach a qasync loop to pytest-qt's Qt loop; detach it so later tests can use asyncio."""
    yield
    worker = sys.modules.get("layerstudio.app.worker")
    if worker is not None:
        worker.detach_event_loop()


@pytest.fixture(autouse=True, scope="session")
def _release_clipboard():
    """Copy/paste tests leave layers on the offscreen clipboard, which would crash the interpreter's exit."""
    yield
    if "layerstudio.app.main_window" in sys.modules:
        sys.modules["layerstudio.app.main_window"].release_clipboard()
