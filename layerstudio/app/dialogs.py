"""The New Document dialog: canvas presets suited to the loaded model, or a custom size on the 16 px grid."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox,
                               QVBoxLayout)

from ..document import GRID, MAX_CANVAS_SIDE

FALLBACK_PRESETS = [(256, 256), (512, 512), (768, 512), (512, 768)]


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
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin, value in ((self.width_spin, current[0]), (self.height_spin, current[1])):
            spin.setRange(GRID, MAX_CANVAS_SIDE)
            spin.setSingleStep(GRID)
            spin.setSuffix(" px")
            spin.setToolTip(f"{GRID} to {MAX_CANVAS_SIDE} px, in steps of {GRID}")
            spin.setValue(value)
            spin.editingFinished.connect(self._snap)
        self.width_spin.setObjectName("widthSpin")
        self.height_spin.setObjectName("heightSpin")
        # the limits said where they apply: a width typed past them was changed without a word (5000 -> 512)
        note = QLabel(f"Sides are {GRID} to {MAX_CANVAS_SIDE} px and snap to the model's {GRID} px grid. The presets "
                      "are the sizes the loaded model was trained for; larger canvases work but take longer.")
        note.setWordWrap(True)
        note.setObjectName("hintLabel")

        form = QFormLayout()
        form.addRow("Preset", self.combo)
        form.addRow("Width", self.width_spin)
        form.addRow("Height", self.height_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
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

    def _snap(self) -> None:
        for spin in (self.width_spin, self.height_spin):
            # up, as boxes, imported PSDs and pictures snap: a size never loses pixels (200 -> 208)
            spin.setValue(min(MAX_CANVAS_SIDE, -(-spin.value() // GRID) * GRID))

    def canvas_size(self) -> tuple[int, int]:
        self._snap()
        return self.width_spin.value(), self.height_spin.value()
