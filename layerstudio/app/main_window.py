"""The main window: canvas in the centre, Layers and Generate docks, menus, toolbar, status bar,
file actions, jobs on the engine worker, settings, autosave."""
from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QMimeData, QSettings, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import (QApplication, QDialog, QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow, QMenu,
                               QMessageBox, QScrollArea, QWidget)

from .. import DEFAULT_MODEL_DIR, __version__
from ..document import GRID, Box, Document, LayoutError
from ..document.layout import MAX_FOREGROUND_BOXES, check_canvas
from ..engine.config import CONFIG_FILE, ModelConfig
from ..engine.request import PASTED_PICTURE, JobRequest, drawn_from, short
from ..errors import Cancelled, UserError
from .canvas import CanvasView, Tool
from .controller import JOB_RUNNING_UNDO, DocumentController, blank_document, centred_box, picture_layer
from .dialogs import FALLBACK_PRESETS, NewDocumentDialog
from .icons import app_icon, icon
from .layers_panel import LayersPanel, origin
from .prompt_panel import PromptPanel
from .qtimage import from_qimage, to_pixmap, to_qimage
from .worker import EngineWorker, event_loop

MAX_RECENT = 10
LAYER_MIME = "application/x-layerstudio-layer"  # a one-layer .lsproj
AUTOSAVE_MS = 5000
PROJECT_FILTER = "LayerStudio project (*.lsproj)"
OPEN_FILTER = "Designs (*.lsproj *.psd);;LayerStudio project (*.lsproj);;Photoshop document (*.psd);;All files (*)"
# Said when a project opened without one of its images: why Save asks for a name.
DAMAGED_SAVE_NOTE = "Save asks for a file name, so {} is overwritten only if you choose it."
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
IMAGE_FILTER = f"Images ({' '.join('*' + s for s in IMAGE_SUFFIXES)});;All files (*)"


def default_loader(model_dir=None, device=None):
    def load():
        from ..engine.pipeline import Pipeline

        return Pipeline.load(model_dir, device)
    return load


def trained_sizes(model_dir=None) -> list[tuple[int, int]]:
    """The canvas sizes a model was trained on, read from its config alone (no torch), so the window opens at the
    right size and File > New offers them before the weights have loaded."""
    try:
        presets = ModelConfig.load(Path(model_dir or DEFAULT_MODEL_DIR) / CONFIG_FILE).canvas_presets
    except (UserError, ValueError, TypeError):  # a missing or broken model is reported when it loads
        presets = []
    return [size for size in map(tuple, presets) if _canvas_size(size)] or list(FALLBACK_PRESETS)


def _canvas_size(size: tuple) -> bool:
    """Whether `size` is a (width, height) a document can have."""
    if len(size) != 2 or not all(isinstance(side, int) for side in size):
        return False
    try:
        check_canvas(*size)
    except LayoutError:
        return False
    return True


