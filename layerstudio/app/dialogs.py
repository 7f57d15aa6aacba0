"""The New Document dialog: canvas presets suited to the loaded model, or a custom size on the 16 px grid."""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QSpinBox, QVBoxLayout)

from ..document import GRID, MAX_CANVAS_SIDE

FALLBACK_PRESETS = [(256, 256), (512, 512), (768, 512), (512, 768)]
TYPABLE = 9_999_999  # any side can be typed, so one out of range is shown and explained, not cut ('5000' became 500)


class SideSpinBox(QSpinBox):
    """A canvas side: typing goes past the limits (OK then says what is wrong); the arrows stay within them."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRange(0, TYPABLE)

    def stepBy(self, steps: int) -> None:
        self.setValue(min(MAX_CANVAS_SIDE, max(GRID, self.value() + steps * self.singleStep())))

    def stepEnabled(self):
        v, flags = self.value(), QAbstractSpinBox.StepEnabledFlag.StepNone
        if v > GRID:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        if v < MAX_CANVAS_SIDE:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        return flags


class NewDocumentDialog(QDialog):
    def __init__(self, presets=None, current=(512, 512), parent=None):
        super().__init__(parent)
        self.setObjectName("newDocumentDialog")
        self.setWindowTitle("New Document")
        self.setMinimumWidth(340)  # room for the title in the window frame (it was cut: "New Docu…")
        presets = [tuple(p) for p in (presets or FALLBACK_PRESETS)]
        self.presets = presets
        self.combo = QComboBox()
        self.combo.setObjectName("presetCombo")
        for w, h in presets:
            shape = "square" if w == h else ("landscape" if w > h else "portrait")
            self.combo.addItem(f"{w} × {h}  ({shape})", (w, h))
        self.combo.addItem("Custom", None)
        self.width_spin, self.height_spin = SideSpinBox(), SideSpinBox()
        for spin, value in ((self.width_spin, current[0]), (self.height_spin, current[1])):
            spin.setSingleStep(GRID)
            spin.setSuffix(" px")
            spin.setToolTip(f"{GRID} to {MAX_CANVAS_SIDE} px, in steps of {GRID}")
            spin.setValue(value)
            spin.editingFinished.connect(self._snap)
            spin.valueChanged.connect(self._recheck)
        self.width_spin.setObjectName("widthSpin")
        self.height_spin.setObjectName("heightSpin")
        # the limits said where they apply: a width typed past them was changed without a word (5000 -> 512)
        note = QLabel(f"Sides are {GRID} to {MAX_CANVAS_SIDE} px and snap to the model's {GRID} px grid. The presets "
                      "are the sizes the loaded model was trained for; larger canvases work but take longer.")
        note.setWordWrap(True)
        note.setObjectName("hintLabel")
        self.error_label = QLabel()  # what is wrong with the size typed, shown until it is put right
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        form = QFormLayout()
        form.addRow("Preset", self.combo)
        form.addRow("Width", self.width_spin)
        form.addRow("Height", self.height_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error_label)
        lay.addWidget(note)
        lay.addWidget(buttons)

        self.combo.currentIndexChanged.connect(self._preset_chosen)
        match = next((i for i, p in enumerate(presets) if p == tuple(current)), len(presets))
        self.combo.setCurrentIndex(match)
        self._preset_chosen(match)

    def _preset_chosen(self, i: int) -> None:
        size = self.combo.itemData(i)
        custom = size is None
        self.width_spin.setEnabled(custom)
        self.height_spin.setEnabled(custom)
        if size:
            self.width_spin.setValue(size[0])
            self.height_spin.setValue(size[1])

    def problem(self) -> tuple[QSpinBox, str] | None:
        """The first side out of range and why, in words."""
        for spin, side in ((self.width_spin, "Width"), (self.height_spin, "Height")):
            v = spin.value()
            if v < GRID:
                return spin, f"{side} {v} px is too small: a canvas side is at least {GRID} px."
            if v > MAX_CANVAS_SIDE:
                return spin, f"{side} {v} px is too large: a canvas side is at most {MAX_CANVAS_SIDE} px."
        return None

    def _show_problem(self) -> bool:
        found = self.problem()
        self.error_label.setText(found[1] if found else "")
        self.error_label.setVisible(found is not None)
        hint = self.sizeHint()  # room for the message: the form was squeezed and the spin boxes' digits clipped
        self.resize(max(self.width(), hint.width()), max(self.height(), hint.height()))
        return found is None

    def _recheck(self) -> None:
        if self.error_label.isVisible():  # a message stays only while it is true
            self._show_problem()

    def _snap(self) -> None:
        for spin in (self.width_spin, self.height_spin):
            # up, as boxes, imported PSDs and pictures snap: a size never loses pixels (200 -> 208); out of range
            # it stays as typed, and the message says why OK refuses it
            if GRID <= spin.value() <= MAX_CANVAS_SIDE:
                spin.setValue(min(MAX_CANVAS_SIDE, -(-spin.value() // GRID) * GRID))
        self._show_problem()

    def accept(self) -> None:
        self._snap()
        found = self.problem()
        if found is not None:
            found[0].setFocus()
            found[0].selectAll()
            return
        super().accept()

    def canvas_size(self) -> tuple[int, int]:
        self._snap()
        return tuple(min(MAX_CANVAS_SIDE, max(GRID, s.value())) for s in (self.width_spin, self.height_spin))
