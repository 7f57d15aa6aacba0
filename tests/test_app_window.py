"""The app shell: autosave and the recovery offer after a crash, navigation, settings, stable objectNames."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from layerstudio.app.controller import blank_document  # noqa: E402
from layerstudio.app.main_window import MainWindow  # noqa: E402
from layerstudio.document import Box, Document, Layer  # noqa: E402
from layerstudio.io.project import load_project  # noqa: E402
from layerstudio.io.recovery import RecoverySession, find_recoverable  # noqa: E402


def window(qtbot, tmp_path, **kw):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine=None, loader=lambda: None, settings=settings, confirm_discard=False, **kw)
    w.set_document(blank_document(128, 128), None)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def crashed_session(directory, document) -> None:
    """An autosave left behind by a process that is gone (its lock names a pid that has exited)."""
    session = RecoverySession(directory).start()
    session.autosave(document, None, "poster")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    lock = json.loads(session.lock_path.read_text())
    lock.update(pid=child.pid, start=None)
    session.lock_path.write_text(json.dumps(lock))


def answer_recovery(button):
    def click():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.objectName() == "recoveryDialog" and w.isVisible():
                w.button(button).click()
                return
        QTimer.singleShot(20, click)
    QTimer.singleShot(20, click)


def test_autosave_while_modified_and_clean_exit(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))
    w = window(qtbot, tmp_path, autosave=True)
    session = w._recovery
    assert session is not None and session.lock_path.exists()
    w.autosave()
    assert not session.autosave_path.exists()  # nothing to keep while unmodified
    w.controller.add_box(Box(16, 16, 64, 64))
    w.prompt_panel.prompt_edit.setPlainText("badge")
    w.autosave()
    w._autosave_future.result(timeout=30)
    saved = load_project(session.autosave_path)
    assert [l.box for l in saved.layers] == [l.box for l in w.document.layers] and saved.prompt == "badge"
    assert find_recoverable(tmp_path / "recovery") == []  # our own session is alive: nothing to offer
    # a merged edit (the opacity slider moving on) is still a change: the next autosave holds it
    w.controller.set_opacity(1, 0.5)
    w.autosave()
    w._autosave_future.result(timeout=30)
    w.controller.set_opacity(1, 0.2)
    assert w.controller.undo_stack.undoText() == "Change Opacity" and w.controller.undo_stack.count() == 3
    w.autosave()
    w._autosave_future.result(timeout=30)
    assert load_project(session.autosave_path).layers[1].opacity == pytest.approx(0.2, abs=1 / 255)
    assert w._save_to(tmp_path / "d.lsproj")
    assert not session.autosave_path.exists()  # saved: the autosave is dropped
    w.close()
    assert not session.lock_path.exists()  # a clean exit leaves nothing to recover


def test_recovery_offer_restores_or_discards(qtbot, tmp_path):
    directory = tmp_path / "recovery"
    layer = Layer(Box(0, 0, 64, 64), np.full((64, 64, 4), 200, np.uint8), name="Title")
    doc = Document(128, 128, "a poster", [Layer(Box(0, 0, 128, 128), name="Background"), layer])
    crashed_session(directory, doc)
    w = window(qtbot, tmp_path)
    answer_recovery(QMessageBox.StandardButton.Yes)
    assert w.offer_recovery(directory)
    assert [l.name for l in w.document.layers] == ["Background", "Title"]
    assert np.array_equal(w.document.layers[1].pixels, layer.pixels)
    assert w.isWindowModified() and w.prompt_panel.prompt == "a poster"
    assert find_recoverable(directory) == []

    crashed_session(directory, doc)
    answer_recovery(QMessageBox.StandardButton.Cancel)  # Not Now (also Esc, or closing the dialog)
    assert not w.offer_recovery(directory)
    assert len(find_recoverable(directory)) == 1  # kept for the next start
    answer_recovery(QMessageBox.StandardButton.No)
    assert not w.offer_recovery(directory)
    assert find_recoverable(directory) == []  # declined: discarded for good
    assert not w.offer_recovery(directory)  # and nothing is offered again


def test_every_crashed_sessions_autosave_is_offered_in_turn(qtbot, tmp_path):
    directory = tmp_path / "recovery"
    docs = [Document(128, 128, prompt, [Layer(Box(0, 0, 128, 128), name="Background")]) for prompt in ("older", "newer")]
    for doc in docs:
        crashed_session(directory, doc)
        time.sleep(0.05)  # saved one after the other
    w = window(qtbot, tmp_path)
    answers, texts = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes], []

    def click():  # each dialog in turn: Discard the newest, then Restore the next
        for dialog in QApplication.topLevelWidgets():
            if isinstance(dialog, QMessageBox) and dialog.objectName() == "recoveryDialog" and dialog.isVisible() \
                    and dialog.text() not in texts:
                texts.append(dialog.text())
                dialog.button(answers.pop(0)).click()
                break
        if answers:
            QTimer.singleShot(20, click)

    QTimer.singleShot(20, click)
    assert w.offer_recovery(directory)
    assert "(1 of 2 unsaved designs)" in texts[0] and "(1 of" not in texts[1]
    assert w.prompt_panel.prompt == "older" and find_recoverable(directory) == []


def test_zoom_and_pan(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    c = w.canvas
    z = c.zoom
    assert not c.horizontalScrollBar().isVisible() and not c.verticalScrollBar().isVisible()  # fitted: no scrolling
    w.act_zoom_in.trigger()
    assert c.zoom == pytest.approx(z * 1.25)
    w.act_zoom_out.trigger()
    assert c.zoom == pytest.approx(z)
    centre = QPointF(c.viewport().rect().center())
    def wheel(modifiers, dy=240):
        QApplication.sendEvent(c.viewport(), QWheelEvent(
            centre, c.viewport().mapToGlobal(centre), QPoint(0, 0), QPoint(0, dy), Qt.MouseButton.NoButton,
            modifiers, Qt.ScrollPhase.NoScrollPhase, False))

    wheel(Qt.KeyboardModifier.ControlModifier)  # Ctrl+wheel zooms
    assert c.zoom > z * 1.3
    assert w.zoom_label.text() == f"{c.zoom * 100:.0f}%"
    zoomed, v = c.zoom, c.verticalScrollBar().value()
    wheel(Qt.KeyboardModifier.NoModifier, -240)  # the wheel alone scrolls
    assert c.zoom == zoomed and c.verticalScrollBar().value() > v
    h, v = c.horizontalScrollBar().value(), c.verticalScrollBar().value()
    wheel(Qt.KeyboardModifier.ShiftModifier, -240)  # Shift+wheel sideways
    assert c.horizontalScrollBar().value() > h and c.verticalScrollBar().value() == v and c.zoom == zoomed
    # middle-button drag pans without drawing a box
    h = c.horizontalScrollBar().value()
    vp = c.viewport()
    QTest.mousePress(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 300))
    QTest.mouseMove(vp, QPoint(250, 300))
    QTest.mouseRelease(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(250, 300))
    assert c.horizontalScrollBar().value() == h + 50
    # space + left drag pans too
    v = c.verticalScrollBar().value()
    QTest.keyPress(c, Qt.Key.Key_Space)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 300))
    QTest.mouseMove(vp, QPoint(300, 260))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 260))
    QTest.keyRelease(c, Qt.Key.Key_Space)
    assert c.verticalScrollBar().value() == v + 40
    assert len(w.document.layers) == 1  # panning drew no box
    w.act_fit.trigger()
    assert c.zoom == pytest.approx(min((vp.width() - 40) / 128, (vp.height() - 40) / 128))
    # a box hanging off the canvas is fitted in with it: its far corner in view
    w.controller.add_box(Box(96, 96, 176, 160))
    w.act_fit.trigger()
    corner = c.mapFromScene(176, 160)
    assert 0 < corner.x() < vp.width() and 0 < corner.y() < vp.height()
    assert c.zoom == pytest.approx(min((vp.width() - 40) / 176, (vp.height() - 40) / 160))
    # one put past the other edge while the view is fitted: the view fits it in at once, no Fit needed
    w.controller.add_box(Box(-64, 16, 16, 80))
    corner = c.mapFromScene(-64, 16)
    assert 0 < corner.x() < vp.width() and 0 < corner.y() < vp.height()


def test_arrow_keys_nudge_the_selected_box(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    w.controller.add_box(Box(16, 16, 48, 48))
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key.Key_Right)
    QTest.keyClick(w.canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert w.document.layers[1].box == Box(32, 80, 64, 112)
    w.act_undo.trigger()
    assert w.document.layers[1].box == Box(32, 16, 64, 48)


def test_gui_without_a_display_is_a_clear_error(monkeypatch):
    from layerstudio import cli

    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("display variables are an X11/Wayland matter")
    assert cli.main(["gui"]) == 2


def test_object_names_and_settings_persist(qtbot, tmp_path):
    from PySide6.QtWidgets import QWidget

    w = window(qtbot, tmp_path)
    for name in ("canvas", "layersPanel", "promptEdit", "seedSpin", "stepsSpin", "generateButton",
                 "regenerateButton", "cancelButton", "progressBar"):
        assert w.findChild(QWidget, name) is not None, name
    w.prompt_panel.steps_spin.setValue(7)
    w.layers_dock.hide()
    w.resize(900, 640)
    w._add_recent(tmp_path / "a.lsproj")
    w._add_recent(tmp_path / "b.lsproj")
    w._add_recent(tmp_path / "a.lsproj")
    w.close()
    again = window(qtbot, tmp_path)
    assert again.prompt_panel.steps_spin.value() != 7  # steps follow the model, not the last session
    assert not again.layers_dock.isVisible()  # dock state restored
    assert [p.rsplit("/", 1)[-1] for p in again.recent_files()] == ["a.lsproj", "b.lsproj"]
    again._fill_recent_menu()
    assert [a.text().split()[-1] for a in again.recent_menu.actions()[:2]] == ["a.lsproj", "b.lsproj"]


def test_bench_ui_measures_event_loop_gaps():
    import os

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-m", "layerstudio", "bench", "ui", "--preset", "tiny", "--json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["layers"] == 8 and result["ticks"] > 0
    assert 0 < result["p99_gap_ms"] <= result["max_gap_ms"]


def test_the_window_opens_at_the_models_first_size_before_it_loads(qtbot, tmp_path):
    from layerstudio.engine.config import preset

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    cfg = preset("tiny")
    cfg.canvas_presets = [(320, 192), (192, 320)]
    cfg.save(model_dir / "config.json")  # no weights: the sizes come from the config alone
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def unloaded():
        w = MainWindow(loader=lambda: None, settings=settings, confirm_discard=False, model_dir=model_dir)
        qtbot.addWidget(w)
        assert w.worker.engine is None
        return w

    w = unloaded()
    assert (w.document.width, w.document.height) == (320, 192)
    assert w.canvas_presets() == [(320, 192), (192, 320)]
    (model_dir / "config.json").write_text("{not json")  # a broken model is reported when it loads, not here
    broken = unloaded()
    assert (broken.document.width, broken.document.height) == broken.canvas_presets()[0]
    for bad in ([[256]], [[100, 100]], [[-16, 32]], [[256, 256, 7]]):  # sizes no canvas can have
        cfg.canvas_presets = bad
        cfg.save(model_dir / "config.json")
        w = unloaded()
        assert (w.document.width, w.document.height) == w.canvas_presets()[0] != tuple(bad[0])


def test_side_columns_give_way_to_the_canvas_in_a_small_window(qtbot, tmp_path):
    w = window(qtbot, tmp_path)  # first shown at 1000 x 700: the columns open at 300 and 340 px
    w.resize(800, 560)
    qtbot.waitUntil(lambda: w.canvas.width() >= 800 * 0.4)
    for dock in (w.prompt_dock, w.layers_dock):
        assert dock.width() >= dock.minimumSizeHint().width()
    w.resize(600, 480)  # below the columns' minimums they stop giving way
    qtbot.waitUntil(lambda: w.prompt_dock.width() == w.prompt_dock.minimumSizeHint().width())
    assert w.canvas.width() > 0
    w.save_settings()  # saved while narrowed: the widths the user gave them are what a new window opens with
    again = MainWindow(engine=None, loader=lambda: None, settings=w.settings, confirm_discard=False)
    qtbot.addWidget(again)
    again.resize(1400, 900)
    again.show()
    qtbot.waitUntil(lambda: (again.prompt_dock.width(), again.layers_dock.width()) == (300, 340))
    w.resize(1400, 900)  # room again: back to those widths
    qtbot.waitUntil(lambda: (w.prompt_dock.width(), w.layers_dock.width()) == (300, 340))
    w.resizeDocks([w.layers_dock], [600], Qt.Orientation.Horizontal)  # the user widens a column on purpose
    qtbot.waitUntil(lambda: w.layers_dock.width() == 600)
    w.resize(1400, 899)  # a height change leaves it as the user set it
    qtbot.wait(20)
    assert w.layers_dock.width() == 600
    w.tabifyDockWidget(w.prompt_dock, w.layers_dock)  # tabbed: one column, counted once
    w.resizeDocks([w.layers_dock], [500], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: w.layers_dock.width() == 500)
    w.resize(1300, 899)  # 500 px leaves the canvas more than half: nothing to give
    qtbot.wait(20)
    assert w.layers_dock.width() == 500


def test_a_hint_being_typed_is_saved_and_counts_as_a_change(qtbot, tmp_path, monkeypatch):
    w = window(qtbot, tmp_path)
    w.controller.add_box(Box(16, 16, 64, 64))
    assert w._save_to(tmp_path / "d.lsproj")
    w.controller.select(1)
    edit = w.prompt_panel.hint_edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, "a golden crown")
    assert w.document.layers[1].hint == ""  # not stored until the field is left...
    w.confirm_discard = True
    asked = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel)
    assert not w.maybe_discard() and asked  # ...yet closing asks about it
    assert w._save_to(tmp_path / "d.lsproj")  # and Save writes it
    assert load_project(tmp_path / "d.lsproj").layers[1].hint == "a golden crown"
    assert not w.isWindowModified()


def test_a_long_layer_name_does_not_widen_the_panels(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    w.controller.add_box(Box(16, 16, 64, 64))
    w.controller.select(1)
    qtbot.wait(300)  # the layout settles (50 ms was too short on a loaded machine)
    size, canvas_width = w.size(), w.canvas.width()
    w.controller.rename(1, "A very long layer name " * 5)
    qtbot.wait(300)
    assert w.size() == size and w.canvas.width() == canvas_width
    label = w.prompt_panel.selection_label
    assert label.text().startswith("A very long layer name") and label.toolTip() == label.text()


def test_long_notices_in_a_short_window_scroll_instead_of_running_under_other_widgets(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    w.resize(1024, 560)
    panel = w.prompt_panel
    panel.show_notices(["The prompt is longer than this model reads: it ignored the last 40 words, “" + "x " * 30
                        + "”. Shorten it, or put what matters first."] * 3)
    label = panel.notice_label
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))
    assert not label.geometry().intersects(panel.prompt_edit.geometry())
    below = [panel.generate_button, panel.regenerate_button, panel.progress_bar]
    assert all(label.geometry().bottom() < widget.geometry().top() for widget in below)


def test_layer_names_stay_readable_at_the_smallest_window(qtbot, tmp_path):
    """At 720 x 520 the Layers column is at its minimum: rows shrink the thumbnail, not the name ('red…')."""
    w = window(qtbot, tmp_path)
    for k, name in enumerate(("red star", "White dolphin")):
        w.controller.add_box(Box(16 * k, 16, 16 * k + 64, 64))
        w.controller.rename(k + 1, name)
    w.controller.set_opacity(1, 0.5, merge=False)  # its '50%' label takes room from the name too
    w.resize(720, 520)
    qtbot.waitUntil(lambda: w.size().width() == 720 and w.canvas.width() >= 200)
    qtbot.wait(100)
    panel = w.layers_panel
    delegate, view = panel.view.itemDelegate(), panel.view
    assert view.viewport().width() < 240  # the column really is narrow here
    for i in (1, 2):
        index = panel.model.index(panel.model.row_of(i))
        layer = w.document.layers[i]
        rect, shown = delegate.name_shown(view.visualRect(index), delegate.name_font(view.font()), layer.name,
                                          layer.opacity)
        assert shown == layer.name, (shown, rect.width())


def test_new_document_custom_size_out_of_range_is_explained_not_cut(qtbot):
    """Typing past the limits kept the digits that fit ('5000' became 500) or reverted (1) without a word: now the
    number stays as typed, a message names the side and its limit, and OK refuses it until it is put right."""
    from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel

    from layerstudio.app.dialogs import NewDocumentDialog

    dialog = NewDocumentDialog([(256, 256)], (512, 512))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    assert dialog.combo.currentData() is None  # 512 x 512 is no preset here: Custom
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    spin = dialog.width_spin

    def type_width(text):
        spin.setFocus()
        spin.selectAll()
        QTest.keyClicks(spin, text)

    for typed, words in (("5000", ("Width 5000 px is too large", "4096")), ("123456", ("123456 px is too large",)),
                         ("1", ("Width 1 px is too small", "16"))):
        type_width(typed)
        assert spin.value() == int(typed)  # every digit typed is kept
        ok.click()
        message = dialog.findChild(QLabel, "errorLabel")
        assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
        assert message.isVisible() and all(w in message.text() for w in words), message.text()
        assert dialog.height() >= dialog.sizeHint().height()  # the message takes no room from the form
        assert dialog.focusWidget() is spin  # where to put it right
    type_width("300")
    assert not message.isVisible()  # put right: the message goes
    ok.click()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.canvas_size() == (304, 512)
    spin.setValue(4096)
    spin.stepUp()  # the arrows stay within the limits
    assert spin.value() == 4096


def test_dragging_a_locked_layers_corner_says_why_nothing_happens(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    w.controller.add_box(Box(16, 16, 64, 64))
    w.canvas.set_tool("select")
    w.controller.select(1)
    said = []
    w.canvas.message.connect(said.append)
    vp = w.canvas.viewport()
    corner, away = w.canvas.mapFromScene(64, 64), w.canvas.mapFromScene(96, 96)

    def drag_corner():
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, corner)
        QTest.mouseMove(vp, away)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, away)

    w.controller.set_locked(1, True)
    drag_corner()
    assert w.document.layers[1].box == Box(16, 16, 64, 64)  # neither resized nor moved
    assert said and "is locked: unlock it to resize it" in said[-1]
    w.controller.set_locked(1, False)
    drag_corner()
    assert w.document.layers[1].box == Box(16, 16, 96, 96)


def test_a_box_dragged_off_the_canvas_stays_and_the_message_says_so_plainly(qtbot, tmp_path):
    from layerstudio.document import LayoutError

    w = window(qtbot, tmp_path)
    w.controller.add_box(Box(16, 16, 48, 48))
    w.controller.rename(1, "Word 'HOME'")
    with pytest.raises(LayoutError) as info:
        w.controller.set_box(1, Box(400, 16, 432, 48))
    assert str(info.value) == "layer “Word 'HOME'” would be entirely off the 128 x 128 canvas: it stays where it was"
    assert w.document.layers[1].box == Box(16, 16, 48, 48)


def test_exporting_pngs_over_an_earlier_export_asks_first(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    w.confirm_discard = True  # the dialogs a user sees
    w.controller.add_box(Box(16, 16, 48, 48))
    out = tmp_path / "pngs"
    assert w.export_pngs(out)  # a new folder: nothing to ask
    before = (out / "layout.json").read_bytes()
    w.controller.add_box(Box(64, 64, 96, 96))
    asked = []

    def answer(button):
        for dialog in QApplication.topLevelWidgets():
            if isinstance(dialog, QMessageBox) and dialog.objectName() == "replaceExportDialog" and dialog.isVisible():
                asked.append(dialog.text())
                dialog.button(button).click()
                return
        QTimer.singleShot(20, lambda: answer(button))

    QTimer.singleShot(20, lambda: answer(QMessageBox.StandardButton.Cancel))
    assert not w.export_pngs(out)
    assert (out / "layout.json").read_bytes() == before and "holds an earlier export" in asked[-1]
    QTimer.singleShot(20, lambda: answer(QMessageBox.StandardButton.Yes))
    assert w.export_pngs(out)
    assert len(asked) == 2 and len(list((out / "layers").iterdir())) == 3
    w.confirm_discard = False  # closing the unsaved design would ask too
