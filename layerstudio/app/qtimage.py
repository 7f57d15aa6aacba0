"""numpy RGBA <-> Qt images, thumbnails and the transparency checkerboard."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap


def to_qimage(pixels: np.ndarray) -> QImage:
    """A deep-copied QImage of straight-alpha RGBA uint8 pixels (H x W x 4)."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = pixels.shape[:2]
    image = QImage(pixels.data, w, h, w * 4, QImage.Format.Format_RGBA8888)
    return image.copy()  # own the memory: the numpy buffer may go away


def to_pixmap(pixels: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(to_qimage(pixels))


def from_qimage(image: QImage) -> np.ndarray:
    """RGBA uint8 (H x W x 4, straight alpha) from any QImage."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return data.reshape(h, image.bytesPerLine())[:, : w * 4].reshape(h, w, 4).copy()


def checker_brush(cell: int = 8, light: str = "#5a5a5f", dark: str = "#47474c") -> QBrush:
    tile = QPixmap(cell * 2, cell * 2)
    tile.fill(QColor(light))
    p = QPainter(tile)
    p.fillRect(0, 0, cell, cell, QColor(dark))
    p.fillRect(cell, cell, cell, cell, QColor(dark))
    p.end()
    return QBrush(tile)


def thumbnail(pixels: np.ndarray, size: QSize, checker: bool = True) -> QPixmap:
    """The pixels scaled to fit `size`, centred on a checkerboard so transparency reads as such."""
    out = QPixmap(size)
    out.fill(Qt.GlobalColor.transparent)
    h, w = pixels.shape[:2]
    if h == 0 or w == 0:
        return out
    scale = min(size.width() / w, size.height() / h)
    tw, th = max(1, round(w * scale)), max(1, round(h * scale))
    # Subsample large layers with numpy first: scaling a 4k QImage per refresh is the slow part.
    step = max(1, int(1 / scale) // 2)
    src = to_qimage(pixels[::step, ::step]) if step > 1 else to_qimage(pixels)
    img = src.scaled(tw, th, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
    p = QPainter(out)
    x, y = (size.width() - tw) // 2, (size.height() - th) // 2
    if checker:
        p.fillRect(x, y, tw, th, checker_brush(4, "#d0d0d0", "#a8a8a8"))
    p.drawImage(x, y, img)
    p.end()
    return out
