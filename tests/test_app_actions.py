"""The app as a user drives it: menu/toolbar actions triggered as QActions (file dialogs patched), per-layer
hints, the variation strip, dock sizes, save and reopen after edits. Offscreen, on the tiny preset."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox  # noqa: E402

from layerstudio.app.controller import blank_document  # noqa: E402
from layerstudio.app.main_window import MainWindow  # noqa: E402
from layerstudio.document import Box, LayoutError  # noqa: E402
from layerstudio.io.project import load_project  # noqa: E402

CANVAS = 128
STEPS = 2
JOB_TIMEOUT_MS = 60_000
PROMPT = "plain white"  # Generate refuses an empty prompt; this one names no object, so boxes keep their names


def make_window(qtbot, tmp_path, engine, size=(1200, 800), prompt=PROMPT):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine=engine, settings=settings, confirm_discard=False)
    w.set_document(replace(blank_document(CANVAS, CANVAS), prompt=prompt), None)
    w.prompt_panel.steps_spin.setValue(STEPS)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    return w


def add_boxes(w):
    for box in (Box(0, 0, 64, 64), Box(64, 16, 128, 96), Box(16, 64, 80, 128)):
        w.controller.add_box(box)


def run_action(qtbot, w, action):
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        action.trigger()
    return blocker.args[0]


def error_dialogs():
    return [d for d in QApplication.topLevelWidgets()
            if isinstance(d, QMessageBox) and d.objectName() == "errorDialog" and d.isVisible()]


def close_error_dialogs():
    for d in error_dialogs():
        d.close()


def test_file_actions_work_from_the_menu(qtbot, tmp_path, tiny, monkeypatch):
    """QAction.triggered carries `checked`; it must never arrive as a path."""
    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    assert run_action(qtbot, w, w.act_generate) == "done"

    psd = tmp_path / "menu.psd"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(psd), "")))
    w.act_export_psd.trigger()
    assert psd.stat().st_size > 0 and not error_dialogs()

    folder = tmp_path / "pngs"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    w.act_export_pngs.trigger()
    assert (folder / "composite.png").exists() and (folder / "layers").is_dir()

    from PIL import Image

    image = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    image[..., 3] = 255
    image[16:48, 16:48, 0] = 230
    Image.fromarray(image, "RGBA").save(tmp_path / "photo.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "photo.png"), "")))
    steps = w.controller.undo_stack.index()
    assert run_action(qtbot, w, w.act_import) == "done"
    assert w.controller.undo_stack.index() == steps + 1
    assert w.controller.undo_stack.undoText() == "Import Image"

    # A cancelled dialog does nothing.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    w.act_export_psd.trigger()
    assert not error_dialogs()

    # The checkable action still gets its state.
    w.act_show_boxes.trigger()
    assert not w.act_show_boxes.isChecked() and not w.canvas.show_boxes
    w.act_show_boxes.trigger()
    assert w.canvas.show_boxes


def test_generate_regenerate_resize_save_reopen(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    w.prompt_panel.seed_spin.setValue(5)
    w.prompt_panel.steps_spin.setValue(3)
    assert run_action(qtbot, w, w.act_generate) == "done"
    w.controller.select(2)
    assert run_action(qtbot, w, w.act_regenerate) == "done"
    assert len(w.document.layers[2].variations) == 1
    w.controller.set_box(2, Box(48, 16, 128, 112))  # a new size: pixels and variations resample
    layer = w.document.layers[2]
    assert layer.variations[0].pixels.shape[:2] == (96, 80)

    path = tmp_path / "edited.lsproj"
    assert w._save_to(path) and not error_dialogs()
    w.set_document(blank_document(CANVAS, CANVAS), None)
    assert w.prompt_panel.seed_spin.value() == 0
    w.prompt_panel.steps_spin.setValue(9)
    assert w.open_file(path)
    assert w.prompt_panel.seed_spin.value() == 5  # Generate draws the same design again
    assert w.prompt_panel.steps_spin.value() == 3  # ... in as many steps
    reopened = w.document.layers[2]
    assert reopened.box == Box(48, 16, 128, 112)
    assert np.array_equal(reopened.pixels, layer.pixels)
    assert np.array_equal(reopened.variations[0].pixels, layer.variations[0].pixels)
    assert len(load_project(path).layers) == 4


def test_the_prompt_is_part_of_the_document(qtbot, tmp_path, tiny):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    w.prompt_panel.prompt_edit.setPlainText("a red star on white")
    assert run_action(qtbot, w, w.act_generate) == "done"
    path = tmp_path / "p.lsproj"
    assert w._save_to(path) and not w.isWindowModified()

    steps = w.controller.undo_stack.count()
    edit = w.prompt_panel.prompt_edit
    edit.setFocus()
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    QTest.keyClicks(edit, "s")  # typing alone is an unsaved change
    assert w.isWindowModified() and w.document.prompt == "a red star on whites"
    assert w.controller.undo_stack.count() == steps + 1  # one step for the typing
    QTest.keyClick(edit, Qt.Key.Key_Backspace)  # typed and deleted again: nothing to save
    assert not w.isWindowModified() and w.document.prompt == "a red star on white"

    w.prompt_panel.prompt_edit.setPlainText("a blue star on black")
    w.controller.select(2)
    assert run_action(qtbot, w, w.act_regenerate) == "done"
    assert w.document.prompt == "a blue star on black" == w.document.layers[2].provenance.prompt
    w.controller.undo_stack.undo()  # the regeneration
    w.controller.undo_stack.undo()  # the prompt edit: the box shows the prompt of that step
    assert w.prompt_panel.prompt == "a red star on white"
    w.prompt_panel.prompt_edit.clear()  # a prompt cleared on purpose is saved cleared
    assert w._save_to(path) and load_project(path).prompt == ""

    # a document's own prompt, stray whitespace and all, is no edit; undo and redo push nothing new
    w.set_document(blank_document(CANVAS, CANVAS, prompt="a red star on white\n"), None)
    assert w.controller.undo_stack.count() == 0 and not w.isWindowModified()
    edit.setFocus()
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    QTest.keyClicks(edit, "x")
    QTest.keyClicks(edit, "y")
    assert w.controller.undo_stack.count() == 1  # one run of typing, one step
    w.layers_panel.view.setFocus()  # leaving the box ends the step
    edit.setFocus()
    QTest.keyClicks(edit, "z")
    assert w.controller.undo_stack.count() == 2
    w.controller.undo_stack.undo()
    w.controller.undo_stack.undo()
    assert w.controller.undo_stack.count() == 2 and w.controller.undo_stack.index() == 0
    assert not w.isWindowModified() and w.document.prompt == "a red star on white\n"
    w.controller.undo_stack.redo()
    assert w.controller.undo_stack.count() == 2 and w.document.prompt == "a red star on white\nxy"


def test_the_same_result_again_adds_no_variation_and_a_picture_is_imported_not_opened(qtbot, tmp_path, tiny):
    from layerstudio.errors import UserError

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    assert run_action(qtbot, w, w.act_generate) == "done"
    assert run_action(qtbot, w, w.act_generate) == "done"  # same seed, same pixels: nothing new to flip back to
    assert all(not l.variations for l in w.document.layers)
    from layerstudio.engine.request import JobRequest

    for _ in range(2):  # a layer regenerated twice with one seed (the app picks a new one each time), likewise
        w.controller.apply_result(tiny.run(JobRequest.regenerate(w.document, 1, 77, steps=STEPS)), "Regenerate")
    assert len(w.document.layers[1].variations) == 1
    before = [(l.pixels, len(l.variations)) for l in w.document.layers]
    w.prompt_panel.seed_spin.setValue(w.prompt_panel.seed_spin.value() + 1)
    assert run_action(qtbot, w, w.act_generate) == "done"
    changed = [not np.array_equal(b, l.pixels) for (b, _), l in zip(before, w.document.layers)]
    assert any(changed)
    assert [len(l.variations) for l in w.document.layers] == [n + c for (_, n), c in zip(before, changed)]
    with pytest.raises(UserError, match="Import Image"):
        w._read(tmp_path / "photo.png")


def test_hint_belongs_to_the_selected_layer(qtbot, tmp_path, tiny):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    assert run_action(qtbot, w, w.act_generate) == "done"
    edit = w.prompt_panel.hint_edit
    w.controller.select(1)
    assert edit.text() == "" and edit.isEnabled()
    edit.setFocus()
    QTest.keyClicks(edit, "a red kite")
    w.controller.select(2)  # the typed hint stays with layer 1
    assert edit.text() == ""
    assert w.document.layers[1].hint == "a red kite"
    w.controller.select(1)
    assert edit.text() == "a red kite"

    # Return in the field regenerates the selected layer with its own hint; the others keep theirs.
    w.controller.select(3)
    edit.setFocus()
    QTest.keyClicks(edit, "blue stripes")
    before = [l.pixels for l in w.document.layers]
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert blocker.args == ["done"]
    doc = w.document
    assert doc.layers[3].hint == "blue stripes" and not np.array_equal(doc.layers[3].pixels, before[3])
    assert doc.layers[1].hint == "a red kite" and doc.layers[1].pixels is before[1]
    assert edit.text() == "blue stripes"
    # the hint typed came with the result: its undo brings back the layer and its hint as they were, and the
    # earlier result is not listed as drawn with it
    assert doc.layers[3].variations[-1].hint == ""
    w.act_undo.trigger()
    assert w.document.layers[3].hint == "" and w.document.layers[3].pixels is before[3] and edit.text() == ""
    w.act_redo.trigger()
    assert w.document.layers[3].hint == "blue stripes" and edit.text() == "blue stripes"

    # Undo follows: the field shows the layer's hint as it is now.
    w.controller.select(1)
    while w.document.layers[1].hint:
        w.act_undo.trigger()
    assert edit.text() == ""

    # Another file: nothing selected, the field is empty and off.
    w.controller.select(3)
    w.set_document(blank_document(CANVAS, CANVAS), None)
    assert edit.text() == "" and not edit.isEnabled()


def test_variation_strip_keeps_its_order_while_stepping(qtbot, tmp_path, tiny):
    from PySide6.QtCore import Qt

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    assert run_action(qtbot, w, w.act_generate) == "done"
    w.controller.select(2)
    results = [w.document.layers[2].pixels]
    for hint in ("", "bolder", ""):
        w.prompt_panel.hint_edit.setText(hint)
        assert run_action(qtbot, w, w.act_regenerate) == "done"
        results.append(w.document.layers[2].pixels)
    strip = w.layers_panel.variations

    def shown():
        """(pixels, in use?, label) per tile, left to right."""
        layer = w.document.layers[2]
        tiles = []
        for k in range(strip.count()):
            which = strip.item(k).data(Qt.ItemDataRole.UserRole)
            pixels = layer.pixels if which < 0 else layer.variations[which].pixels
            tiles.append((pixels, which < 0, strip.item(k).text()))
        return tiles

    tiles = shown()
    assert [t[0] for t in tiles] == results  # oldest to newest
    assert [t[1] for t in tiles] == [False, False, False, True]  # the newest is in use
    labels = [t[2] for t in tiles]
    assert len(set(labels)) == 4 and "bolder" in labels[2] and "seed" in labels[0]
    assert labels[3].startswith("●")
    layer = w.document.layers[2]
    seeds = [v.seed for v in layer.variations] + [layer.seed]
    assert [label.splitlines()[0].removeprefix("● ") for label in labels] == [f"seed {s}" for s in seeds]  # whole
    assert [label.splitlines()[1].split(" ")[0] for label in labels] == ["#1", "#2", "#3", "#4"]  # told apart

    for k in range(4):  # step through: the strip stays put, the mark moves
        strip.itemClicked.emit(strip.item(k))
        tiles = shown()
        assert [t[0] for t in tiles] == results
        assert [t[1] for t in tiles] == [j == k for j in range(4)]
        assert w.document.layers[2].pixels is results[k]
    w.act_undo.trigger()
    assert [t[0] for t in shown()] == results and w.document.layers[2].pixels is results[2]
    # from the keyboard: arrows move along the strip, Return or Space picks
    strip.setFocus()
    strip.setCurrentRow(2)
    qtbot.keyClick(strip, Qt.Key.Key_Left)
    qtbot.keyClick(strip, Qt.Key.Key_Return)
    assert w.document.layers[2].pixels is results[1]
    qtbot.keyClick(strip, Qt.Key.Key_Home)
    qtbot.keyClick(strip, Qt.Key.Key_Space)
    assert w.document.layers[2].pixels is results[0]
    # saved and opened again, the strip is as it was: the same results in the same places, the same one in use
    strip.itemClicked.emit(strip.item(1))
    before = [(t[0].copy(), t[1]) for t in shown()]
    path = tmp_path / "strip.lsproj"
    assert w._save_to(path) and w.open_file(path)
    w.controller.select(2)
    after = shown()
    assert [t[1] for t in after] == [t[1] for t in before] == [False, True, False, False]
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(after, before))


def test_layers_list_shows_five_rows_in_the_default_layout(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path, None, size=(1380, 860))
    for k in range(5):
        w.controller.add_box(Box(16 * k, 16 * k, 16 * k + 32, 16 * k + 32))
    qtbot.waitUntil(lambda: w.layers_panel.view.viewport().height() > 0)
    view, model = w.layers_panel.view, w.layers_panel.model
    viewport = view.viewport().rect()
    for row in range(model.rowCount()):  # background + 5 layers, none cut off
        assert viewport.contains(view.visualRect(model.index(row))), row
    assert w.prompt_dock.isVisible() and w.prompt_panel.regenerate_button.isVisible()
    assert w.canvas.width() >= 600


class Failing:
    def __init__(self, pipe):
        self.config, self.model_id, self.device = pipe.config, pipe.model_id, pipe.device

    def run(self, request, progress=None, cancel=None):
        raise RuntimeError("the engine ran out of memory (simulated)")


def test_failed_job_leaves_no_generating_status(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, Failing(tiny))
    add_boxes(w)
    assert run_action(qtbot, w, w.act_generate) == "error"
    message = w.statusBar().currentMessage()
    assert message == "Generate failed; nothing changed"
    qtbot.waitUntil(lambda: bool(error_dialogs()))
    close_error_dialogs()


def test_save_and_export_errors_name_the_users_folder(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny)
    missing = tmp_path / "gone"
    assert not w._save_to(missing / "d.lsproj")
    qtbot.waitUntil(lambda: bool(error_dialogs()))
    assert error_dialogs()[0].text() == f"Cannot save to {missing}: no such folder"
    close_error_dialogs()
    assert not w.export_psd(missing / "d.psd")
    qtbot.waitUntil(lambda: bool(error_dialogs()))
    assert error_dialogs()[0].text() == f"Cannot export to {missing}: no such folder"
    close_error_dialogs()


def test_a_psd_names_save_as_autosave_and_recovery(qtbot, tmp_path, tiny, monkeypatch):
    import json
    import os

    from layerstudio.io.psd import export_psd
    from layerstudio.io.recovery import RecoverySession, find_recoverable

    monkeypatch.setenv("LAYERSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))
    psd = tmp_path / "designs" / "poster.psd"
    psd.parent.mkdir()
    doc = blank_document(CANVAS, CANVAS)
    doc.layers[0].pixels[..., 3] = 255
    export_psd(doc, psd)

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine=tiny, settings=settings, confirm_discard=False, autosave=True)
    qtbot.addWidget(w)
    assert w.open_file(psd)
    w.controller.add_box(Box(0, 0, 32, 32))
    assert w.windowTitle().startswith("poster.psd (imported)")
    w.autosave()
    w._autosave_future.result(timeout=30)
    info = json.loads(w._recovery.info_path.read_text())
    assert info["title"] == "poster.psd" and info["source"] == str(psd)

    offered = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: offered.append(a[2]) or ("", "")))
    w.act_save_as.trigger()
    assert offered == [str(psd.with_suffix(".lsproj"))]
    # a name ending in .psd is written as a PSD, not as 'x.psd.lsproj'
    named = tmp_path / "designs" / "named.psd"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(named), "")))
    w.act_save_as.trigger()
    assert named.exists() and not named.with_name("named.psd.lsproj").exists() and w.isWindowModified()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: offered.append(a[2]) or ("", "")))

    # After a crash, the recovered design keeps the PSD's name.
    crashed = RecoverySession(tmp_path / "recovery").start()
    crashed.autosave(w.document_for_save(), psd, "poster.psd")
    lock = json.loads(crashed.lock_path.read_text())
    lock.update(pid=2**22 + 12345, start=None)
    crashed.lock_path.write_text(json.dumps(lock))
    assert not os.path.exists(f"/proc/{2**22 + 12345}")
    assert [i.title for i in find_recoverable(tmp_path / "recovery")] == ["poster.psd"]
    monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.StandardButton.Yes)
    w.set_document(blank_document(CANVAS, CANVAS), None)
    assert w.offer_recovery(tmp_path / "recovery")
    assert w.windowTitle().startswith("poster.psd (imported)") and "Recovered poster.psd" in \
        w.statusBar().currentMessage()
    offered.clear()
    w.act_save_as.trigger()
    assert offered == [str(psd.with_suffix(".lsproj"))]


def warning_dialogs():
    return [d for d in QApplication.topLevelWidgets()
            if isinstance(d, QMessageBox) and d.objectName() == "warningDialog" and d.isVisible()]


def test_a_project_with_a_damaged_layer_opens_the_rest_with_a_warning(qtbot, tmp_path, tiny, monkeypatch):
    import json
    import os
    import zipfile

    from layerstudio.io.project import save_project
    from layerstudio.io.recovery import RecoverySession

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    for i, layer in enumerate(w.document.layers):
        layer.pixels[...] = (40 * i, 200, 90, 255)
    w.controller.rename(2, "Word 'HOME'")
    doc = w.document_for_save()
    good = tmp_path / "poster.lsproj"
    save_project(doc, good)
    with zipfile.ZipFile(good) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["layers/002.png"] = entries["layers/002.png"][:90]  # cut short: the rest of the file is sound
    bad = tmp_path / "damaged.lsproj"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    bad_bytes = bad.read_bytes()

    w.set_document(blank_document(CANVAS, CANVAS), None)
    assert w.open_file(bad)
    assert not error_dialogs()
    opened = w.document
    assert len(opened.layers) == 4
    for i in (0, 1, 3):
        np.testing.assert_array_equal(opened.layers[i].pixels, doc.layers[i].pixels)
    assert opened.layers[2].name == doc.layers[2].name and opened.layers[2].box == doc.layers[2].box
    assert not opened.layers[2].pixels.any()
    qtbot.waitUntil(lambda: bool(warning_dialogs()))
    (dialog,) = warning_dialogs()
    assert dialog.windowTitle() == "Opened with warnings"
    assert dialog.text().startswith(f"Layer 2 “{doc.layers[2].name}”: its image is damaged, so it opens empty")
    assert "damaged.lsproj is overwritten only if you choose it" in dialog.informativeText()
    dialog.close()
    assert w.windowTitle().startswith("damaged.lsproj (damaged)")

    # Save asks for a name (offering the same one) rather than overwrite the damaged file unasked.
    offered = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: offered.append(a[2]) or ("", "")))
    w.act_save.trigger()
    assert offered == [str(bad)] and bad.read_bytes() == bad_bytes
    saved = tmp_path / "saved.lsproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(saved), "")))
    w.act_save.trigger()
    assert len(load_project(saved).layers) == 4 and w.windowTitle().startswith("saved.lsproj")
    w.act_save.trigger()  # now a sound project of its own: Save writes it without asking
    assert bad.read_bytes() == bad_bytes

    # A damaged autosave restores what it can, with the same warning.
    monkeypatch.setenv("LAYERSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))
    crashed = RecoverySession(tmp_path / "recovery").start()
    crashed.autosave(doc, good, "poster.lsproj")
    with zipfile.ZipFile(crashed.autosave_path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["layers/001.png"] = entries["layers/001.png"][:90]
    with zipfile.ZipFile(crashed.autosave_path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    lock = json.loads(crashed.lock_path.read_text())
    lock.update(pid=2**22 + 12345, start=None)
    crashed.lock_path.write_text(json.dumps(lock))
    assert not os.path.exists(f"/proc/{2**22 + 12345}")
    monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.StandardButton.Yes)
    assert w.offer_recovery(tmp_path / "recovery")
    assert len(w.document.layers) == 4 and not w.document.layers[1].pixels.any()
    np.testing.assert_array_equal(w.document.layers[3].pixels, doc.layers[3].pixels)
    qtbot.waitUntil(lambda: bool(warning_dialogs()))
    (dialog,) = warning_dialogs()
    assert dialog.windowTitle() == "Recovered with warnings" and dialog.text().startswith("Layer 1 ")
    dialog.close()
    assert w.path is None and w.windowTitle().startswith("poster.lsproj (recovered)") and w.isWindowModified()


def test_steps_follow_the_model_not_the_settings(qtbot, tmp_path, tiny):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("generate/steps", 40)  # left by an older version
    w = MainWindow(engine=tiny, settings=settings, confirm_discard=False)
    qtbot.addWidget(w)
    assert w.prompt_panel.steps_spin.value() == tiny.config.default_steps
    w.prompt_panel.steps_spin.setValue(5)
    w.close()
    assert not settings.contains("generate/steps")

    # A model loaded with the first job sets the steps, unless the user already chose some.
    for chosen in (None, 5):
        lazy = MainWindow(loader=lambda: tiny, settings=settings, confirm_discard=False)
        qtbot.addWidget(lazy)
        lazy.set_document(replace(blank_document(CANVAS, CANVAS), prompt=PROMPT), None)
        if chosen:
            lazy.prompt_panel.steps_spin.setValue(chosen)
        lazy.act_generate.trigger()  # no model yet: the job says it waits for one to load
        assert lazy.prompt_panel.progress_bar.format() == "Loading the model"
        qtbot.waitUntil(lambda: not lazy.busy, timeout=60_000)
        assert run_action(qtbot, lazy, lazy.act_generate) == "done", repr(lazy.last_error)
        assert lazy.prompt_panel.steps_spin.value() == (chosen or tiny.config.default_steps)


def test_a_layer_locked_while_its_job_runs_is_kept(qtbot, tmp_path, tiny):
    from layerstudio.engine.request import JobRequest

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    assert run_action(qtbot, w, w.act_generate) == "done"
    from dataclasses import replace

    request = JobRequest.generate(w.document, steps=STEPS)
    request = replace(request, layers=[replace(s, seed=s.seed + 100) for s in request.layers])  # other pixels
    assert 1 in request.generated_indices and 2 in request.generated_indices
    result = tiny.run(request)  # the job ran; before it ends, the user locks layer 1
    w.controller.set_locked(1, True)
    before = [l.pixels.copy() for l in w.document.layers]
    w.controller.apply_result(result, "Generate")
    assert w.document.layers[1].locked and np.array_equal(w.document.layers[1].pixels, before[1])
    assert not np.array_equal(w.document.layers[2].pixels, before[2])  # the others take the result


def test_a_rename_in_progress_survives_the_job_finishing(qtbot, tmp_path, tiny):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    w.controller.select(2)
    view = w.layers_panel.view
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS):
        w.act_generate.trigger()
        w._rename_selected()  # F2 while the job runs; its result arrives while the user types
        editor = view.indexWidget(view.currentIndex())
        assert isinstance(editor, QLineEdit)
        editor.setText("Sun")
    editor = view.indexWidget(view.currentIndex())
    assert isinstance(editor, QLineEdit) and editor.text() == "Sun"
    assert w.document.layers[2].provenance is not None  # the result did arrive
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.document.layers[2].name == "Sun")  # Qt commits on the next loop turn
    assert view.indexWidget(view.currentIndex()) is None  # committed and closed, not reopened


def test_duplicate_cut_copy_and_paste_layers(qtbot, tmp_path, tiny):
    from PySide6.QtCore import QByteArray, QMimeData
    from PySide6.QtGui import QColor, QImage

    from layerstudio.app.main_window import LAYER_MIME

    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    assert run_action(qtbot, w, w.act_generate) == "done"
    w.controller.rename(2, "Sun")
    w.controller.select(2)
    sun = w.document.layers[2]
    w.act_duplicate.trigger()
    layers = w.document.layers
    assert len(layers) == 5 and w.controller.selected == 3
    assert layers[3].name == "Sun copy" and layers[3].box == sun.box and np.array_equal(layers[3].pixels, sun.pixels)
    w.act_duplicate.trigger()
    assert w.document.layers[4].name == "Sun copy 2"
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert [l.name for l in w.document.layers] == ["Background", "Layer 1", "Sun", "Layer 3"]

    # Copy into another window whose canvas does not reach the box: the layer comes centred, same pixels.
    w.controller.select(2)
    w.act_copy.trigger()
    (tmp_path / "small").mkdir()
    small = make_window(qtbot, tmp_path / "small", tiny)
    small.set_document(blank_document(64, 64), None)
    small.controller.select(0)
    small.act_paste.trigger()
    pasted = small.document.layers[1]
    assert pasted.name == "Sun" and np.array_equal(pasted.pixels, sun.pixels) and small.controller.selected == 1
    assert pasted.box.intersection(small.document.canvas_box) is not None
    small.act_paste.trigger()
    assert [l.name for l in small.document.layers] == ["Background", "Sun", "Sun copy"]

    # Cut takes the layer out; paste in the same window puts it back where it was, on top of the selection.
    w.controller.select(2)
    w.act_cut.trigger()
    assert [l.name for l in w.document.layers] == ["Background", "Layer 1", "Layer 3"]
    assert w.statusBar().currentMessage() == "Cut Sun" and w.controller.undo_stack.undoText() == "Cut Sun"
    w.controller.select(1)
    w.act_paste.trigger()
    assert w.document.layers[2].name == "Sun" and w.document.layers[2].box == sun.box
    assert w.statusBar().currentMessage() == "Pasted Sun"

    # A picture from another app: a locked layer, centred, its box grown to the grid with transparency.
    picture = QImage(40, 30, QImage.Format.Format_RGBA8888)
    picture.fill(QColor(200, 30, 40, 255))
    QApplication.clipboard().setImage(picture)
    before = len(w.document.layers)
    w.act_paste.trigger()
    layer = w.document.layers[w.controller.selected]
    assert len(w.document.layers) == before + 1 and layer.locked and layer.name == "Pasted picture"
    assert (layer.box.width, layer.box.height) == (48, 32)
    # the padding is shared out on both sides, so the picture sits in the middle of the canvas
    assert (layer.pixels[1:31, 4:44] == (200, 30, 40, 255)).all()
    assert layer.pixels[:, :, 3].sum() == 40 * 30 * 255
    assert w.statusBar().currentMessage() == "Pasted a picture as the locked layer “Pasted picture”"
    from layerstudio.app.layers_panel import InfoRole

    model = w.layers_panel.model  # no seed drew it: the panel says it is a picture (it said 'seed 1')
    info = model.index(len(w.document.layers) - 1 - w.controller.selected).data(InfoRole)
    assert info == "48×32 · picture"
    # the lock keeps the picture's pixels, not its place: it can be moved, not resized, and not cut
    i = w.controller.selected
    w.controller.set_box(i, layer.box.translated(16, 0))
    assert w.document.layers[i].box == layer.box.translated(16, 0)
    assert np.array_equal(w.document.layers[i].pixels, layer.pixels)
    with pytest.raises(LayoutError, match="unlock it to resize"):
        w.controller.set_box(i, Box(0, 0, 64, 64))
    assert not w.act_cut.isEnabled()
    w.cut_layer()
    assert len(w.document.layers) == before + 1 and "unlock it to cut" in w.statusBar().currentMessage()

    # Another picture is numbered, not a 'copy'; one larger than the canvas is fitted into it, and a resize
    # after unlocking draws on the pixels kept from it, not on the small ones shown
    from layerstudio.document.document import resampled

    y, x = np.mgrid[:3 * CANVAS, :6 * CANVAS]
    big = np.dstack([(x * 7 % 256), (y * 3 % 256), np.full_like(x, 90), np.full_like(x, 255)]).astype(np.uint8)
    QApplication.clipboard().setImage(QImage(big.tobytes(), 6 * CANVAS, 3 * CANVAS, QImage.Format.Format_RGBA8888))
    w.act_paste.trigger()
    i = w.controller.selected
    layer = w.document.layers[i]
    assert layer.name == "Pasted picture 2" and layer.box.width == CANVAS and layer.box.height <= CANVAS // 2 + 16
    assert w.statusBar().currentMessage() == (f"Pasted a picture as the locked layer “Pasted picture 2”, fitted "
                                              f"into the canvas from {6 * CANVAS} x {3 * CANVAS} px")
    assert layer.original is not None and layer.original.shape[1] == 2 * CANVAS  # twice what shows, not all
    w.controller.set_locked(i, False)
    w.controller.set_box(i, Box(0, 0, 2 * CANVAS, 2 * layer.box.height))
    assert np.array_equal(w.document.layers[i].pixels, layer.original)
    assert not np.array_equal(w.document.layers[i].pixels, resampled(layer.pixels, 2 * CANVAS, 2 * layer.box.height))

    # Damaged clipboard data and an empty clipboard: a message, and the document as it was.
    names = [l.name for l in w.document.layers]
    for data in (b"PK\x03\x04 not a project", None):
        mime = QMimeData()
        if data is not None:
            mime.setData(LAYER_MIME, QByteArray(data))
        QApplication.clipboard().setMimeData(mime)
        w.act_paste.trigger()
        assert [l.name for l in w.document.layers] == names
        assert ("copied layer" if data else "nothing to paste") in w.statusBar().currentMessage().lower()


def test_a_design_takes_at_most_fifty_boxes(qtbot):
    from layerstudio.app.controller import DocumentController
    from layerstudio.document import MAX_FOREGROUND_BOXES, LayoutError

    c = DocumentController(blank_document(CANVAS, CANVAS))
    for k in range(MAX_FOREGROUND_BOXES):
        c.add_box(Box(0, 0, 16 + 16 * (k % 7), 16))
    c.select(1)
    for edit in (lambda: c.add_box(Box(0, 0, 32, 32)), lambda: c.duplicate_layer(1)):
        with pytest.raises(LayoutError, match="at most 50 boxes"):
            edit()
    assert len(c.document.layers) == MAX_FOREGROUND_BOXES + 1


def test_undo_in_the_prompt_box_is_the_documents_undo(qtbot, tmp_path, tiny):
    """Ctrl+Z typed in the prompt box steps back through the one history: typing, then Generate, then boxes,
    instead of the box's own text undo (which left the document's history behind)."""
    from PySide6.QtCore import Qt

    w = make_window(qtbot, tmp_path, tiny, prompt="")
    w.controller.add_box(Box(0, 0, 64, 64))
    edit = w.prompt_panel.prompt_edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, "a red circle")
    assert w.document.prompt == "a red circle"
    assert run_action(qtbot, w, w.act_generate) == "done"
    generated = w.document.layers[1].pixels.copy()
    assert w.controller.undo_stack.undoText() == "Generate"
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.controller.undo_stack.undoText() == "Edit Prompt" and w.document.layers[1].is_empty
    assert edit.toPlainText() == "a red circle"
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.document.prompt == "" and edit.toPlainText() == ""
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(w.document.layers) == 1
    for _ in range(3):
        qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.document.prompt == "a red circle" and np.array_equal(w.document.layers[1].pixels, generated)
    assert edit.toPlainText() == "a red circle"


def test_closing_the_window_during_a_job_cancels_it_cleanly(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny)
    add_boxes(w)
    w.prompt_panel.steps_spin.setValue(200)
    before = [l.pixels.copy() for l in w.document.layers]
    with qtbot.waitSignal(w.jobFinished, timeout=JOB_TIMEOUT_MS) as blocker:
        w.act_generate.trigger()
        assert w.busy
        w.close()
    assert blocker.args == ["cancelled"] and not w.busy
    assert all(np.array_equal(l.pixels, b) for l, b in zip(w.document.layers, before))


def test_boxes_from_the_keyboard(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from layerstudio.document import GRID

    w = make_window(qtbot, tmp_path, None)
    w.act_new_box.trigger()
    assert [l.box for l in w.document.layers[1:]] == [Box(32, 32, 96, 96)] and w.controller.selected == 1
    w.canvas.setFocus()
    alt, shift = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(w.canvas.viewport(), Qt.Key.Key_Right, alt)  # the right edge out one cell
    qtbot.keyClick(w.canvas.viewport(), Qt.Key.Key_Down, alt)  # the bottom edge down one
    assert w.document.layers[1].box == Box(32, 32, 96 + GRID, 96 + GRID)
    qtbot.keyClick(w.canvas.viewport(), Qt.Key.Key_Up, alt | shift)  # up four cells: never below one
    assert w.document.layers[1].box == Box(32, 32, 96 + GRID, 32 + GRID)
    qtbot.keyClick(w.canvas.viewport(), Qt.Key.Key_Left)
    assert w.document.layers[1].box == Box(32 - GRID, 32, 96, 32 + GRID)


def test_a_variation_picked_brings_back_its_name_and_the_hint_it_was_drawn_with(qtbot):
    from layerstudio.app.controller import DocumentController
    from layerstudio.document import Document, Layer, Provenance, Variation

    red = np.zeros((32, 32, 4), np.uint8)
    red[..., 0] = red[..., 3] = 255
    green = np.zeros_like(red)
    green[..., 1] = green[..., 3] = 255
    star = Provenance("m", "a red star on navy", 1, 4, "a red star")
    recoloured = Provenance("m", "a red star on navy", 2, 4, "a red star", "green")
    # the app puts a hint typed on the layer before the job: 'make it green' became 'green' since
    layer = Layer(Box(0, 0, 32, 32), name="Green star", pixels=green, seed=2, hint="blue", provenance=recoloured,
                  variations=[Variation(red, 1, "", star)])
    c = DocumentController(Document(64, 64, "a red star on navy", [Layer(Box(0, 0, 64, 64), name="Background"), layer]))
    c.pick_variation(1, 0)
    picked = c.document.layers[1]
    assert picked.name == "Red star" and picked.hint == "" and np.array_equal(picked.pixels, red)
    assert picked.variations[0].hint == "green" and picked.variations[0].provenance == recoloured
    c.pick_variation(1, 0)
    assert c.document.layers[1].name == "Green star" and c.document.layers[1].hint == "green"
    c.rename(1, "My star")  # a name the user typed stays
    c.pick_variation(1, 0)
    assert c.document.layers[1].name == "My star"


def test_deleting_a_layer_selects_the_one_below_so_delete_can_go_on(qtbot):
    from layerstudio.app.controller import DocumentController
    from layerstudio.document import Document, Layer

    c = DocumentController(Document(64, 64, "", [Layer(Box(0, 0, 64, 64), name="Background")]))
    for k in range(3):
        c.add_box(Box(0, 0, 16 + 16 * k, 16))
    names = [l.name for l in c.document.layers]
    c.select(2)
    c.delete_layer(2)
    assert c.selected == 1 and c.document.layers[1].name == names[1]
    c.delete_layer(c.selected)  # the lowest: the one above takes it
    assert c.selected == 1 and c.document.layers[1].name == names[3]
    c.delete_layer(c.selected)
    assert c.selected == 0 and len(c.document.layers) == 1


def test_a_second_box_from_the_keyboard_is_stepped_off_the_first(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path, None)
    for _ in range(3):
        w.act_new_box.trigger()
    assert [l.box for l in w.document.layers[1:]] == [Box(32, 32, 96, 96), Box(48, 48, 112, 112), Box(64, 64, 128, 128)]
    assert w.controller.selected == 3
    w.set_document(blank_document(1024, 1024), None)  # a step that shows on a large canvas too
    for _ in range(2):
        w.act_new_box.trigger()
    assert [l.box.x0 for l in w.document.layers[1:]] == [256, 384]
    w.set_document(blank_document(256, 256), None)
    for _ in range(8):  # down and right to the canvas's edge, then up and left: never off it
        w.act_new_box.trigger()
    boxes = [l.box for l in w.document.layers[1:]]
    assert len(boxes) == 8 and len(set(boxes[:5])) == 5
    assert all(b.x0 >= 0 and b.y0 >= 0 and b.x1 <= 256 and b.y1 <= 256 for b in boxes)


def test_a_disabled_delete_says_why(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path, None)
    w.act_new_box.trigger()
    assert w.act_delete.isEnabled() and w.act_delete.statusTip() == "Delete the selected layer"
    w.act_lock.trigger()
    assert not w.act_delete.isEnabled() and "Unlock" in w.act_delete.statusTip()
    w.controller.select(0)
    assert not w.act_delete.isEnabled() and "background can't be deleted" in w.act_delete.toolTip()


def test_generate_without_a_prompt_or_hints_is_refused_and_says_why(qtbot, tmp_path, tiny):
    w = make_window(qtbot, tmp_path, tiny, prompt="")
    w.controller.add_box(Box(0, 0, 64, 64))
    before = w.document.layers[1].pixels.copy()
    w.act_generate.trigger()
    assert not w.busy and "write a prompt first" in w.statusBar().currentMessage().lower()
    assert np.array_equal(w.document.layers[1].pixels, before) and w.controller.undo_stack.count() == 1  # the box
    w.controller.set_hint(1, "a red star")  # a layer with a hint has something to be drawn from
    assert run_action(qtbot, w, w.act_generate) == "done"
