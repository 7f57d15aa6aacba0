"""The desktop app, offscreen, on the tiny preset: draw, generate, regenerate, undo, cancel, errors, a live loop."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from layerstudio.app.controller import JOB_RUNNING, blank_document  # noqa: E402
from layerstudio.app.main_window import sentence  # noqa: E402
from layerstudio.app.main_window import MainWindow  # noqa: E402
from layerstudio.document import Box  # noqa: E402

CANVAS = 128
STEPS = 2
JOB_TIMEOUT_MS = 60_000


class Holding:
    """The tiny pipeline, held at its first progress report until the test lets it go (or cancels).
    The real pipeline still runs, checks `cancel` between steps and raises Cancelled."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.reached = threading.Event()
        self.release = threading.Event()
        self.config, self.model_id, self.device = pipe.config, pipe.model_id, pipe.device

    def run(self, request, progress=None, cancel=None):
        def held(step, total, preview):
            if progress is not None:
                progress(step, total, preview)
            if step == 1:
                self.reached.set()
                while not (self.release.is_set() or (cancel is not None and cancel.is_set())):
                    time.sleep(0.005)
        return self.pipe.run(request, held, cancel)


class Failing:
    def __init__(self, pipe):
        self.config, self.model_id, self.device = pipe.config, pipe.model_id, pipe.device

    def run(self, request, progress=None, cancel=None):
        raise RuntimeError("the engine ran out of memory (simulated)")