class MainWindow(QMainWindow):
    jobFinished = Signal(str)  # "done", "cancelled" or "error": lets tests and scripts wait for a job

    def __init__(self, engine=None, loader=None, settings: QSettings | None = None,
                 document: Document | None = None, autosave: bool = False, confirm_discard: bool = True,
                 model_dir=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else QSettings("LayerStudio", "LayerStudio")
        self.confirm_discard = confirm_discard
        self.worker = EngineWorker(engine, loader if loader is not None or engine is not None else default_loader())
        self._unloaded_sizes = trained_sizes(model_dir)
        self.controller = DocumentController(document or blank_document(*self.canvas_presets()[0]), self)
        self.path: Path | None = None
        self.source: Path | None = None  # the file the document came from (a PSD too), for names
        self._task: asyncio.Future | None = None
        self._job_label = ""
        self._dialogs: list[QWidget] = []
        self._recovery = None
        self._autosave_future = None
        self._autosaved_state = None
        self.last_job_seconds = 0.0
        self.last_error: BaseException | None = None
        # What the notice under the prompt says, by what it tells of: the design as the last Generate or Import Image
        # read it, and each layer a Regenerate redrew since (by the layer's id), so that the next job on a layer
        # replaces what was said of it and nothing else.
        self._design_notices: list[str] = []
        self._layer_notices: dict[int, list[str]] = {}
        self._design_words: dict[int, set[str]] = {}  # per layer id, the words the design notices may quote it by

        self.canvas = CanvasView(self.controller)
        self.setCentralWidget(self.canvas)
        self.layers_panel = LayersPanel(self.controller)
        self.prompt_panel = PromptPanel()
        self._auto_steps = self.prompt_panel.steps_spin.value()
        # Generate on the left, Layers on the right, each the full height: stacked in one column the
        # Generate panel left the layer list under two rows on a laptop-sized window.
        # scrolled when the window is too short for it: squeezed, a long notice ran under the prompt box
        scroller = QScrollArea()
        scroller.setObjectName("generateScroller")
        scroller.setWidget(self.prompt_panel)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.prompt_dock = self._dock("Generate", "generateDock", scroller, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.layers_dock = self._dock("Layers", "layersDock", self.layers_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        # both columns at their narrowest and a canvas still worth drawing on (at 540 px wide it had 70)
        self.setMinimumSize(720, 520)
        self._laid_out = False
        self._dock_widths: dict | None = None  # the columns' widths before a smaller window narrowed them
        self._saved_dock_widths: list[int] | None = None  # those saved last time, to lay out on first show

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

        # wiring
        c = self.controller
        c.undo_stack.cleanChanged.connect(self._update_title)
        c.undo_stack.indexChanged.connect(lambda _: self._update_actions())
        c.changed.connect(self._update_actions)
        c.selectionChanged.connect(lambda _: self._update_actions())
        c.documentReset.connect(self._document_reset)
        self.canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.canvas.message.connect(lambda m: self.statusBar().showMessage(sentence(m), 5000))
        self.canvas.toolChanged.connect(self._tool_changed)
        self.canvas.contextMenuRequested.connect(self._canvas_menu)
        self.prompt_panel.generateRequested.connect(self.generate)
        self.prompt_panel.regenerateRequested.connect(self.regenerate)
        self.prompt_panel.cancelRequested.connect(self.cancel_job)
        # The hint field edits the selected layer's own hint (Layer.hint) and follows the selection.
        self._hint_uid: int | None = None
        self._hint_in_job: int | None = None  # the layer whose typed hint a running job carries
        c.changed.connect(self._sync_hint)
        self._change_count = 0
        c.changed.connect(self._count_change)
        c.changed.connect(self._sync_prompt)
        self.prompt_panel.prompt_edit.textChanged.connect(lambda: c.set_prompt(self.prompt_panel.prompt))
        self.prompt_panel.prompt_edit.textChanged.connect(self._clear_notices)  # they told of the prompt as it was
        c.changed.connect(self._drop_notices_of_deleted_layers)
        self.prompt_panel.prompt_edit.installEventFilter(self)  # leaving the box ends its undo step
        c.selectionChanged.connect(lambda _: self._sync_hint())
        self.prompt_panel.hint_edit.editingFinished.connect(self._commit_hint)
        self.layers_panel.add_button.clicked.connect(lambda: self.canvas.set_tool(Tool.BOX))

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        if autosave:
            self._start_recovery()

        self.resize(1400, 900)
        self._restore_settings()
        self._engine_ready()
        self._document_reset()
        self._tool_changed(self.canvas.tool.value)
        self._update_title()
        self._update_actions()
        self._sync_hint()

    # ------------------------------------------------------------------ building
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        dock.setMinimumWidth(232)  # the Generate panel's rows, and a scrollbar beside them
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot=None, shortcut=None, icon_name: str | None = None, tip: str = "",
                checkable: bool = False, toggled=None) -> QAction:
        """`slot` is called with no arguments: QAction.triggered carries `checked`, which would otherwise
        land in a slot's first optional parameter (say, export_psd's path). A checkable action that wants
        its state names the slot as `toggled`."""
        a = QAction(text, self)
        if icon_name:
            a.setIcon(icon(icon_name))
        if shortcut is not None:
            if isinstance(shortcut, QKeySequence.StandardKey):
                a.setShortcuts(shortcut)
            else:
                a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(f"{tip} ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                         if not a.shortcut().isEmpty() else tip)
        a.setCheckable(checkable or toggled is not None)
        if slot is not None:
            a.triggered.connect(lambda *_checked, slot=slot: slot())
        if toggled is not None:
            a.toggled.connect(toggled)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_new = self._action("&New…", self.new_document, K.New, "new", "Start a new design")
        self.act_open = self._action("&Open…", lambda: self.open_file(), K.Open, "open", "Open a project or a PSD")
        self.act_save = self._action("&Save", self.save, K.Save, "save", "Save the project")
        self.act_save_as = self._action("Save &As…", self.save_as, K.SaveAs, None, "Save the project under a new name")
        self.act_import = self._action("&Import Image…", self.import_image, "Ctrl+I", "import",
                                       "Split an image into layers inside the drawn boxes")
        self.act_export_psd = self._action("Export &PSD…", self.export_psd, "Ctrl+E", "export",
                                           "Export a layered PSD")
        self.act_export_pngs = self._action("Export P&NGs…", self.export_pngs, "Ctrl+Shift+E", None,
                                            "Export the composite and each layer as PNG files")
        self.act_quit = self._action("&Quit", self.close, K.Quit, None, "Quit LayerStudio")

        self.act_undo = self._action("&Undo", self.undo, K.Undo, "undo", "Undo")
        self.act_redo = self._action("&Redo", self.redo, K.Redo, "redo", "Redo")
        self.act_delete = self._action("&Delete Layer", self.delete_selected, K.Delete, "delete",
                                       "Delete the selected layer")
        # Backspace too, as editors on laptops without a Delete key have it (text fields keep theirs)
        self.act_delete.setShortcuts(self.act_delete.shortcuts() + [QKeySequence(Qt.Key.Key_Backspace)])
        self.act_deselect = self._action("Select &None", lambda: self.controller.select(-1), K.Deselect)
        self.act_cut = self._action("Cu&t Layer", self.cut_layer, K.Cut, None,
                                    "Copy the selected layer, then delete it")
        self.act_copy = self._action("&Copy Layer", self.copy_layer, K.Copy, None,
                                     "Copy the selected layer (other apps get its picture)")
        self.act_paste = self._action("&Paste", self.paste, K.Paste, None,
                                      "Paste a copied layer, or a picture as a locked layer, above the selected one")
        self.act_duplicate = self._action("D&uplicate Layer", self.duplicate_selected, "Ctrl+J", None,
                                          "Copy the selected layer just above it")

        self.act_zoom_in = self._action("Zoom &In", self.canvas.zoom_in, K.ZoomIn, "zoom-in", "Zoom in")
        self.act_zoom_in.setShortcuts([*QKeySequence.keyBindings(K.ZoomIn), QKeySequence("Ctrl+=")])
        self.act_zoom_out = self._action("Zoom &Out", self.canvas.zoom_out, K.ZoomOut, "zoom-out", "Zoom out")
        self.act_fit = self._action("&Fit to Window", self.canvas.fit, "Ctrl+0", "zoom-fit", "Fit the canvas")
        self.act_actual = self._action("&Actual Pixels", lambda: self.canvas.set_zoom(1.0), "Ctrl+1", None,
                                       "Show the canvas at 100%")
        self.act_show_boxes = self._action("Show Layer &Boxes", None, None, None,
                                           "Outline every layer's box", toggled=self._toggle_boxes)
        self.act_show_boxes.setChecked(True)

        self.act_tool_select = self._action("&Select Tool", lambda: self.canvas.set_tool(Tool.SELECT), "V",
                                            "select", "Select, move and resize layers", checkable=True)
        self.act_tool_box = self._action("&Box Tool", lambda: self.canvas.set_tool(Tool.BOX), "B", "box",
                                         "Draw a box for a new layer", checkable=True)
        self.act_new_box = self._action("&New Box", self.new_box, "Ctrl+Shift+N", "box-add",
                                        "Add a box in the middle of the canvas (arrows move it, Alt+arrows resize it)")
        group = QActionGroup(self)
        group.addAction(self.act_tool_select)
        group.addAction(self.act_tool_box)
        self.act_raise = self._action("&Raise Layer", lambda: self._move_selected(+1), "Ctrl+]", "arrow-up",
                                      "Move the selected layer up")
        self.act_lower = self._action("&Lower Layer", lambda: self._move_selected(-1), "Ctrl+[", "arrow-down",
                                      "Move the selected layer down")
        self.act_visible = self._action("Toggle &Visibility", self._toggle_visible, "Ctrl+,", "eye",
                                        "Show or hide the selected layer")
        self.act_lock = self._action("Toggle &Lock", self._toggle_lock, "Ctrl+L", "lock",
                                     "Lock the selected layer: its pixels are kept (given as context when generating); it can still be moved")
        self.act_rename = self._action("Re&name Layer", self._rename_selected, "F2", None, "Rename the selected layer")

        self.act_generate = self._action("&Generate", self.generate, "Ctrl+Return", "generate",
                                         "Generate every unlocked layer")
        self.act_regenerate = self._action("&Regenerate Selected Layer", self.regenerate, "Ctrl+Shift+Return",
                                           "regenerate", "Regenerate the selected layer with a new seed")
        self.act_cancel = self._action("&Cancel Job", self.cancel_job, "Esc", "cancel", "Stop the running job")
        self.act_cancel.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.act_random_seed = self._action("Random &Seed", self.prompt_panel.randomise_seed, "Ctrl+R", "dice",
                                            "Pick a new random seed")
        self.act_about = self._action("&About LayerStudio", self.about, None, "info")
        self.act_model_info = self._action("&Model Information", self.model_info, None, None)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addActions([self.act_import, self.act_export_psd, self.act_export_pngs])
        m.addSeparator()
        m.addAction(self.act_quit)

        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate])
        m.addSeparator()
        m.addActions([self.act_delete, self.act_deselect])

        m = mb.addMenu("&View")
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_actual])
        m.addSeparator()
        m.addAction(self.act_show_boxes)
        m.addSeparator()
        m.addAction(self.prompt_dock.toggleViewAction())
        m.addAction(self.layers_dock.toggleViewAction())
        self.view_menu = m

        m = mb.addMenu("&Layer")
        m.addActions([self.act_new_box, self.act_tool_select, self.act_tool_box])
        m.addSeparator()
        m.addActions([self.act_rename, self.act_visible, self.act_lock])
        m.addSeparator()
        m.addActions([self.act_duplicate, self.act_raise, self.act_lower, self.act_delete])

        m = mb.addMenu("&Generate")
        m.addActions([self.act_generate, self.act_regenerate, self.act_cancel])
        m.addSeparator()
        m.addAction(self.act_random_seed)

        m = mb.addMenu("&Help")
        m.addActions([self.act_model_info, self.act_about])

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Tools")
        tb.setObjectName("mainToolbar")
        tb.setIconSize(QSize(20, 20))
        tb.setMovable(False)
        tb.addActions([self.act_new, self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo])
        tb.addSeparator()
        tb.addActions([self.act_tool_select, self.act_tool_box])
        tb.addSeparator()
        tb.addActions([self.act_zoom_out, self.act_zoom_in, self.act_fit])
        tb.addSeparator()
        tb.addActions([self.act_generate, self.act_regenerate, self.act_cancel])
        tb.addSeparator()
        tb.addActions([self.act_import, self.act_export_psd])
        self.toolbar = tb
        self.view_menu.addAction(tb.toggleViewAction())

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.canvas_label, self.device_label = QLabel(), QLabel("Device: –")
        self.model_label, self.zoom_label = QLabel("Model: not loaded"), QLabel("100%")
        for name, w in (("canvasLabel", self.canvas_label), ("deviceLabel", self.device_label),
                        ("modelLabel", self.model_label), ("zoomLabel", self.zoom_label)):
            w.setObjectName(name)
            sb.addPermanentWidget(w)
        self.zoom_label.setMinimumWidth(56)
        self.zoom_label.setText(f"{self.canvas.zoom * 100:.0f}%")
        sb.showMessage("Draw boxes where layers go (B), write a prompt, then Generate (Ctrl+Return).")

    # ------------------------------------------------------------------ state
    @property
    def document(self) -> Document:
        return self.controller.document

    @property
    def busy(self) -> bool:
        return self.worker.busy or (self._task is not None and not self._task.done())

    def _engine_ready(self) -> None:
        engine = self.worker.engine
        if engine is None:
            return
        self.device_label.setText(f"Device: {getattr(engine, 'device', 'cpu')}")
        self.model_label.setText(f"Model: {getattr(engine, 'model_id', '?')}")
        cfg = getattr(engine, "config", None)
        steps = getattr(cfg, "default_steps", None)
        # Steps follow the loaded model (a distilled model wants far fewer than a base one); a value the
        # user set before a lazily loaded model arrived is theirs and stays.
        if steps and self.prompt_panel.steps_spin.value() == self._auto_steps:
            self.prompt_panel.steps_spin.setValue(int(steps))
            self._auto_steps = int(steps)
        # An untouched start-up canvas takes the model's first preset size.
        d, presets = self.document, self.canvas_presets()
        # Never while a job runs on the canvas as it is (the model may load with the first job).
        pristine = self.path is None and len(d.layers) == 1 and d.layers[0].is_empty and \
            self.controller.undo_stack.count() == 0 and not self.busy
        if pristine and presets and (d.width, d.height) not in presets:
            self.set_document(blank_document(*presets[0], seed=d.layers[0].seed), None)

    def _document_reset(self) -> None:
        d = self.document
        self.canvas_label.setText(f"{d.width} × {d.height} px")
        self._show_prompt(d.prompt)
        if d.layers:
            self.prompt_panel.seed_spin.setValue(max(0, min(d.layers[0].seed, self.prompt_panel.seed_spin.maximum())))
        # ... and the steps it was drawn with (a restored autosave came back at the model's 12, not the user's 200)
        drawn = [l.provenance.steps for l in d.layers if l.provenance is not None and l.provenance.steps > 0]
        if drawn:
            spin = self.prompt_panel.steps_spin
            spin.setValue(max(spin.minimum(), min(drawn[0], spin.maximum())))
        self._update_title()

    def _update_title(self, *_) -> None:
        self.setWindowTitle(f"{self.display_name}[*] — LayerStudio")
        self.setWindowModified(not self.controller.undo_stack.isClean())

    def _update_actions(self) -> None:
        if not shiboken6.isValid(self) or not shiboken6.isValid(self.controller.undo_stack):
            return  # signals fired while the window is being torn down
        c, busy = self.controller, self.busy
        i = c.selected
        layer = c.selected_layer
        n = len(c.document.layers)
        stack = c.undo_stack
        self.act_undo.setEnabled(stack.canUndo() and not busy)
        self.act_redo.setEnabled(stack.canRedo() and not busy)
        self.act_undo.setText(f"&Undo {stack.undoText()}".strip())
        self.act_redo.setText(f"&Redo {stack.redoText()}".strip())
        structural = i > 0 and not busy and layer is not None and not layer.locked
        self.act_delete.setEnabled(structural)
        # a disabled Delete says why (its tooltip shows on the toolbar and in the status bar)
        why = ("The background can't be deleted: hide it, or regenerate it" if i == 0 else
               "Unlock the layer to delete it" if layer is not None and layer.locked else "Delete the selected layer")
        self.act_delete.setStatusTip(why)
        self.act_delete.setToolTip(f"{why} (Del)")
        self.act_cut.setEnabled(structural)
        self.act_copy.setEnabled(layer is not None)
        self.act_duplicate.setEnabled(layer is not None and not busy)
        self.act_paste.setEnabled(not busy)
        self.act_new_box.setEnabled(not busy)
        self.act_raise.setEnabled(i > 0 and not busy and i < n - 1)
        self.act_lower.setEnabled(i > 1 and not busy)
        self.act_visible.setEnabled(layer is not None)
        self.act_lock.setEnabled(layer is not None)
        self.act_rename.setEnabled(layer is not None)
        self.act_generate.setEnabled(not busy)
        self.act_regenerate.setEnabled(not busy and layer is not None and not layer.locked)
        self.act_import.setEnabled(not busy)
        self.act_cancel.setEnabled(busy)
        for a in (self.act_new, self.act_open):
            a.setEnabled(not busy)
        p = self.prompt_panel
        p.generate_button.setEnabled(not busy)
        p.regenerate_button.setEnabled(not busy and layer is not None and not layer.locked)
        p.cancel_button.setEnabled(busy)
        if layer is None:
            p.selection_label.setText("Select a layer to regenerate it alone.")
        else:
            empty = "not drawn yet" if c.selected == 0 else "empty box"
            state = "locked: pixels kept" if layer.locked else (empty if layer.is_empty else origin(layer))
            p.selection_label.setText(f"{layer.name} — {state}")
        self.act_lock.setText("Un&lock Layer" if layer is not None and layer.locked else "&Lock Layer")
        self.act_visible.setText("&Hide Layer" if layer is None or layer.visible else "&Show Layer")

    def _commit_hint(self) -> None:
        """Store a typed hint on the layer the field was showing (one undo step)."""
        edit = self.prompt_panel.hint_edit
        if not edit.isModified():
            return
        edit.setModified(False)
        i = self.controller.index_of_uid(self._hint_uid)
        if i >= 0 and not self.controller.document.layers[i].locked:
            self.controller.set_hint(i, edit.text())

    def eventFilter(self, watched, event) -> bool:
        if watched is self.prompt_panel.prompt_edit:
            kind = event.type()
            if kind == QEvent.Type.FocusOut:
                self.controller.end_merge()
            elif kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
                # The box's own undo would edit its text behind the document's back: one history.
                step = (self.undo if event.matches(QKeySequence.StandardKey.Undo)
                        else self.redo if event.matches(QKeySequence.StandardKey.Redo) else None)
                if step is not None:
                    if kind == QEvent.Type.ShortcutOverride:
                        event.accept()  # deliver it here as a key press, not to the menu's shortcut
                    else:
                        self.controller.end_merge()
                        step()
                    return True
        return super().eventFilter(watched, event)

    def _count_change(self) -> None:
        self._change_count += 1

    def _sync_prompt(self) -> None:
        """Undo and redo bring back the prompt of their step (typing itself keeps the two equal)."""
        if self.prompt_panel.prompt != self.document.prompt.strip():
            self._show_prompt(self.document.prompt)

    def _show_prompt(self, prompt: str) -> None:
        """The document's prompt in the box: no edit of its own (it would push an undo step, even from
        within an undo)."""
        edit = self.prompt_panel.prompt_edit
        with QSignalBlocker(edit):
            edit.setPlainText(prompt)
        edit.moveCursor(QTextCursor.MoveOperation.End)
        self._clear_notices()

    # ------------------------------------------------------------------ notices under the prompt
    def _clear_notices(self) -> None:
        self._design_notices, self._layer_notices, self._design_words = [], {}, {}
        self.prompt_panel.notice_label.hide()

    def _show_notices(self) -> int:
        """Shows the notices under the prompt; how many."""
        shown = list(dict.fromkeys(self._design_notices + [n for ns in self._layer_notices.values() for n in ns]))
        self.prompt_panel.show_notices(shown)
        return len(shown)

    def _drop_notices_of_deleted_layers(self) -> None:
        """A deleted layer's notices go with it: a regenerate's, and what Generate or Import said quoting the words
        it was drawn from or its name ('“a green dragon” names no shape…', '“Layer 3” is empty…') where no layer left
        is drawn from them."""
        uids = set(self.controller.uids)
        gone = set(self._layer_notices) - uids
        for uid in gone:
            del self._layer_notices[uid]
        deleted = set(self._design_words) - uids
        if deleted:
            left = set().union(*(_quotable(layer) for layer in self.document.layers))
            quoted = [f"“{short(w)}”" for uid in deleted for w in self._design_words.pop(uid) - left]
            kept = [n for n in self._design_notices if not any(q in n.lower() for q in quoted)]
            gone = gone or kept != self._design_notices
            self._design_notices = kept
        if gone:
            self._show_notices()

    def _notices_after_regenerate(self, uid: int, before, after, notices: list[str]) -> None:
        """A regenerate's notices replace what an earlier one said of the same layer (none: it is all right now).
        What Generate said of the design stands, except what quotes the words the layer was drawn from when it is
        drawn from other words now (a hint of its own: 'a green heart' for a second 'A yellow sun')."""
        old, new = _drawn_from_words(before), _drawn_from_words(after)
        if old != new:
            quoted = [f"“{short(w)}”" for w in old - new]
            self._design_notices = [n for n in self._design_notices if not any(q in n.lower() for q in quoted)]
        self._layer_notices[uid] = notices

    def _sync_hint(self) -> None:
        c, edit = self.controller, self.prompt_panel.hint_edit
        i = c.selected
        uid = c.uids[i] if i >= 0 else None
        if uid != self._hint_uid:
            self._commit_hint()  # typed for the layer selected before, and not yet stored
            self._hint_uid = uid
        elif edit.isModified():
            return  # the user is typing: keep their text
        layer = c.selected_layer
        edit.setText(layer.hint if layer is not None else "")
        edit.setModified(False)
        edit.setEnabled(layer is not None and not layer.locked)
        edit.setPlaceholderText("Hint for this layer (optional)" if layer is not None
                                else "Select a layer to give it a hint")

    def _canvas_menu(self, index: int, global_pos) -> None:
        menu = QMenu(self)
        if index >= 0:
            menu.addActions([self.act_regenerate, self.act_rename, self.act_visible, self.act_lock])
            menu.addSeparator()
            menu.addActions([self.act_copy, self.act_duplicate, self.act_raise, self.act_lower, self.act_delete])
            menu.addSeparator()
        menu.addAction(self.act_paste)
        menu.addActions([self.act_tool_select, self.act_tool_box, self.act_fit])
        menu.popup(global_pos)

    def _tool_changed(self, tool: str) -> None:
        self.act_tool_select.setChecked(tool == Tool.SELECT.value)
        self.act_tool_box.setChecked(tool == Tool.BOX.value)

    def _toggle_boxes(self, on: bool) -> None:
        self.canvas.show_boxes = on
        self.canvas.viewport().update()

    # ------------------------------------------------------------------ edit actions
    def _refuse(self, exc: Exception) -> None:
        self.statusBar().showMessage(sentence(str(exc)), 6000)

    def undo(self) -> None:
        if self.busy:
            return self._refuse(LayoutError(JOB_RUNNING_UNDO))
        self.controller.undo_stack.undo()
        self._clear_notices()  # they told of a job's result, which may be the one undone

    def redo(self) -> None:
        if self.busy:
            return self._refuse(LayoutError(JOB_RUNNING_UNDO))
        self.controller.undo_stack.redo()
        self._clear_notices()

    def delete_selected(self, verb: str = "Delete") -> bool:
        try:
            self.controller.delete_layer(self.controller.selected, verb)
            return True
        except (LayoutError, IndexError) as exc:
            self._refuse(exc)
            return False

    def copy_layer(self, verb: str = "Copied") -> bool:
        """Put the selected layer on the clipboard: as a one-layer project for LayerStudio windows, and
        as its picture for other apps. Earlier results stay behind: a paste is one picture."""
        layer, doc = self.controller.selected_layer, self.document
        if layer is None:
            self._refuse(LayoutError("select a layer to copy"))
            return False
        from ..io.project import project_bytes

        clip = Document(doc.width, doc.height, doc.prompt, [replace(layer, variations=[], shown_at=None)], doc.model_id)
        try:
            data = project_bytes(clip, f"layer “{layer.name}”")
        except UserError as exc:
            self._refuse(exc)
            return False
        mime = QMimeData()
        mime.setData(LAYER_MIME, QByteArray(data))
        mime.setImageData(to_qimage(layer.pixels))
        QApplication.clipboard().setMimeData(mime)
        self.statusBar().showMessage(f"{verb} {layer.name}", 4000)
        return True

    def cut_layer(self) -> None:
        i, layer = self.controller.selected, self.controller.selected_layer
        if i == 0:
            return self._refuse(LayoutError("the background cannot be cut: copy it instead"))
        if layer is not None and layer.locked:  # refused before the copy: a failed cut leaves the clipboard be
            return self._refuse(LayoutError(f"layer “{layer.name}” is locked: unlock it to cut it, or copy it"))
        if self.copy_layer("Cut"):
            self.delete_selected("Cut")

    def paste(self) -> None:
        """A copied layer keeps its box where the canvas has room for it (else it is centred); a picture
        from another app becomes a locked layer, centred."""
        from ..io.project import MAX_LAYER_SIDE, project_from_bytes

        mime, doc = QApplication.clipboard().mimeData(), self.document
        try:
            if mime is not None and mime.hasFormat(LAYER_MIME):
                clip = project_from_bytes(bytes(mime.data(LAYER_MIME)), "the copied layer")
                if len(clip.layers) != 1:
                    raise UserError(f"the copied layer: the clipboard holds {len(clip.layers)} layers, not one")
                layer = clip.layers[0]
                if layer.box.intersection(doc.canvas_box) is None:
                    layer = layer.moved_to(centred_box(layer.box.width, layer.box.height, doc.width, doc.height))
                at = self.controller.insert_layer(layer, "Paste Layer")
            elif mime is not None and mime.hasImage():
                image = QApplication.clipboard().image()
                if max(image.width(), image.height()) > MAX_LAYER_SIDE:
                    raise UserError(f"the pasted picture is {image.width()} x {image.height()} px; "
                                    f"a layer is at most {MAX_LAYER_SIDE} px on a side")
                seed = doc.layers[0].seed + len(doc.layers)
                # another picture is no copy of the first: 'Pasted picture 2'
                names = {l.name for l in doc.layers}
                name = next(n for n in itertools.chain([PASTED_PICTURE], (f"{PASTED_PICTURE} {k}" for k in
                                                                          itertools.count(2))) if n not in names)
                layer = picture_layer(from_qimage(image), doc.width, doc.height, name, seed)
                at = self.controller.insert_layer(layer, "Paste Picture")
                fitted = ("" if layer.box.width >= image.width() and layer.box.height >= image.height() else
                          f", fitted into the canvas from {image.width()} x {image.height()} px")
                self.statusBar().showMessage(f"Pasted a picture as the locked layer “{name}”{fitted}", 8000)
                return
            else:
                raise UserError("nothing to paste: the clipboard holds no layer and no picture")
        except (UserError, LayoutError) as exc:
            return self._refuse(exc)
        self.statusBar().showMessage(f"Pasted {self.document.layers[at].name}", 4000)

    def new_box(self) -> None:
        """A box without the mouse: half the canvas, in the middle, selected; stepped down and right off any box
        already there (then up and left), so that a second one shows, and never off the canvas."""
        d = self.document
        w, h = max(GRID, d.width // 2 // GRID * GRID), max(GRID, d.height // 2 // GRID * GRID)
        centre = centred_box(w, h, d.width, d.height)
        step = max(GRID, min(d.width, d.height) // 8 // GRID * GRID)  # a step that shows at any canvas size
        reach = max(d.width, d.height) // step
        places = [Box(centre.x0 + k * step, centre.y0 + k * step, centre.x1 + k * step, centre.y1 + k * step)
                  for k in sorted(range(-reach, reach + 1), key=lambda k: (k < 0, abs(k)))]
        places = [b for b in places if b.x0 >= 0 and b.y0 >= 0 and b.x1 <= d.width and b.y1 <= d.height] or [centre]
        taken = {l.box for l in d.layers[1:]}
        free = [b for b in places if b not in taken]
        box = free[0] if free else places[len(taken) % len(places)]  # all taken: the next round of the same places
        try:
            self.controller.add_box(box)
        except LayoutError as exc:
            self._refuse(exc)

    def duplicate_selected(self) -> None:
        i = self.controller.selected
        if i < 0:
            return self._refuse(LayoutError("select a layer to duplicate"))
        try:
            self.controller.duplicate_layer(i)
        except LayoutError as exc:
            self._refuse(exc)

    def _move_selected(self, direction: int) -> None:
        i = self.controller.selected
        try:
            self.controller.move_layer(i, i + direction)
        except LayoutError as exc:
            self._refuse(exc)

    def _toggle_visible(self) -> None:
        layer = self.controller.selected_layer
        if layer is not None:
            self.controller.set_visible(self.controller.selected, not layer.visible)

    def _toggle_lock(self) -> None:
        layer = self.controller.selected_layer
        if layer is not None:
            self.controller.set_locked(self.controller.selected, not layer.locked)

    def _rename_selected(self) -> None:
        i = self.controller.selected
        if i >= 0:
            self.layers_dock.show()
            view = self.layers_panel.view
            view.edit(self.layers_panel.model.index(self.layers_panel.model.row_of(i)))

    # ------------------------------------------------------------------ jobs
    def generate(self) -> None:
        if self.busy:
            return
        self._commit_hint()  # Generate draws every layer from its hint: the one being typed too
        doc, p = self.document, self.prompt_panel
        seed = p.seed_spin.value()
        # Seeds follow the panel's seed (background seed, then seed + k per box); locked layers keep theirs, and
        # hidden ones stay as they are (the prompt's objects go to boxes that show)
        hidden = {i for i, l in enumerate(doc.layers) if not l.visible}
        layers = [l if l.locked or i in hidden else replace(l, seed=seed + i) for i, l in enumerate(doc.layers)]
        work = Document(doc.width, doc.height, p.prompt, layers, doc.model_id)
        try:
            request = JobRequest.generate(work, steps=p.steps_spin.value(), keep=hidden)
        except LayoutError as exc:
            return self._error("Cannot generate", exc)
        if not request.generated_indices:
            return self._refuse(LayoutError("every layer is locked or hidden: unlock or show one to generate it"))
        if not p.prompt.strip() and not any(layers[i].hint.strip() for i in request.generated_indices):
            # nothing to draw from: every box would come out as stray marks
            p.prompt_edit.setFocus()
            return self._refuse(LayoutError("write a prompt first: what the design shows ('a red star and the word "
                                            "'SALE' on navy'), or give each layer a hint"))
        self._start_job(request, "Generate", "Generating")

    def regenerate(self) -> None:
        if self.busy:
            return
        c, p = self.controller, self.prompt_panel
        i, layer = c.selected, c.selected_layer
        if layer is None:
            return self._refuse(LayoutError("select a layer to regenerate"))
        if layer.locked:
            return self._refuse(LayoutError(f"layer “{layer.name}” is locked: unlock it to regenerate it"))
        doc = self.document
        work = Document(doc.width, doc.height, p.prompt or doc.prompt, list(doc.layers), doc.model_id)
        seed = random.randint(0, 999_999)
        while seed == layer.seed:
            seed = random.randint(0, 999_999)
        try:
            # The field shows this layer's hint, perhaps with edits not stored yet: the result keeps it.
            typed = self._hint_uid == c.uids[i]
            hint = p.hint_edit.text().strip() if typed else layer.hint
            request = JobRequest.regenerate(work, i, seed, hint=hint, steps=p.steps_spin.value())
        except LayoutError as exc:
            return self._error("Cannot regenerate", exc)
        if typed and p.hint_edit.isModified():
            # Not stored as a step of its own: one undo brings back the layer and its hint as they were (the old
            # result was listed as drawn with the new hint, and the next Generate drew from it).
            p.hint_edit.setModified(False)
            self._hint_in_job = c.uids[i]
        self._start_job(request, f"Regenerate {layer.name}", f"Regenerating {layer.name}")

    def _start_job(self, request: JobRequest, undo_text: str, label: str) -> None:
        self.controller.editing_locked = True
        self._job_label = label
        # the first job may wait for the model to load (half a minute on a busy laptop): say so until it starts
        shown = label if self.worker.engine is not None else "Loading the model"
        self.prompt_panel.set_busy(True, shown)
        self.statusBar().showMessage(f"{shown}…")
        self._task = asyncio.ensure_future(self._run_job(request, undo_text, label), loop=event_loop())
        # The clean-up is the task's done callback: it runs even for a task cancelled before it started.
        self._task.add_done_callback(self._job_finished)
        self._update_actions()
        self.layers_panel.refresh()

    async def _run_job(self, request: JobRequest, undo_text: str, label: str) -> str:
        t0 = time.monotonic()
        try:
            first_load = self.worker.engine is None
            result = await self.worker.run(request, self._on_progress)
            if first_load:
                self._engine_ready()
            redrawn = request.generated_indices[0] if request.kind == "regenerate" else None
            if redrawn is not None:
                uid, before = self.controller.uids[redrawn], self.document.layers[redrawn]
            kept = self.controller.apply_result(result, undo_text)  # an imported picture's parts in locked boxes
            self.last_job_seconds = time.monotonic() - t0
            notices = [sentence(k) for k in kept] + result.notices
            if redrawn is None:  # the whole design read afresh
                self._design_notices, self._layer_notices = notices, {}
                self._design_words = {uid: _quotable(layer) for uid, layer in zip(self.controller.uids,
                                                                                  self.document.layers)}
            else:  # a layer redrawn: what Generate said of the rest of the design holds
                self._notices_after_regenerate(uid, before, self.document.layers[self.controller.uids.index(uid)],
                                               notices)
            # the notes themselves are under the prompt: repeated here, a long one ran off the status bar mid-word;
            # all of them are counted (after a regenerate, counting its own said '1 note' under three)
            count = self._show_notices()
            note = f" ({count} note{'s' if count > 1 else ''} under the prompt)" if count else ""
            # a picture's part moved out of a locked box is named in the status bar too, where the eye is after Import
            note += "".join(f"; {k}" for k in kept)
            self.statusBar().showMessage(f"{label}: done in {self.last_job_seconds:.1f} s{note}",
                                         15000 if kept else 8000)
            return "done"
        except (Cancelled, asyncio.CancelledError):  # the Cancel button, or the window closing
            self.statusBar().showMessage(f"{label}: cancelled; nothing changed", 8000)
            return "cancelled"
        except Exception as exc:  # an engine failure must never take the window down
            self._engine_ready()
            self.statusBar().showMessage(f"{undo_text} failed; nothing changed", 8000)
            self._error(f"{label} failed", exc)
            return "error"

    def _job_finished(self, task: asyncio.Task) -> None:
        outcome = "cancelled" if task.cancelled() else task.result()
        self.controller.editing_locked = False
        if outcome != "done" and self._hint_in_job is not None and self._hint_in_job == self._hint_uid:
            self.prompt_panel.hint_edit.setModified(True)  # not drawn: the typed hint is still to be stored
        self._hint_in_job = None
        self.canvas.clear_preview()
        self.prompt_panel.set_busy(False)
        self.prompt_panel.clear_preview()
        self._task = None
        self._update_actions()
        self.layers_panel.refresh()
        self.jobFinished.emit(outcome)

    def _on_progress(self, step: int, total: int, preview) -> None:
        self.prompt_panel.set_progress(step, total, self._job_label)
        if preview is not None:
            pm = to_pixmap(preview)
            self.canvas.show_preview(pm)
            self.prompt_panel.set_preview(pm)

    def cancel_job(self) -> None:
        if self.busy:
            self.worker.cancel()
            self.prompt_panel.progress_bar.setFormat("Cancelling…")

    # ------------------------------------------------------------------ dialogs
    def _error(self, title: str, exc: BaseException) -> QMessageBox:
        """A non-blocking error dialog (window-modal). User errors show their message; anything else
        also carries its traceback under Details."""
        self.last_error = exc
        box = QMessageBox(QMessageBox.Icon.Critical, title, sentence(str(exc)) or type(exc).__name__,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        if not isinstance(exc, (UserError, LayoutError)):
            box.setInformativeText("The document was not changed.")
            box.setDetailedText("".join(traceback.format_exception(exc)))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs.append(box)
        box.finished.connect(lambda _: self._dialogs.remove(box) if box in self._dialogs else None)
        box.open()
        return box

    def about(self) -> None:
        QMessageBox.about(self, "About LayerStudio",
                          f"<h3>LayerStudio {__version__}</h3>"
                          "<p>Layered, transparent designs from anonymous boxes and one prompt, "
                          "with a generative model that runs on your machine.</p>"
                          "<p>Draw boxes (B), write a prompt, Generate; select a layer and Regenerate it "
                          "until it is right; export a layered PSD.</p>")

    def model_info(self) -> None:
        engine = self.worker.engine
        if engine is None:
            text = "The model loads with the first job."
        else:
            cfg = getattr(engine, "config", None)
            text = (f"Model: {getattr(engine, 'model_id', '?')}\nDevice: {getattr(engine, 'device', '?')}\n"
                    f"Default steps: {getattr(cfg, 'default_steps', '?')}\n"
                    f"Canvas presets: {', '.join(f'{w}×{h}' for w, h in self.canvas_presets())}")
        QMessageBox.information(self, "Model", text)

    def canvas_presets(self) -> list[tuple[int, int]]:
        cfg = getattr(self.worker.engine, "config", None)
        presets = getattr(cfg, "canvas_presets", None)
        return [tuple(p) for p in presets] if presets else list(self._unloaded_sizes)

    # ------------------------------------------------------------------ files
    def maybe_discard(self) -> bool:
        """True when the current document may be replaced (saved, or the user agreed to lose changes)."""
        self._commit_hint()  # a hint still being typed is a change too
        if self.controller.undo_stack.isClean() or not self.confirm_discard:
            return True
        answer = QMessageBox.warning(
            self, "Unsaved changes", "The design has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_document(self) -> None:
        if self.busy or not self.maybe_discard():
            return
        d = self.document
        dialog = NewDocumentDialog(self.canvas_presets(), (d.width, d.height), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        w, h = dialog.canvas_size()
        self.set_document(blank_document(w, h, seed=self.prompt_panel.seed_spin.value()), None)

    def set_document(self, document: Document, path: Path | None, source: Path | None = None,
                     source_note: str = "imported") -> None:
        """`path`: the project that Save writes; `source`: the file it came from (a PSD, say) when not one;
        `source_note`: what the title says of such a source."""
        self.path = Path(path) if path else None
        self.source = Path(source) if source else self.path
        self._source_note = source_note
        self.controller.set_document(document)
        if document.layers:  # the seed Generate last drew with (the background's) comes back with the design
            self.prompt_panel.seed_spin.setValue(document.layers[0].seed)
        self._update_title()

    @property
    def display_name(self) -> str:
        if self.path is not None:
            return self.path.name
        return f"{self.source.name} ({getattr(self, '_source_note', 'imported')})" if self.source is not None \
            else "Untitled"

    @property
    def stem(self) -> str:
        """The name a new project or export file starts from."""
        origin = self.path or self.source
        return origin.stem if origin is not None else "Untitled"

    def document_for_save(self) -> Document:
        """The document as saved (its prompt follows the prompt box as the user types)."""
        d = self.document
        return Document(d.width, d.height, d.prompt, list(d.layers), d.model_id)

    def open_file(self, path: str | Path | None = None) -> bool:
        if self.busy or not self.maybe_discard():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open", self._last_dir(), OPEN_FILTER)
            if not path:
                return False
        path = Path(path)
        try:
            document, warnings, project_path = self._read(path)
        except (UserError, LayoutError, OSError) as exc:
            self._error("Cannot open", exc if not isinstance(exc, OSError) else UserError(f"cannot open {path}: {exc.strerror or exc}"))
            return False
        damaged = path.suffix.lower() == ".lsproj" and project_path is None
        self.set_document(document, project_path, source=path, source_note="damaged" if damaged else "imported")
        self._add_recent(path)
        n = len(document.layers)
        self.statusBar().showMessage(f"Opened {path.name}: {n} layer{'' if n == 1 else 's'}", 6000)
        if warnings:
            self._warn("Opened with warnings", warnings, DAMAGED_SAVE_NOTE.format(path.name) if damaged else "")
        return True

    def _warn(self, title: str, warnings: list[str], note: str = "") -> QMessageBox:
        """A non-blocking warning dialog listing what a file lost on its way in."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, "\n".join(sentence(w) for w in warnings),
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("warningDialog")
        if note:
            box.setInformativeText(note)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _read(self, path: Path) -> tuple[Document, list[str], Path | None]:
        """The document in `path`, warnings for the user, and the project Save may write (None: Save asks)."""
        suffix = path.suffix.lower()
        if suffix == ".lsproj":
            from ..io.project import open_project

            document, warnings = open_project(path)
            # A project that lost an image opens, but Save asks for a name rather than overwrite the damaged
            # file (what remains of the lost image is still in it) without the user choosing to.
            return document, warnings, None if warnings else path
        if suffix == ".psd":
            from ..io.psd import import_psd

            document, warnings = import_psd(path)
            return document, list(warnings), None
        hint = "; to split a picture into layers, use File > Import Image" if suffix in IMAGE_SUFFIXES else ""
        raise UserError(f"{path.name}: not a LayerStudio project (.lsproj) or PSD (.psd){hint}")

    def save(self) -> bool:
        if self.path is None or self.path.suffix.lower() != ".lsproj":
            return self.save_as()
        return self._save_to(self.path)

    def save_as(self) -> bool:
        folder = self.source.parent if self.source is not None else Path(self._last_dir())
        start = str(self.path) if self.path else str(folder / f"{self.stem}.lsproj")
        path, _ = QFileDialog.getSaveFileName(self, "Save As", start, PROJECT_FILTER)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() == ".psd":  # asked for a PSD by name: written as one (it was 'x.psd.lsproj')
            exported = self.export_psd(path)
            if exported:
                self.statusBar().showMessage(f"Exported {path}. The project is not saved: Save As a .lsproj keeps it "
                                             f"whole, with its variations", 10000)
            return exported
        if path.suffix.lower() != ".lsproj":
            path = path.with_name(path.name + ".lsproj")
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        self._commit_hint()
        try:
            from ..io.project import save_project

            save_project(self.document_for_save(), path)
        except (UserError, LayoutError, OSError) as exc:
            self._error("Cannot save", file_error(exc, path, "save"))
            return False
        self.path = self.source = path
        self.controller.undo_stack.setClean()
        self._update_title()
        self._add_recent(path)
        self._discard_recovery()
        self.statusBar().showMessage(f"Saved {path}", 6000)
        return True

    def export_psd(self, path: str | Path | None = None) -> bool:
        if path is None:
            stem = self.stem if self.path or self.source else "design"
            path, _ = QFileDialog.getSaveFileName(self, "Export PSD", str(Path(self._last_dir()) / f"{stem}.psd"),
                                                  "Photoshop document (*.psd)")
            if not path:
                return False
        path = Path(path)
        if path.suffix.lower() != ".psd":
            path = path.with_name(path.name + ".psd")
        try:
            from ..io.psd import export_psd

            self._commit_hint()
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                export_psd(self.document_for_save(), path)
            finally:
                QApplication.restoreOverrideCursor()
        except (UserError, LayoutError, OSError) as exc:
            self._error("Cannot export PSD", file_error(exc, path, "export"))
            return False
        self.statusBar().showMessage(f"Exported {path}", 6000)
        return True

    def export_pngs(self, directory: str | Path | None = None) -> bool:
        if directory is None:
            directory = QFileDialog.getExistingDirectory(self, "Export PNGs to folder", self._last_dir())
            if not directory:
                return False
        try:
            try:
                from ..io.png import earlier_export, export_pngs
            except ImportError:
                raise UserError("PNG export is not available in this build") from None
            if earlier_export(directory) and not self._replace_export(Path(directory)):
                return False
            self._commit_hint()
            export_pngs(self.document_for_save(), Path(directory))
        except (UserError, LayoutError, OSError) as exc:
            self._error("Cannot export PNGs", file_error(exc, Path(directory), "export"))
            return False
        self.statusBar().showMessage(f"Exported PNGs to {directory}", 6000)
        return True

    def _replace_export(self, directory: Path) -> bool:
        """Asked before an earlier export in `directory` is replaced (it was, without a word)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Replace the export?",
                          f"{directory} holds an earlier export (composite.png, layout.json and its layers). "
                          "Replace it?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("replaceExportDialog")
        box.button(QMessageBox.StandardButton.Yes).setText("Replace")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return not self.confirm_discard or box.exec() == QMessageBox.StandardButton.Yes

    def import_image(self, path: str | Path | None = None) -> None:
        """Decompose an image into the drawn boxes: the image is fitted to the canvas, then the engine
        splits it into a background and one layer per box (one undo step)."""
        if self.busy:
            return
        doc = self.document
        if len(doc.layers) < 2:
            return self._error("Import Image", UserError(
                "draw boxes first where the image's parts are; the image is split into one layer per box."))
        # each locked layer keeps its pixels; the picture's part in its box becomes a layer of its own
        over = len(doc.layers) - 1 + sum(l.locked for l in doc.layers) - MAX_FOREGROUND_BOXES
        if over > 0:
            return self._error("Import Image", LayoutError(
                f"the picture's parts in the boxes of locked layers would be new layers, past the "
                f"{MAX_FOREGROUND_BOXES} a design holds: unlock {over} of them, or delete boxes, first"))
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import Image", self._last_dir(), IMAGE_FILTER)
            if not path:
                return
        try:
            image = load_image(Path(path), doc.width, doc.height)
            boxes = [l.box for l in doc.layers[1:]]
            request = JobRequest.decompose(image, boxes, self.prompt_panel.prompt, self.prompt_panel.seed_spin.value(),
                                           steps=self.prompt_panel.steps_spin.value())
        except (UserError, LayoutError) as exc:
            return self._error("Cannot import image", exc)
        self._start_job(request, "Import Image", "Decomposing image")

    # ------------------------------------------------------------------ recent files and settings
    def _last_dir(self) -> str:
        return str(self.settings.value("files/lastDir", str(Path.home())))

    def recent_files(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        self.settings.setValue("files/recent", files[:MAX_RECENT])
        self.settings.setValue("files/lastDir", str(Path(p).parent))

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for n, f in enumerate(files, 1):
            a = self.recent_menu.addAction(f"&{n % 10}  {Path(f).name}")
            a.setToolTip(f)
            a.setStatusTip(f)
            a.setEnabled(Path(f).exists())
            a.triggered.connect(lambda _=False, f=f: self.open_file(f))
        if not files:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear List", lambda: self.settings.setValue("files/recent", []))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._laid_out:  # first start: the canvas gets what the two side columns leave
            self._laid_out = True
            self.resizeDocks([self.prompt_dock, self.layers_dock], [300, 340], Qt.Orientation.Horizontal)
            QTimer.singleShot(0, self._narrow_docks)  # once the layout has taken effect
        elif self._saved_dock_widths:  # the widths the user gave them, not those a small window left them
            widths, self._saved_dock_widths = self._saved_dock_widths, None
            QTimer.singleShot(0, lambda: self._lay_out_docks(widths))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if 0 < event.size().width() < event.oldSize().width():  # a height change keeps the user's widths
            self._narrow_docks()
        elif event.size().width() > event.oldSize().width() > 0:
            self._widen_docks()

    def _narrow_docks(self) -> None:
        """Docks keep their width as the window shrinks, and the canvas alone lost it (154 px of 800): the side
        columns give way, each down to its minimum, until the canvas has about half of the window."""
        columns: dict = {}  # one per side: docks stacked or tabbed in an area share its width
        for dock in (self.prompt_dock, self.layers_dock):
            area = self.dockWidgetArea(dock)
            if (dock.isVisible() and not dock.isFloating() and not dock.visibleRegion().isEmpty()
                    and area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
                    and (area not in columns or dock.width() > columns[area].width())):
                columns[area] = dock
        docks = list(columns.values())
        total, room = sum(d.width() for d in docks), self.width() // 2
        if docks and total > room:
            if self._dock_widths is None:
                self._dock_widths = {d: d.width() for d in docks}
            self.resizeDocks(docks, [max(d.minimumSizeHint().width(), d.width() * room // total) for d in docks],
                             Qt.Orientation.Horizontal)

    def _lay_out_docks(self, widths: list[int]) -> None:
        """The side columns at the widths saved last time; narrowed if this window is too small for them, they
        grow back to those (opened small, they were measured before the layout took them and stayed narrow)."""
        docks = [self.prompt_dock, self.layers_dock]
        self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)
        self._dock_widths = dict(zip(docks, widths))
        self._narrow_docks()

    def _widen_docks(self) -> None:
        """Columns a smaller window narrowed grow back towards their widths before, as the window leaves room
        (they stayed narrow, names cut to 'Gree…', and were saved so)."""
        if not self._dock_widths:
            return
        docks = [d for d in self._dock_widths if d.isVisible() and not d.isFloating()]
        wanted = sum(self._dock_widths[d] for d in docks)
        share = min(1.0, (self.width() // 2) / wanted) if wanted else 1.0
        self.resizeDocks(docks, [max(d.width(), int(self._dock_widths[d] * share)) for d in docks],
                         Qt.Orientation.Horizontal)
        if share >= 1.0:
            self._dock_widths = None

    def _preferred_dock_widths(self) -> list[int]:
        kept = self._dock_widths or {}
        return [kept.get(d, d.width()) for d in (self.prompt_dock, self.layers_dock)]

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and self.restoreState(state):
            self._laid_out = True
            widths = self.settings.value("window/dock_widths")
            if isinstance(widths, list) and len(widths) == 2 and all(str(v).isdigit() for v in widths):
                self._saved_dock_widths = [int(v) for v in widths]

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/dock_widths", self._preferred_dock_widths())
        self.settings.remove("generate/steps")  # older versions kept it; it now follows the model
        self.settings.sync()

    # ------------------------------------------------------------------ autosave and recovery
    def _start_recovery(self) -> None:
        from ..io.recovery import RecoverySession

        try:
            self._recovery = RecoverySession().start()
        except (UserError, OSError) as exc:
            self.statusBar().showMessage(f"Autosave is off: {exc}", 10000)
            return
        self._autosave_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layerstudio-autosave")
        self._autosave_future = None
        self._autosaved_state = None
        self._autosave_timer.start()

    def autosave(self) -> None:
        """While modified, write the document to the recovery folder on a background thread (layers are
        immutable, so a shallow copy is a consistent snapshot). Clean again: drop the autosave."""
        session = self._recovery
        if session is None or (self._autosave_future is not None and not self._autosave_future.done()):
            return
        stack = self.controller.undo_stack
        state = self._change_count  # merged edits (a slider, typing) leave the stack's index as it was
        if stack.isClean():
            if self._autosaved_state is not None:
                self._autosave_future = self._autosave_pool.submit(session.clear)
                self._autosaved_state = None
            return
        if state == self._autosaved_state:
            return
        self._autosaved_state = state
        doc, source, title = self.document_for_save(), self.source, (self.path or self.source or Path("Untitled")).name
        self._autosave_future = self._autosave_pool.submit(session.autosave, doc, source, title)
        self._autosave_future.add_done_callback(self._autosave_done)

    def _autosave_done(self, future) -> None:  # worker thread: report through the loop
        exc = future.exception()
        if exc is not None:
            self._autosaved_state = None
            message = f"Autosave failed: {exc}"
            try:
                event_loop().call_soon_threadsafe(lambda: self.statusBar().showMessage(message, 8000))
            except RuntimeError:
                pass

    def _discard_recovery(self) -> None:
        if self._recovery is not None:
            if self._autosave_future is not None:
                wait([self._autosave_future])  # its own errors were reported when it finished
            self._recovery.clear()
            self._autosaved_state = None

    def offer_recovery(self, directory=None) -> bool:
        """After a crash: offer the autosaves of sessions that did not close, newest first, until one is restored or
        the user says Not Now (one discarded, the next is offered: only the newest was, the rest stayed unseen on
        disk). True when restored."""
        from ..io.recovery import discard, find_recoverable

        try:
            found = find_recoverable(directory)
        except (UserError, OSError):
            return False
        for k, item in enumerate(found):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.saved_at))
            name = item.title or (Path(item.source).name if item.source else "an untitled design")
            count = f" (1 of {len(found) - k} unsaved designs)" if len(found) - k > 1 else ""
            box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                              f"LayerStudio did not close properly. Restore {name}, autosaved {when}?{count}",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                              | QMessageBox.StandardButton.Cancel, self)
            box.setObjectName("recoveryDialog")
            box.button(QMessageBox.StandardButton.Yes).setText("Restore")
            box.button(QMessageBox.StandardButton.No).setText("Discard")
            box.button(QMessageBox.StandardButton.Cancel).setText("Not Now")
            box.setEscapeButton(QMessageBox.StandardButton.Cancel)  # Esc or closing the dialog loses nothing
            later = " The others are offered at the next start." if count else ""
            box.setInformativeText("Discard deletes the autosave for good; Not Now keeps it for the next start." + later)
            answer = box.exec()
            if answer == QMessageBox.StandardButton.No:
                discard(item)
                continue
            if answer != QMessageBox.StandardButton.Yes:
                return False
            return self._restore(item, name, len(found) - k - 1)
        return False

    def _restore(self, item, name: str, others: int) -> bool:
        from ..io.recovery import discard

        try:
            document, warnings = item.open()
        except (UserError, LayoutError, OSError) as exc:
            self._error("Cannot recover", exc)
            return False
        source = Path(item.source) if item.source else None
        project = source is not None and source.suffix.lower() == ".lsproj"
        # A damaged autosave restores what it can; Save then asks for a name rather than write the loss over the
        # (intact) project it came from.
        self.set_document(document, source if project and not warnings else None, source=source,
                          source_note="recovered" if warnings and project else "imported")
        self.controller.undo_stack.resetClean()  # recovered work is unsaved work
        self._update_title()
        discard(item)
        kept = (f" ({others} more unsaved design{'s are' if others > 1 else ' is'} offered at the next start)"
                if others else "")
        self.statusBar().showMessage(f"Recovered {name}; save it to keep it{kept}", 10000)
        if warnings:
            self._warn("Recovered with warnings", warnings, DAMAGED_SAVE_NOTE.format(source.name) if project else "")
        return True

    # ------------------------------------------------------------------ closing
    def _quit_during_job(self) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "A job is running",
                          "A job is still running. Quit anyway? It is cancelled and its result lost.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("quitDuringJobDialog")
        box.button(QMessageBox.StandardButton.Yes).setText("Quit")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy and self.confirm_discard and not self._quit_during_job():
            event.ignore()
            return
        if not self.maybe_discard():
            event.ignore()
            return
        self.worker.cancel()
        if self._task is not None and not self._task.done():
            self._task.cancel()  # its clean-up touches the canvas: it must run before the widgets go
        self.save_settings()
        self._autosave_timer.stop()
        if self._recovery is not None:
            if self._autosave_future is not None:
                wait([self._autosave_future])
            self._autosave_pool.shutdown()
            self._recovery.close()  # a clean exit: nothing to recover
            self._recovery = None
        self.worker.shutdown()
        event.accept()


def sentence(message: str) -> str:
    """An error message as a dialog shows it: its first word capitalised ('cannot save to ...'), unless that is a
    file name or path, which stays as it is."""
    first = re.match(r"[^\s:]*", message).group()
    if first[:1].islower() and not re.search(r"[./\\_~]", first):
        return message[:1].upper() + message[1:]
    return message


def file_error(exc: Exception, path: Path, verb: str) -> Exception:
    """An OSError from writing `path` as a one-line UserError naming the user's path (never a temp file)."""
    if isinstance(exc, OSError):
        from ..io.atomic import os_error_message

        return UserError(os_error_message(exc, path, verb))
    return exc


def release_clipboard() -> None:
    """Without a system clipboard (the offscreen and minimal platforms) Qt keeps the copied data in a static
    freed after Python has gone; a QMimeData made in Python then crashes the exit (segfault). Drop it first."""
    if QApplication.platformName() in ("offscreen", "minimal"):
        QApplication.clipboard().clear()


def load_image(path: Path, width: int, height: int):
    """An image file as RGBA uint8, fitted (scaled, then centred) into a width x height canvas."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            image = im.convert("RGBA")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UserError(f"{path.name}: not an image this app can read ({exc})") from None
    if image.size != (width, height):
        scale = min(width / image.width, height / image.height)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        scaled = image.resize(size, Image.Resampling.LANCZOS)
        canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        canvas.paste(scaled, ((width - size[0]) // 2, (height - size[1]) // 2))
        image = canvas
    return np.asarray(image, dtype=np.uint8).copy()


def _drawn_from_words(layer) -> set[str]:
    """The words a layer was drawn from, as notices quote them (lower case)."""
    prov = layer.provenance
    if prov is None:
        return set()
    return {w.strip().lower() for w in (prov.phrase, drawn_from(prov.phrase, prov.hint)) if w.strip()}


def _quotable(layer) -> set[str]:
    """What a notice may quote a layer by: the words it was drawn from, and its name."""
    return _drawn_from_words(layer) | {layer.name.strip().lower()}
