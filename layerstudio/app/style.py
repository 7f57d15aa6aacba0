"""A dark editor theme: Fusion with a dark palette and a few rules for panels and the accent button."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

STYLESHEET = """
QMainWindow::separator { background: #1c1c1f; width: 3px; height: 3px; }
QDockWidget { font-weight: 600; }
QDockWidget::title { background: #2a2a2e; padding: 6px 8px; border-bottom: 1px solid #1c1c1f; }
QToolBar { background: #2a2a2e; border: none; border-bottom: 1px solid #1c1c1f; spacing: 2px; padding: 3px; }
QToolBar QToolButton { padding: 4px; border-radius: 4px; }
QToolBar QToolButton:checked { background: #3a4a60; }
QToolBar QToolButton:hover { background: #3a3a40; }
QStatusBar { background: #2a2a2e; border-top: 1px solid #1c1c1f; }
QStatusBar QLabel { color: #a8a8b0; padding: 0 8px; }
QLabel#sectionLabel { color: #8a8a94; font-size: 10px; font-weight: 700; letter-spacing: 1px; padding-top: 4px; }
QLabel#hintLabel { color: #9a9aa4; }
QLabel#noticeLabel { color: #e8b04a; }
QLabel#errorLabel { color: #ff6b6b; }
QLabel#livePreview { background: #1e1e21; border: 1px solid #1a1a1c; border-radius: 4px; color: #6e6e78; }
QPushButton { padding: 5px 12px; border-radius: 4px; background: #3a3a40; border: 1px solid #1f1f22; }
QPushButton:hover { background: #45454c; }
QPushButton:disabled { color: #6a6a72; background: #2f2f33; }
QPushButton[accent="true"] { background: #2f73c4; color: white; font-weight: 600; border: 1px solid #1d4f8c; }
QPushButton[accent="true"]:hover { background: #3a82d6; }
QPushButton[accent="true"]:disabled { background: #2c3e55; color: #8493a6; }
QPlainTextEdit, QLineEdit { background: #1e1e21; border: 1px solid #141416;
    border-radius: 3px; padding: 3px; selection-background-color: #2f5f94; }
QPlainTextEdit:focus, QLineEdit:focus { border: 1px solid #3d8ee6; }
QListView, QListWidget { background: #232326; border: 1px solid #1a1a1c; }
QProgressBar { background: #1e1e21; border: 1px solid #141416; border-radius: 3px; text-align: center;
    height: 18px; color: #d0d0d6; }
QProgressBar::chunk { background: #2f73c4; border-radius: 2px; }
QMenu { padding: 4px; }
QMenu::item { padding: 4px 24px 4px 20px; }
QMenu::item:selected { background: #2f5f94; }
QSlider::groove:horizontal { height: 4px; background: #1e1e21; border-radius: 2px; }
QSlider::handle:horizontal { background: #d0d0d6; width: 12px; margin: -5px 0; border-radius: 6px; }
QSlider::sub-page:horizontal { background: #2f73c4; border-radius: 2px; }
QSlider::handle:horizontal:disabled { background: #55555c; }
QSlider::sub-page:horizontal:disabled { background: #3a3a40; }
QSpinBox:disabled, QLineEdit:disabled, QPlainTextEdit:disabled { color: #6a6a72; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle(QStyleFactory.create("Fusion"))
    p = QPalette()
    base, window, text = QColor("#232326"), QColor("#2d2d31"), QColor("#e2e2e6")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#29292c"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#1e1e21"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#3a3a40"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f5f94"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#5aa2ef"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#75757e"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6a6a72"))
    app.setPalette(p)
    app.setStyleSheet(STYLESHEET)
