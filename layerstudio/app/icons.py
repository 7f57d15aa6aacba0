"""Icons from resources/icons (SVG, drawn for this project). A missing file gives an empty icon, never an error."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

from .. import RESOURCES

ICON_DIR = RESOURCES / "icons"


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    path = ICON_DIR / f"{name}.svg"
    if not path.is_file():
        return QIcon()
    ic = QIcon()
    for size in (16, 18, 20, 24, 32, 48):
        ic.addFile(str(path), QSize(size, size))
    return ic


def app_icon() -> QIcon:
    path = ICON_DIR / "layerstudio.svg"
    if not path.is_file():
        return QIcon()
    ic = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        ic.addPixmap(QIcon(str(path)).pixmap(QSize(size, size)))
    return ic


def pixmap(name: str, size: int) -> QPixmap:
    return icon(name).pixmap(QSize(size, size))