def make_window(qtbot, tmp_path, engine, prompt="plain white"):
    """`prompt`: Generate refuses an empty one; this one names no object, so boxes keep their names."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine=engine, settings=settings, confirm_discard=False)
    w.set_document(replace(blank_document(CANVAS, CANVAS), prompt=prompt), None)
    w.prompt_panel.steps_spin.setValue(STEPS)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.canvas.fit()
    return w


def drag(canvas, a, b, button=Qt.MouseButton.LeftButton):
    vp = canvas.viewport()
    pa, pb = canvas.mapFromScene(*a), canvas.mapFromScene(*b)
    QTest.mousePress(vp, button, Qt.KeyboardModifier.NoModifier, pa)
    QTest.mouseMove(vp, (pa + pb) / 2)
    QTest.mouseMove(vp, pb)
    QTest.mouseRelease(vp, button, Qt.KeyboardModifier.NoModifier, pb)


def draw_three(w):
    w.canvas.set_tool("box")
    drag(w.canvas, (5, 6), (60, 50))
    drag(w.canvas, (70, 20), (120, 90))
    drag(w.canvas, (20, 70), (75, 124))


def run_job(qtbot, w, button):
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        button.click()
    return blocker.args[0]


def pixels(doc):
    return [l.pixels.copy() for l in doc.layers]


def click_row(w, doc_index):
    view = w.layers_panel.view
    rect = view.visualRect(w.layers_panel.model.index(w.layers_panel.model.row_of(doc_index)))
    # the name, right of the eye and lock toggles
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(rect.left() + 150, rect.center().y()))


def test_draw_generate_regenerate_undo(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny, prompt="")
    draw_three(w)
    doc = w.document
    assert len(doc.layers) == 4
    assert w.findChild(type(w.layers_panel), "layersPanel").model.rowCount() == 4
    for layer in doc.layers[1:]:  # what the user sees is what the model gets: snapped boxes
        assert all(v % 16 == 0 for v in layer.box.as_tuple())
        assert layer.is_empty
    assert doc.layers[1].box.as_tuple() == (0, 0, 64, 64)

    QTest.keyClicks(w.findChild(type(w.prompt_panel.prompt_edit), "promptEdit"), "a red sun over blue hills")
    assert run_job(qtbot, w, w.findChild(type(w.prompt_panel.generate_button), "generateButton")) == "done"
    doc = w.document
    assert doc.prompt == "a red sun over blue hills"
    assert all(l.provenance is not None and l.provenance.model_id == tiny.model_id for l in doc.layers)
    assert [l.pixels.shape[:2] for l in doc.layers[1:]] == [(l.box.height, l.box.width) for l in doc.layers[1:]]
    assert w.isWindowModified()
    generated = pixels(doc)

    click_row(w, 2)
    assert w.controller.selected == 2
    assert w.canvas.controller.selected == 2
    w.prompt_panel.hint_edit.setText("brighter")
    assert run_job(qtbot, w, w.prompt_panel.regenerate_button) == "done"
    after = w.document
    for i in (0, 1, 3):  # every other layer bit-identical
        assert np.array_equal(after.layers[i].pixels, generated[i])
    assert not np.array_equal(after.layers[2].pixels, generated[2])
    assert after.layers[2].hint == "brighter"
    assert len(after.layers[2].variations) == 1
    assert np.array_equal(after.layers[2].variations[0].pixels, generated[2])
    regenerated = after.layers[2].pixels.copy()

    w.act_undo.trigger()
    assert np.array_equal(w.document.layers[2].pixels, generated[2])
    assert w.document.layers[2].variations == []
    w.act_redo.trigger()
    assert np.array_equal(w.document.layers[2].pixels, regenerated)

    # The variation strip (oldest first) flips back to the earlier result, as one undo step.
    strip = w.layers_panel.variations
    assert strip.count() == 2
    strip.itemClicked.emit(strip.item(0))
    assert np.array_equal(w.document.layers[2].pixels, generated[2])
    assert np.array_equal(w.document.layers[2].variations[0].pixels, regenerated)
    w.act_undo.trigger()
    assert np.array_equal(w.document.layers[2].pixels, regenerated)

    # Undo all the way: back to the empty boxes, then nothing; the window is clean again.
    while w.controller.undo_stack.canUndo():
        w.act_undo.trigger()
    assert len(w.document.layers) == 1 and not w.isWindowModified()


def test_regenerating_a_layer_keeps_what_generate_said_of_the_design(qtbot, tmp_path):
    from layerstudio.engine.pipeline import Pipeline
    from test_planner import oracle_planner

    prompt = "a red star, a blue moon, a green tree and a yellow sun on white"
    engine = Pipeline.from_preset("tiny", seed=0)
    engine.model.planner = oracle_planner(prompt, ["white", "a red star", "a blue moon", "a green tree", "a yellow sun"])
    w = make_window(qtbot, tmp_path, engine, prompt=prompt)
    draw_three(w)
    notice = w.prompt_panel.notice_label
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    assert notice.isVisible() and "got no box" in notice.text()
    w.controller.select(1)
    assert run_job(qtbot, w, w.prompt_panel.regenerate_button) == "done"
    assert notice.isVisible() and "got no box" in notice.text()  # it gave them none; the design says so still
    shown = len(notice.text().split("\n"))  # the status bar counts every note shown, not the regenerate's own
    assert f"({shown} note{'s' if shown > 1 else ''} under the prompt)" in w.statusBar().currentMessage()


def test_the_notice_follows_each_regenerate(qtbot, tmp_path):
    """A regenerate's notice tells of that layer as it is now: redrawn from a hint of its own, the duplicate it
    told of is gone and so is the notice, while what Generate said of the rest of the design stays."""
    from layerstudio.engine.pipeline import Pipeline
    from test_planner import oracle_planner

    prompt = "a yellow sun, a red house and a blue boat on white"
    engine = Pipeline.from_preset("tiny", seed=0)
    engine.model.planner = oracle_planner(prompt, ["white", "a yellow sun", "a red house", "a blue boat"])
    w = make_window(qtbot, tmp_path, engine, prompt=prompt)
    draw_three(w)
    w.canvas.set_tool("box")
    drag(w.canvas, (80, 95), (125, 125))  # a fourth box for three objects: one is drawn twice
    notice = w.prompt_panel.notice_label
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    assert "drawn more than once" in notice.text()
    phrases = [l.provenance.phrase.lower() for l in w.document.layers]
    twice = next(i for i in range(2, len(phrases)) if phrases[i] in phrases[1:i])
    again = f"“{w.document.layers[twice].provenance.phrase}” is drawn again"

    w.controller.select(twice)
    assert run_job(qtbot, w, w.prompt_panel.regenerate_button) == "done"
    assert notice.isVisible() and again in notice.text()
    assert "drawn more than once" in notice.text()  # Generate's word on the design holds still

    w.controller.select(twice)
    w.prompt_panel.hint_edit.setText("a green heart")
    assert run_job(qtbot, w, w.prompt_panel.regenerate_button) == "done"
    assert w.document.layers[twice].name == "Green heart"
    assert again not in notice.text() and "drawn more than once" not in notice.text()
    assert not notice.isVisible()

    # A layer's notice goes with the layer.
    w.act_undo.trigger()
    w.controller.select(twice)
    assert run_job(qtbot, w, w.prompt_panel.regenerate_button) == "done"
    assert again in notice.text()
    w.controller.delete_layer(twice, "Delete")
    assert again not in notice.text()


def test_what_generate_said_of_a_layer_goes_when_the_layer_is_deleted(qtbot, tmp_path):
    from layerstudio.engine.pipeline import Pipeline
    from test_planner import oracle_planner

    prompt = "a red and blue ball and a yellow star on white"
    engine = Pipeline.from_preset("tiny", seed=0)
    engine.model.planner = oracle_planner(prompt, ["white", "a red and blue ball", "a yellow star"])
    w = make_window(qtbot, tmp_path, engine, prompt=prompt)
    w.canvas.set_tool("box")
    drag(w.canvas, (5, 6), (60, 50))
    drag(w.canvas, (70, 20), (120, 90))
    notice = w.prompt_panel.notice_label
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    said = "“a red and blue ball” is drawn in red"
    assert said in notice.text()
    ball = next(i for i, l in enumerate(w.document.layers) if l.provenance.phrase == "a red and blue ball")
    w.controller.delete_layer(3 - ball, "Delete")  # the star: nothing said of the ball goes
    assert said in notice.text()
    w.act_undo.trigger()  # (undo takes a job's notices away; a new job says them again)
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    w.controller.delete_layer(ball, "Delete")
    assert "ball" not in notice.text()


def test_a_lock_note_from_import_outlives_a_regenerate(qtbot, tmp_path, tiny):
    from PIL import Image

    w = make_window(qtbot, tmp_path, tiny)
    draw_three(w)
    Image.fromarray(np.full((CANVAS, CANVAS, 3), (30, 90, 200), np.uint8)).save(tmp_path / "photo.png")
    w.controller.set_locked(0, True)
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS):
        w.import_image(tmp_path / "photo.png")
    notice = w.prompt_panel.notice_label
    assert notice.isVisible() and "Layer “Background” is locked and was kept" in notice.text()
    w.controller.select(len(w.document.layers) - 1)
    assert run_job(qtbot, w, w.prompt_panel.regenerate_button) == "done"
    assert notice.isVisible() and "Layer “Background” is locked and was kept" in notice.text()


def test_a_long_prompt_shows_what_the_model_did_not_read_until_edited(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny)
    draw_three(w)
    notice = w.prompt_panel.notice_label
    w.prompt_panel.prompt_edit.setPlainText("a red kite and a blue boat and a green tree and a tall house by the sea")
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    assert notice.isVisible() and "by the sea" in notice.text()
    w.prompt_panel.hint_edit.setText("bigger")  # typing a hint moves nothing under the mouse
    assert notice.isVisible()
    w.act_undo.trigger()  # the job it told of is undone
    assert not notice.isVisible()
    w.act_redo.trigger()
    w.prompt_panel.prompt_edit.setPlainText("a red kite")
    assert not notice.isVisible()
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    # (the tiny model's random planner may deal a layer words naming nothing it draws, and say so)
    assert "longer than this model reads" not in notice.text()


def test_cancel_mid_job_leaves_document_unchanged(qtbot, tmp_path, tiny):
    engine = Holding(tiny)
    w = make_window(qtbot, tmp_path, engine)
    draw_three(w)
    before, index = w.controller.snapshot(), w.controller.undo_stack.index()
    w.prompt_panel.generate_button.click()
    qtbot.waitUntil(engine.reached.is_set, timeout=JOB_TIMEOUT_MS)
    cancel = w.findChild(type(w.prompt_panel.cancel_button), "cancelButton")
    qtbot.waitUntil(cancel.isEnabled)
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        cancel.click()
    assert blocker.args == ["cancelled"]
    assert w.controller.snapshot() == before  # the very same layer objects
    assert w.controller.undo_stack.index() == index
    assert all(l.is_empty for l in w.document.layers)
    assert w.prompt_panel.generate_button.isEnabled() and not cancel.isEnabled()


def test_quitting_while_a_job_runs_asks_first(qtbot, tmp_path, tiny, monkeypatch):
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QMessageBox

    engine = Holding(tiny)
    w = make_window(qtbot, tmp_path, engine)
    draw_three(w)
    w.prompt_panel.generate_button.click()
    qtbot.waitUntil(engine.reached.is_set, timeout=JOB_TIMEOUT_MS)
    w.confirm_discard = True
    w.controller.undo_stack.setClean()
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()) or QMessageBox.StandardButton.Cancel)
    event = QCloseEvent()
    w.closeEvent(event)
    assert not event.isAccepted() and w.busy and "still running" in asked[0]
    w.confirm_discard = False
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS):
        w.prompt_panel.cancel_button.click()


def test_engine_error_opens_dialog_and_changes_nothing(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, Failing(tiny))
    draw_three(w)
    before, index = w.controller.snapshot(), w.controller.undo_stack.index()
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "error"

    def dialog():
        return next((d for d in QApplication.topLevelWidgets()
                     if isinstance(d, QMessageBox) and d.objectName() == "errorDialog" and d.isVisible()), None)

    qtbot.waitUntil(lambda: dialog() is not None)
    box = dialog()
    assert "out of memory" in box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: dialog() is None)
    assert w.controller.snapshot() == before
    assert w.controller.undo_stack.index() == index


def test_event_loop_ticks_and_editing_during_a_job(qtbot, tmp_path, tiny):
    engine = Holding(tiny)
    w = make_window(qtbot, tmp_path, engine)
    draw_three(w)
    ticks = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    w.prompt_panel.generate_button.click()
    qtbot.waitUntil(engine.reached.is_set, timeout=JOB_TIMEOUT_MS)
    # The job is mid-way on the worker thread; the GUI thread keeps running.
    start = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) - start >= 10, timeout=5000)
    assert w.busy and w.prompt_panel.progress_bar.value() == 1
    zoom = w.canvas.zoom
    w.act_zoom_in.trigger()
    assert w.canvas.zoom > zoom
    w.layers_panel.model.setData(w.layers_panel.model.index(w.layers_panel.model.row_of(1)), "Sun")
    w.controller.select(3)
    structure = [l.box for l in w.document.layers]
    drag(w.canvas, (5, 5), (40, 40))  # the layout is frozen while the job runs, and the user is told why
    assert [l.box for l in w.document.layers] == structure
    assert w.statusBar().currentMessage() == sentence(JOB_RUNNING)
    w.statusBar().clearMessage()
    w.canvas.set_tool("select")
    box = w.document.layers[3].box
    drag(w.canvas, (box.x0 + 4, box.y0 + 4), (box.x0 + 30, box.y0 + 30))  # moving a box: the same
    assert [l.box for l in w.document.layers] == structure
    assert w.statusBar().currentMessage() == sentence(JOB_RUNNING)
    w.statusBar().clearMessage()
    QTest.mouseClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     w.canvas.mapFromScene(box.x0 + 4, box.y0 + 4))
    assert w.statusBar().currentMessage() == ""  # a click only selects: nothing to explain
    typed = "a sun and a moon"
    w.prompt_panel.prompt_edit.setPlainText(typed)  # the prompt stays editable
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        engine.release.set()
    timer.stop()
    assert blocker.args == ["done"]
    assert w.document.layers[1].name == "Sun" and not w.document.layers[1].is_empty  # rename kept
    assert w.prompt_panel.prompt == typed == w.document.prompt  # and what was typed meanwhile too
    gaps = np.diff(ticks)
    assert len(gaps) > 10


def test_a_box_drawn_from_grid_line_to_grid_line_is_that_box(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny)
    w.canvas.set_tool("box")
    for zoom in (w.canvas.zoom, 0.7, 3.0):  # the pointer lands a fraction of a pixel off the line
        w.canvas.set_zoom(zoom)
        w.canvas.centerOn(64, 64)
        drag(w.canvas, (32, 32), (96, 80))
        assert w.document.layers[-1].box == Box(32, 32, 96, 80), zoom
        w.controller.undo_stack.undo()
    drag(w.canvas, (35, 30), (90, 81))  # between lines: the cells it touches
    assert w.document.layers[-1].box == Box(32, 16, 96, 96)
    # a box drawn from the corner of the one just drawn (and selected) is a new box beside it, not a resize
    drag(w.canvas, (96, 16), (160, 96))
    assert [layer.box for layer in w.document.layers[-2:]] == [Box(32, 16, 96, 96), Box(96, 16, 160, 96)]


def test_canvas_edit_and_layers_panel(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny)
    draw_three(w)
    c, model = w.controller, w.layers_panel.model
    # select tool: click selects, drag moves by whole grid cells, a handle resizes
    w.canvas.set_tool("select")
    QTest.mouseClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     w.canvas.mapFromScene(100, 40))
    assert c.selected == 2
    assert w.layers_panel.view.selectionModel().selectedRows()[0].row() == model.row_of(2)
    box = w.document.layers[2].box
    drag(w.canvas, (100, 40), (100 - 33, 40 + 17))
    moved = w.document.layers[2].box
    assert (moved.x0 - box.x0, moved.y0 - box.y0) == (-32, 16)
    drag(w.canvas, (moved.x1, moved.y1), (moved.x1 + 30, moved.y1 + 36))  # the edges snap to grid lines
    resized = w.document.layers[2].box
    assert (resized.x0, resized.y0) == (moved.x0, moved.y0)
    assert (resized.x1, resized.y1) == (moved.x1 + 32, moved.y1 + 32)
    assert resized.y1 > CANVAS  # overflow beyond the canvas is allowed
    w.act_undo.trigger()
    assert w.document.layers[2].box == moved

    # panel -> model: rename, visibility, lock, opacity (merged into one step), reorder by drop
    idx = model.index(model.row_of(1))
    model.setData(idx, "Sun")
    assert w.document.layers[1].name == "Sun"
    from layerstudio.app.layers_panel import LockedRole, VisibleRole
    model.setData(idx, False, VisibleRole)
    assert not w.document.layers[1].visible and not w.canvas.layer_item(1).isVisible()
    model.setData(idx, True, LockedRole)
    assert w.document.layers[1].locked
    c.select(3)
    steps = c.undo_stack.count()
    for v in (90, 70, 50):
        w.layers_panel.opacity_slider.setValue(v)
    assert w.document.layers[3].opacity == pytest.approx(0.5)
    assert c.undo_stack.count() == steps + 1
    names = [l.name for l in w.document.layers]
    mime = model.mimeData([model.index(model.row_of(3))])
    from PySide6.QtCore import QModelIndex
    model.dropMimeData(mime, Qt.DropAction.MoveAction, model.row_of(1) + 1, 0, QModelIndex())
    assert [l.name for l in w.document.layers] == [names[0], names[3], names[1], names[2]]
    assert c.selected == 1  # the selection follows the layer
    w.act_undo.trigger()
    assert [l.name for l in w.document.layers] == names
    # delete: the selected layer goes, locked ones and the background refuse
    c.select(3)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key.Key_Backspace)  # Delete, or Backspace as on a laptop
    assert len(w.document.layers) == 3
    c.select(1)
    w.delete_selected()
    assert len(w.document.layers) == 3 and "locked" in w.statusBar().currentMessage()


def test_new_document_presets_and_files(qtbot, tmp_path, tiny):
    from layerstudio.app.dialogs import NewDocumentDialog

    w = make_window(qtbot, tmp_path, tiny)
    dialog = NewDocumentDialog(w.canvas_presets(), (CANVAS, CANVAS), w)
    assert [dialog.combo.itemData(i) for i in range(dialog.combo.count() - 1)] == \
        [tuple(p) for p in tiny.config.canvas_presets]
    dialog.combo.setCurrentIndex(1)
    assert dialog.canvas_size() == tuple(tiny.config.canvas_presets[1])
    dialog.combo.setCurrentIndex(dialog.combo.count() - 1)
    for typed, snapped in ((200, 208), (216, 224), (1000, 1008), (17, 32), (16, 16)):
        dialog.width_spin.setValue(typed)
        assert dialog.canvas_size()[0] == snapped  # up to the grid, like boxes and imported pictures

    draw_three(w)
    w.prompt_panel.prompt_edit.setPlainText("three shapes")
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    project = tmp_path / "design.lsproj"
    assert w._save_to(project) and not w.isWindowModified()
    assert "design.lsproj" in w.windowTitle()
    saved = pixels(w.document)
    w.set_document(blank_document(CANVAS, CANVAS), None)
    assert w.open_file(project)
    assert len(w.document.layers) == 4 and w.prompt_panel.prompt == "three shapes"
    assert all(np.array_equal(a, b) for a, b in zip(pixels(w.document), saved))
    assert w.recent_files()[0] == str(project.resolve())
    assert w.export_psd(tmp_path / "design.psd") and (tmp_path / "design.psd").stat().st_size > 0
    # a broken file: a dialog with a clear message, the open document untouched
    bad = tmp_path / "broken.lsproj"
    bad.write_bytes(b"not a zip")
    before = w.controller.snapshot()
    assert not w.open_file(bad)
    qtbot.waitUntil(lambda: any(isinstance(d, QMessageBox) and d.isVisible() and d.objectName() == "errorDialog"
                                for d in QApplication.topLevelWidgets()))
    for d in QApplication.topLevelWidgets():
        if isinstance(d, QMessageBox) and d.objectName() == "errorDialog":
            d.close()
    assert w.controller.snapshot() == before


def test_import_image_decomposes_into_drawn_boxes(qtbot, tmp_path, tiny):
    from PIL import Image

    w = make_window(qtbot, tmp_path, tiny)
    w.import_image(tmp_path / "missing.png")  # no boxes yet: refused with a message, nothing runs
    qtbot.waitUntil(lambda: any(isinstance(d, QMessageBox) and d.isVisible() for d in QApplication.topLevelWidgets()))
    for d in QApplication.topLevelWidgets():
        if isinstance(d, QMessageBox) and d.objectName() == "errorDialog":
            assert "Draw boxes first" in d.text()
            d.close()
    draw_three(w)
    boxes = [l.box for l in w.document.layers]
    image = np.zeros((64, 64, 3), np.uint8)  # another size: fitted into the canvas
    image[8:40, 8:40] = (220, 40, 30)
    Image.fromarray(image).save(tmp_path / "photo.png")
    steps = w.controller.undo_stack.index()
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        w.import_image(tmp_path / "photo.png")
    assert blocker.args == ["done"]
    assert [l.box for l in w.document.layers] == boxes
    assert all(l.provenance is not None for l in w.document.layers)
    assert w.controller.undo_stack.index() == steps + 1
    w.act_undo.trigger()
    assert all(l.is_empty for l in w.document.layers)
    w.act_redo.trigger()
    assert w.export_pngs(tmp_path / "pngs")
    assert (tmp_path / "pngs" / "composite.png").exists()


def test_import_image_keeps_the_picture_under_a_locked_layer(qtbot, tmp_path, tiny):
    """A locked layer keeps its pixels, and the picture's part in its box is not dropped: it becomes a new layer
    under the locked one (above it, for the background), named in the status bar; one undo takes it all back. Where
    the picture gives a locked box nothing, no empty layer is made."""
    from PIL import Image

    w = make_window(qtbot, tmp_path, tiny)
    draw_three(w)
    image = np.zeros((CANVAS, CANVAS, 3), np.uint8)
    image[70:90, 75:115] = (220, 40, 30)  # in box 2's area
    Image.fromarray(image).save(tmp_path / "photo.png")
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS):
        w.import_image(tmp_path / "photo.png")
    unlocked = pixels(w.document)  # what the picture gives each box with nothing locked
    w.act_undo.trigger()
    # the tiny model's parts: the background all of it, box 1 nothing (the red is in box 2's)
    assert unlocked[0][..., 3].any() and not unlocked[1][..., 3].any()

    w.controller.set_locked(1, True)
    w.controller.set_locked(0, True)
    locked_box, locked_bg = w.document.layers[1], w.document.layers[0]
    steps = w.controller.undo_stack.index()
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        w.import_image(tmp_path / "photo.png")
    assert blocker.args == ["done"]
    doc = w.document
    assert len(doc.layers) == 5  # one new layer: the background's part; box 1's was empty
    assert doc.layers[0] is locked_bg and doc.layers[2] is locked_box  # the lock kept them, in their places
    part = doc.layers[1]
    assert part.box == locked_bg.box and not part.locked and part.visible
    assert np.array_equal(part.pixels, unlocked[0])  # the picture's part, whole
    message = w.statusBar().currentMessage()
    assert f"layer “Background” is locked and was kept; the picture's part in its box is the new layer " \
           f"“{part.name}” above it" in message
    assert "Layer 1" not in message and "Background" in w.prompt_panel.notice_label.text()
    # box 3 (unlocked) held nothing and is told of; box 1's layer, locked, is kept and not called empty
    assert "“Layer 3” is empty" in w.prompt_panel.notice_label.text()
    assert "“Layer 1” is empty" not in w.prompt_panel.notice_label.text()
    w.controller.delete_layer(next(i for i, l in enumerate(doc.layers) if l.name == "Layer 3"), "Delete")
    assert "“Layer 3” is empty" not in w.prompt_panel.notice_label.text()  # deleted, as it advised
    w.act_undo.trigger()
    assert w.controller.undo_stack.index() == steps + 1
    w.act_undo.trigger()
    assert len(w.document.layers) == 4 and w.document.layers[1] is locked_box


def test_zz_plain_asyncio_still_works_after_jobs(qtbot, tmp_path, tiny):
    import asyncio

    from layerstudio.app.worker import detach_event_loop

    w = make_window(qtbot, tmp_path, tiny)
    draw_three(w)
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    detach_event_loop()

    async def answer():
        return 42
    assert asyncio.run(answer()) == 42
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"  # and jobs re-attach


def test_generate_keeps_locked_layers_as_context(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny)
    draw_three(w)
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    first = pixels(w.document)
    w.controller.set_locked(2, True)
    w.prompt_panel.seed_spin.setValue(1234)
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    doc = w.document
    assert np.array_equal(doc.layers[2].pixels, first[2]) and doc.layers[2].variations == []
    for i in (0, 1, 3):
        assert doc.layers[i].seed == 1234 + i
    for i in (1, 3):  # (the tiny random model's opaque background comes out white whatever the seed)
        assert not np.array_equal(doc.layers[i].pixels, first[i])
        assert len(doc.layers[i].variations) == 1  # the first result is kept to flip back to
    # a locked layer refuses regeneration, but moves with its pixels unchanged
    w.controller.select(2)
    assert not w.prompt_panel.regenerate_button.isEnabled()
    box, kept = doc.layers[2].box, doc.layers[2].pixels
    w.canvas.set_tool("select")
    drag(w.canvas, (box.x0 + 8, box.y0 + 8), (box.x0 + 24, box.y0 + 24))
    assert w.document.layers[2].box == box.translated(16, 16)
    assert np.array_equal(w.document.layers[2].pixels, kept)
    # a hidden layer is kept as it is too
    w.controller.set_locked(2, False)
    w.controller.set_visible(3, False)
    hidden = w.document.layers[3].pixels
    w.prompt_panel.seed_spin.setValue(99)
    assert run_job(qtbot, w, w.prompt_panel.generate_button) == "done"
    assert np.array_equal(w.document.layers[3].pixels, hidden)
    assert not np.array_equal(w.document.layers[2].pixels, kept)
