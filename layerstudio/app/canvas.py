"""The canvas: every layer as a pixmap at its box, a region tool that draws boxes snapped to the 16 px grid,
select / move / resize with handles, zoom and pan. Edits go to the controller (undoable); while a drag
is under way only the item's displayed box changes."""
from __future__ import annotations

import math
from enum import Enum

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QCursor, QFont, QKeyEvent, QMouseEvent, QPainter, QPainterPath,
                           QPen, QPixmap, QWheelEvent)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView

from ..document import GRID, Box, Layer, LayoutError
from .controller import JOB_RUNNING, DocumentController
from .qtimage import checker_brush, to_pixmap

ACCENT = QColor("#3d8ee6")
MIN_ZOOM, MAX_ZOOM = 1 / 16, 32.0
HANDLE_PX = 8  # handle size on screen, whatever the zoom
MARGIN = 0.75  # scene margin around the canvas, as a fraction of its size, so overflow can be seen


class Tool(Enum):
    SELECT = "select"
    BOX = "box"


def snap(v: float) -> int:
    return int(round(v / GRID)) * GRID


class LayerItem(QGraphicsItem):
    """One layer's pixels drawn into its (possibly temporarily dragged) box."""

    def __init__(self, layer: Layer):
        super().__init__()
        self.layer: Layer | None = None
        self.pixmap = QPixmap()
        self.display_box = layer.box
        self.set_layer(layer)

    def set_layer(self, layer: Layer) -> None:
        if self.layer is None or layer.pixels is not self.layer.pixels:
            self.pixmap = QPixmap() if layer.is_empty else to_pixmap(layer.pixels)
        self.layer = layer
        self.set_display_box(layer.box)
        self.setOpacity(layer.opacity)
        self.setVisible(layer.visible)

    def set_display_box(self, box: Box) -> None:
        self.prepareGeometryChange()
        self.display_box = box
        self.update()

    def boundingRect(self) -> QRectF:
        b = self.display_box
        return QRectF(b.x0, b.y0, b.width, b.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.pixmap.isNull():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform,
                              painter.worldTransform().m11() < 1.0)  # crisp pixels when zoomed in
        painter.drawPixmap(self.boundingRect(), self.pixmap, QRectF(self.pixmap.rect()))


