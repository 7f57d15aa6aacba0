"""The Generate panel: prompt, seed, steps, Generate; hint and Regenerate for the selected layer;
progress with step count, a live preview and Cancel."""
from __future__ import annotations

import random

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QProgressBar, QPushButton, QSizePolicy, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from ..document import MAX_SEED
from .icons import icon


class ElidedLabel(QLabel):
    """One line cut with '…' to the width it is given (a plain label's minimum width is its whole text, so a
    long layer name would widen the panel and squeeze the canvas); the full text is its tooltip."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.setMinimumWidth(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 1)))


class PromptPanel(QWidget):
    generateRequested = Signal()
    regenerateRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("promptPanel")

        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setObjectName("promptEdit")
        self.prompt_edit.setPlaceholderText("Describe the whole design, e.g. “a poster with a red sun over "
                                            "blue mountains and a title”")
        self.prompt_edit.setTabChangesFocus(True)
        # Typing is part of the document's one undo history (MainWindow routes Ctrl+Z there).
        self.prompt_edit.setUndoRedoEnabled(False)
        self.prompt_edit.setMinimumHeight(70)
        self.prompt_edit.setMaximumHeight(120)

        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seedSpin")
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setToolTip("Seed: the same seed, prompt and boxes give the same design")
        self.seed_button = QToolButton()
        self.seed_button.setObjectName("randomSeedButton")
        self.seed_button.setIcon(icon("dice"))
        self.seed_button.setToolTip("New random seed")
        self.seed_button.setAutoRaise(True)
        self.steps_spin = QSpinBox()
        self.steps_spin.setObjectName("stepsSpin")
        self.steps_spin.setRange(1, 200)
        self.steps_spin.setValue(12)
        self.steps_spin.setToolTip("Sampling steps: more is slower and usually cleaner")

        self.generate_button = QPushButton(icon("generate"), "  Generate")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setToolTip("Generate every unlocked layer (locked layers are kept as context)")
        self.generate_button.setProperty("accent", True)
        self.generate_button.setMinimumHeight(34)

        self.hint_edit = QLineEdit()
        self.hint_edit.setObjectName("hintEdit")
        self.hint_edit.setPlaceholderText("Hint for this layer (optional)")
        self.hint_edit.setToolTip("Extra text for the selected layer only; Return regenerates it")
        self.regenerate_button = QPushButton(icon("regenerate"), "  Regenerate selected")
        self.regenerate_button.setObjectName("regenerateButton")
        self.regenerate_button.setToolTip("Generate the selected layer again with a new seed; "
                                          "every other layer stays as it is")
        self.regenerate_button.setMinimumHeight(30)
        # How the last job read the words (a long prompt's unread end); gone once the prompt is edited or the job
        # undone (not while a hint is typed: the buttons below would jump under the mouse).
        self.notice_label = QLabel()
        self.notice_label.setObjectName("noticeLabel")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()
        self.prompt_edit.textChanged.connect(self.notice_label.hide)
        self.selection_label = ElidedLabel("No layer selected")
        self.selection_label.setObjectName("hintLabel")

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Idle")
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        self.preview = QLabel()
        self.preview.setObjectName("livePreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(72)
        self.preview.setMaximumHeight(120)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.preview.setText("Live preview appears here while a job runs")
        self.preview.setWordWrap(True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.addWidget(QLabel("Seed"), 0, 0)
        seed_row = QHBoxLayout()
        seed_row.setSpacing(2)
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.seed_button)
        grid.addLayout(seed_row, 0, 1)
        grid.addWidget(QLabel("Steps"), 1, 0)
        grid.addWidget(self.steps_spin, 1, 1)
        grid.setColumnStretch(1, 1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(6)
        lay.addWidget(self._section("Prompt"))
        lay.addWidget(self.prompt_edit)
        lay.addWidget(self.notice_label)
        lay.addLayout(grid)
        lay.addWidget(self.generate_button)
        lay.addSpacing(6)
        lay.addWidget(self._section("Selected layer"))
        lay.addWidget(self.selection_label)
        lay.addWidget(self.hint_edit)
        lay.addWidget(self.regenerate_button)
        lay.addSpacing(6)
        lay.addWidget(self._section("Progress"))
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        lay.addWidget(self.preview)
        lay.addStretch(1)

        self.seed_button.clicked.connect(self.randomise_seed)
        self.generate_button.clicked.connect(self.generateRequested)
        self.regenerate_button.clicked.connect(self.regenerateRequested)
        self.hint_edit.returnPressed.connect(self.regenerateRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)

    @staticmethod
    def _section(title: str) -> QWidget:
        label = QLabel(title.upper())
        label.setObjectName("sectionLabel")
        return label

    @property
    def prompt(self) -> str:
        return self.prompt_edit.toPlainText().strip()

    def show_notices(self, notices: list[str]) -> None:
        self.notice_label.setText("\n".join(notices))
        self.notice_label.setVisible(bool(notices))

    def randomise_seed(self) -> None:
        self.seed_spin.setValue(random.randint(0, 999_999))

    def set_busy(self, busy: bool, label: str = "") -> None:
        self.generate_button.setEnabled(not busy)
        self.regenerate_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress_bar.setRange(0, 0)  # busy indicator until the first step reports
            self.progress_bar.setFormat(label)
            self.preview.setText(f"{label}…")
            self.preview.setPixmap(QPixmap())
        else:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("Idle")

    def set_progress(self, step: int, total: int, label: str) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(step)
        self.progress_bar.setFormat(f"{label}: step %v / %m")

    def set_preview(self, pixmap: QPixmap) -> None:
        size = self.preview.size() - QSize(8, 8)
        self.preview.setPixmap(pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))

    def clear_preview(self, text: str = "Live preview appears here while a job runs") -> None:
        self.preview.setPixmap(QPixmap())
        self.preview.setText(text)