class CanvasView(QGraphicsView):
    contextMenuRequested = Signal(int, object)  # layer index under the cursor, global QPoint
    zoomChanged = Signal(float)
    toolChanged = Signal(str)
    message = Signal(str)  # for the status bar: refused edits and the like

    def __init__(self, controller: DocumentController, parent=None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self.controller = controller
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackgroundBrush(QColor("#262629"))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)

        self.tool = Tool.BOX
        self.show_boxes = True
        self._items: dict[int, LayerItem] = {}
        self._paper = QGraphicsRectItem()
        self._paper.setPen(QPen(Qt.PenStyle.NoPen))
        self._paper.setBrush(checker_brush())
        self._paper.setZValue(-1e6)
        self._scene.addItem(self._paper)
        self._preview = QGraphicsPixmapItem()
        self._preview.setZValue(1e6)
        self._preview.setVisible(False)
        self._scene.addItem(self._preview)

        self._drag: dict | None = None  # the gesture under way
        self._space = False
        self._pan_from: QPointF | None = None
        self._fitted = True

        controller.documentReset.connect(self._reset)
        controller.changed.connect(self.sync)
        controller.selectionChanged.connect(lambda _: self.viewport().update())
        self._reset()
        self.sync()

    # -- model -> items
    def _reset(self) -> None:
        d = self.controller.document
        for item in self._items.values():
            self._scene.removeItem(item)
        self._items.clear()
        self._paper.setRect(0, 0, d.width, d.height)
        mx, my = d.width * MARGIN, d.height * MARGIN
        self._scene.setSceneRect(-mx, -my, d.width + 2 * mx, d.height + 2 * my)
        self.clear_preview()
        self.fit()

    def sync(self) -> None:
        doc, uids = self.controller.document, self.controller.uids
        for uid in set(self._items) - set(uids):
            self._scene.removeItem(self._items.pop(uid))
        for z, (uid, layer) in enumerate(zip(uids, doc.layers)):
            item = self._items.get(uid)
            if item is None:
                item = self._items[uid] = LayerItem(layer)
                self._scene.addItem(item)
            elif item.layer is not layer:
                item.set_layer(layer)
            item.setZValue(z)
        if self._fitted and self._drag is None and not self.viewport().rect().contains(
                self.mapFromScene(self._shown()).boundingRect()):
            self.fit()  # a box put past the canvas's edge: fitted, the view shows it whole, as it shows the canvas
        self.viewport().update()

    def layer_item(self, index: int) -> LayerItem:
        return self._items[self.controller.uids[index]]

    # -- live preview of a running job
    def show_preview(self, pixmap: QPixmap) -> None:
        self._preview.setPixmap(pixmap)
        self._preview.setVisible(True)

    def clear_preview(self) -> None:
        self._preview.setVisible(False)
        self._preview.setPixmap(QPixmap())

    # -- zoom
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor_under_mouse: bool = False) -> None:
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        factor = zoom / self.zoom
        if abs(factor - 1.0) < 1e-9:
            return
        if not anchor_under_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self._set_fitted(False)
        self.zoomChanged.emit(self.zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / 1.25)

    def fit(self) -> None:
        """The canvas and every box hanging off it, whole in the view (a box's corner past the canvas was out of
        sight and out of reach)."""
        self._set_fitted(True)  # first: the viewport it measures has no scrollbars then
        shown = self._shown()
        pad = 40
        vw, vh = max(1, self.viewport().width() - pad), max(1, self.viewport().height() - pad)
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, min(vw / shown.width(), vh / shown.height())))
        self.resetTransform()
        self.scale(zoom, zoom)
        self.centerOn(shown.center())
        self.zoomChanged.emit(self.zoom)

    def _shown(self) -> QRectF:
        """The canvas and every box on or off it, within the scene."""
        d = self.controller.document
        shown = QRectF(0, 0, d.width, d.height)
        for layer in d.layers[1:]:
            shown = shown.united(QRectF(layer.box.x0, layer.box.y0, layer.box.width, layer.box.height))
        return shown.intersected(self._scene.sceneRect())

    def _set_fitted(self, fitted: bool) -> None:
        """Fitted, the canvas shows whole and needs no scrollbars (the scene's margin for boxes hanging off it
        showed them anyway); zoomed, they say where the view is."""
        self._fitted = fitted
        policy = Qt.ScrollBarPolicy.ScrollBarAlwaysOff if fitted else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        self.setHorizontalScrollBarPolicy(policy)
        self.setVerticalScrollBarPolicy(policy)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Ctrl+wheel zooms, as in other editors; the wheel alone scrolls
        delta = event.angleDelta().y()
        if delta and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:  # Shift+wheel scrolls sideways
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta * bar.singleStep() // 40)
            return event.accept()
        if delta == 0 or not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return super().wheelEvent(event)
        self.set_zoom(self.zoom * (1.0015 ** delta), anchor_under_mouse=True)
        event.accept()

    # -- tools
    def set_tool(self, tool: Tool | str) -> None:
        self.tool = Tool(tool)
        self._update_cursor(None)
        self.toolChanged.emit(self.tool.value)

    def _update_cursor(self, pos: QPointF | None) -> None:
        if self._pan_from is not None:
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._space:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif self.tool == Tool.BOX:
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            handle = self._handle_at(pos) if pos is not None else None
            shapes = {"n": Qt.CursorShape.SizeVerCursor, "s": Qt.CursorShape.SizeVerCursor,
                      "e": Qt.CursorShape.SizeHorCursor, "w": Qt.CursorShape.SizeHorCursor,
                      "nw": Qt.CursorShape.SizeFDiagCursor, "se": Qt.CursorShape.SizeFDiagCursor,
                      "ne": Qt.CursorShape.SizeBDiagCursor, "sw": Qt.CursorShape.SizeBDiagCursor}
            self.viewport().setCursor(shapes.get(handle, Qt.CursorShape.ArrowCursor))

    # -- hit tests
    def layer_at(self, scene_pos: QPointF) -> int:
        """Topmost visible layer whose box holds the point; the background inside the canvas; else -1."""
        doc = self.controller.document
        x, y = scene_pos.x(), scene_pos.y()
        for i in range(len(doc.layers) - 1, 0, -1):
            b, layer = doc.layers[i].box, doc.layers[i]
            if layer.visible and b.x0 <= x < b.x1 and b.y0 <= y < b.y1:
                return i
        if doc.layers and 0 <= x < doc.width and 0 <= y < doc.height:
            return 0
        return -1

    def _handles(self, box: Box) -> dict[str, QPointF]:
        x0, y0, x1, y1 = box.as_tuple()
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        return {"nw": QPointF(x0, y0), "n": QPointF(xm, y0), "ne": QPointF(x1, y0), "e": QPointF(x1, ym),
                "se": QPointF(x1, y1), "s": QPointF(xm, y1), "sw": QPointF(x0, y1), "w": QPointF(x0, ym)}

    def _handle_at(self, scene_pos: QPointF, locked_too: bool = False) -> str | None:
        """The selected box's resize handle under the point; none with the Box tool, whose drags draw boxes (boxes
        side by side start on the corner of the one just drawn, and resized it), nor on a locked layer unless
        `locked_too` (where its handle would be)."""
        i = self.controller.selected
        if i <= 0 or (self.controller.document.layers[i].locked and not locked_too) or self.tool == Tool.BOX:
            return None
        view_pos = self.mapFromScene(scene_pos)
        for name, p in self._handles(self.layer_item(i).display_box).items():
            q = self.mapFromScene(p)
            if abs(q.x() - view_pos.x()) <= HANDLE_PX and abs(q.y() - view_pos.y()) <= HANDLE_PX:
                return name
        return None

    # -- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = event.position()
            self._update_cursor(pos)
            event.accept()
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self.setFocus()
        handle = self._handle_at(pos)
        if handle:
            i = self.controller.selected
            self._drag = {"kind": "resize", "index": i, "handle": handle, "box": self.layer_item(i).display_box}
        elif self._handle_at(pos, locked_too=True):  # a locked layer's corner: dragging it did nothing, silently
            name = self.controller.document.layers[self.controller.selected].name
            self.message.emit(f"Layer “{name}” is locked: unlock it to resize it (it can still be moved by its middle)")
        elif self.tool == Tool.BOX:
            self._drag = {"kind": "draw", "start": pos, "end": pos}
        else:
            i = self.layer_at(pos)
            self.controller.select(i)
            if i > 0:  # locked layers move too: the lock keeps their pixels, not their place
                self._drag = {"kind": "move", "index": i, "start": pos, "box": self.layer_item(i).display_box}
        if self._drag is not None and self.controller.editing_locked:
            # A job's result maps onto these boxes: the drag does nothing, and says why once it is a drag.
            self._drag = {"kind": "refused", "start": pos, "told": False, "draw": self._drag["kind"] == "draw"}
        event.accept()
        self.viewport().update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            event.accept()
            return
        drag = self._drag
        if drag is None:
            self._update_cursor(pos)
            return super().mouseMoveEvent(event)
        if drag["kind"] == "refused":
            moved = max(abs(pos.x() - drag["start"].x()), abs(pos.y() - drag["start"].y())) * self.zoom
            if moved >= 4 and not drag["told"]:
                drag["told"] = True
                self.message.emit(JOB_RUNNING)
        elif drag["kind"] == "draw":
            drag["end"] = pos
        elif drag["kind"] == "move":
            b = drag["box"]
            dx, dy = snap(pos.x() - drag["start"].x()), snap(pos.y() - drag["start"].y())
            self.layer_item(drag["index"]).set_display_box(b.translated(dx, dy))
        elif drag["kind"] == "resize":
            self.layer_item(drag["index"]).set_display_box(self._resized(drag["box"], drag["handle"], pos))
        self.viewport().update()
        event.accept()

    def _resized(self, box: Box, handle: str, pos: QPointF) -> Box:
        x0, y0, x1, y1 = box.as_tuple()
        if "w" in handle:
            x0 = min(snap(pos.x()), x1 - GRID)
        if "e" in handle:
            x1 = max(snap(pos.x()), x0 + GRID)
        if "n" in handle:
            y0 = min(snap(pos.y()), y1 - GRID)
        if "s" in handle:
            y1 = max(snap(pos.y()), y0 + GRID)
        return Box(x0, y0, x1, y1)

    def drawn_box(self) -> Box | None:
        """The box being drawn, as the engine will get it (snapped outward), or None."""
        if not self._drag or self._drag["kind"] != "draw":
            return None
        a, b = self._drag["start"], self._drag["end"]
        # An edge within two screen pixels of a grid line is on it: a drag from line to line is that box. The
        # pointer lands a fraction off the line, and snapped outward from there the box grew a whole cell.
        tolerance = min(2.0 / self.zoom, GRID / 4)  # zoomed far out, not so far that edges snap inward

        def edge(v: float) -> float:
            return snap(v) if abs(v - snap(v)) <= tolerance else v

        x0, y0 = math.floor(edge(min(a.x(), b.x()))), math.floor(edge(min(a.y(), b.y())))
        x1 = max(math.ceil(edge(max(a.x(), b.x()))), x0 + 1)
        y1 = max(math.ceil(edge(max(a.y(), b.y()))), y0 + 1)
        return Box(x0, y0, x1, y1).snapped()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        drag, self._drag = self._drag, None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        try:
            if drag["kind"] == "refused":
                if drag["draw"] and not drag["told"]:  # a click with the box tool selects, as when idle
                    self.controller.select(self.layer_at(drag["start"]))
            elif drag["kind"] == "draw":
                drag["end"] = self.mapToScene(event.position().toPoint())
                a, b = drag["start"], drag["end"]
                if abs(a.x() - b.x()) * self.zoom >= 4 and abs(a.y() - b.y()) * self.zoom >= 4:
                    self._drag = drag
                    box = self.drawn_box()
                    self._drag = None
                    self.controller.add_box(box)
                else:  # a click, not a drag: select what is under it
                    self.controller.select(self.layer_at(a))
            elif drag["kind"] in ("move", "resize"):
                item = self.layer_item(drag["index"])
                new_box = item.display_box
                item.set_display_box(self.controller.document.layers[drag["index"]].box)
                self.controller.set_box(drag["index"], new_box)
        except LayoutError as exc:
            self.message.emit(str(exc))
            self.sync()
        self.viewport().update()
        event.accept()

    def contextMenuEvent(self, event) -> None:
        i = self.layer_at(self.mapToScene(event.pos()))
        self.controller.select(i)
        self.contextMenuRequested.emit(i, event.globalPos())
        event.accept()

    NUDGE = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = self.NUDGE.get(Qt.Key(event.key()))
        if step is not None and self._drag is None and self.controller.selected > 0:
            # Arrows nudge the selected box one grid cell (Shift: four), one undo step each; with Alt they
            # move its right or bottom edge instead (never below one cell).
            i = self.controller.selected
            n = GRID * (4 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)
            box = self.controller.document.layers[i].box
            if event.modifiers() & Qt.KeyboardModifier.AltModifier:
                box = Box(box.x0, box.y0, max(box.x0 + GRID, box.x1 + step[0] * n),
                          max(box.y0 + GRID, box.y1 + step[1] * n))
            else:
                box = box.translated(step[0] * n, step[1] * n)
            try:
                self.controller.set_box(i, box)
            except LayoutError as exc:
                self.message.emit(str(exc))
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self._update_cursor(None)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self._drag is not None:
            drag, self._drag = self._drag, None
            if drag["kind"] in ("move", "resize"):
                self.sync_item(drag["index"])
            self.viewport().update()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._pan_from = None
            self._update_cursor(None)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def sync_item(self, index: int) -> None:
        self.layer_item(index).set_display_box(self.controller.document.layers[index].box)

    # -- chrome: everything that is not pixels is drawn over the scene in view-independent sizes
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        doc = self.controller.document
        scale = self.zoom
        canvas = QRectF(0, 0, doc.width, doc.height)
        outside = QPainterPath()
        outside.addRect(rect.united(self.sceneRect()).adjusted(-10, -10, 10, 10))
        inner = QPainterPath()
        inner.addRect(canvas)
        painter.fillPath(outside.subtracted(inner), QColor(26, 26, 28, 185))  # overflow shown dimmed
        painter.setPen(QPen(QColor(0, 0, 0, 160), 0))
        painter.drawRect(canvas)

        selected = self.controller.selected
        font = QFont(self.font())
        font.setPixelSize(11)
        painter.setFont(font)
        for i in range(1, len(doc.layers)):
            layer = doc.layers[i]
            item = self._items.get(self.controller.uids[i])
            if item is None or not layer.visible:
                continue
            r = item.boundingRect()
            if layer.is_empty:  # a box waiting for content
                painter.fillRect(r, QColor(61, 142, 230, 28))
                pen = QPen(QColor(140, 190, 245, 220), 0, Qt.PenStyle.DashLine)
                painter.setPen(pen)
                painter.drawRect(r)
                self._label(painter, r, layer.name, scale)
            elif self.show_boxes and i != selected:
                painter.setPen(QPen(QColor(255, 255, 255, 70), 0, Qt.PenStyle.DotLine))
                painter.drawRect(r)
        if selected >= 0 and selected < len(doc.layers):
            r = self._items[self.controller.uids[selected]].boundingRect() if selected > 0 else canvas
            painter.setPen(QPen(ACCENT, 2 / scale))
            painter.drawRect(r)
            layer = doc.layers[selected]
            if selected > 0 and not layer.locked and self.tool != Tool.BOX:
                h = HANDLE_PX / scale
                painter.setPen(QPen(ACCENT, 1 / scale))
                painter.setBrush(QBrush(QColor("white")))
                for p in self._handles(self.layer_item(selected).display_box).values():
                    painter.drawRect(QRectF(p.x() - h / 2, p.y() - h / 2, h, h))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            if selected > 0 and self._drag and self._drag["kind"] in ("move", "resize"):
                b = self.layer_item(selected).display_box
                self._label(painter, r, f"{b.x0}, {b.y0}  {b.width} x {b.height}", scale, below=True)
        box = self.drawn_box()
        if box is not None:
            r = QRectF(box.x0, box.y0, box.width, box.height)
            painter.fillRect(r, QColor(61, 142, 230, 60))
            painter.setPen(QPen(ACCENT, 2 / scale))
            painter.drawRect(r)
            self._label(painter, r, f"{box.width} x {box.height}", scale, below=True)

    def _label(self, painter: QPainter, r: QRectF, text: str, scale: float, below: bool = False) -> None:
        """A small text tag at a fixed screen size, pinned to a scene rect's corner."""
        painter.save()
        anchor = self.mapFromScene(r.bottomLeft() if below else r.topLeft())
        painter.resetTransform()
        fm = painter.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 10, fm.height() + 4
        x, y = anchor.x(), anchor.y() + (4 if below else 3)
        if not below:
            x += 3
        painter.fillRect(QRectF(x, y, w, h), QColor(20, 20, 22, 200))
        painter.setPen(QColor("#e8e8ea"))
        painter.drawText(QRectF(x, y, w, h), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def cursor_scene_pos(self) -> QPointF:
        return self.mapToScene(self.viewport().mapFromGlobal(QCursor.pos()))
