"""The Layers panel: a row per layer (top layer first, as in other editors) with visibility, lock,
thumbnail, editable name and opacity; drag to reorder; selection synced with the canvas both ways;
an opacity control for the selected layer; and the strip of that layer's variations."""
from __future__ import annotations

from PySide6.QtCore import (QAbstractListModel, QByteArray, QEvent, QMimeData, QModelIndex, QRect, QSize, Qt)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QListView, QListWidget,
                               QListWidgetItem, QSlider, QSpinBox, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QToolButton, QVBoxLayout, QWidget)

from ..document import LayoutError
from .controller import DocumentController
from .icons import icon
from .qtimage import thumbnail

MIME = "application/x-layerstudio-layer"
ROW_H = 52
THUMB = QSize(56, 42)
SMALL_THUMB = QSize(32, 24)  # rows narrower than COMPACT_BELOW: the name gets the room (at 720 px it read 'Gol…')
COMPACT_BELOW = 280
VisibleRole, LockedRole, OpacityRole, EmptyRole, InfoRole = range(Qt.ItemDataRole.UserRole + 1,
                                                                  Qt.ItemDataRole.UserRole + 6)


class LayersModel(QAbstractListModel):
    """Rows top to bottom: row r is document layer n - 1 - r. Thumbnails are cached per Layer object."""

    def __init__(self, controller: DocumentController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self._thumbs: dict[int, tuple[object, QPixmap]] = {}
        self.committing_name = False  # a rename being stored resets the rows too; its editor is done
        controller.changed.connect(self._reset)
        controller.documentReset.connect(self._reset)

    def _reset(self) -> None:
        self.beginResetModel()
        live = set(self.controller.uids)
        self._thumbs = {k: v for k, v in self._thumbs.items() if k in live}
        self.endResetModel()

    def doc_index(self, row: int) -> int:
        return len(self.controller.document.layers) - 1 - row

    def row_of(self, index: int) -> int:
        return len(self.controller.document.layers) - 1 - index

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.controller.document.layers)

    def _thumb(self, i: int) -> QPixmap:
        uid, layer = self.controller.uids[i], self.controller.document.layers[i]
        cached = self._thumbs.get(uid)
        if cached is None or cached[0] is not layer.pixels:
            cached = self._thumbs[uid] = (layer.pixels, thumbnail(layer.pixels, THUMB))
        return cached[1]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        i = self.doc_index(index.row())
        layer = self.controller.document.layers[i]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return layer.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumb(i)
        if role == VisibleRole:
            return layer.visible
        if role == LockedRole:
            return layer.locked
        if role == OpacityRole:
            return layer.opacity
        if role == EmptyRole:
            return layer.is_empty
        if role == InfoRole:
            b = layer.box
            state = "empty" if layer.is_empty else origin(layer)
            return f"{b.width}×{b.height} · {state}"
        if role == Qt.ItemDataRole.ToolTipRole:
            b = layer.box
            text = f"{layer.name}\nbox {b.x0}, {b.y0} – {b.x1}, {b.y1} ({b.width} × {b.height} px)\n{origin(layer)}"
            if layer.hint:
                text += f"\nhint: {layer.hint}"
            if layer.provenance and layer.provenance.model_id:
                text += f"\nmodel {layer.provenance.model_id}, {layer.provenance.steps} steps"
            return text
        return None

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        i = self.doc_index(index.row())
        if role == Qt.ItemDataRole.EditRole:
            self.committing_name = True
            try:
                self.controller.rename(i, str(value))
            finally:
                self.committing_name = False
            return True
        if role == VisibleRole:
            self.controller.set_visible(i, bool(value))
            return True
        if role == LockedRole:
            self.controller.set_locked(i, bool(value))
            return True
        return False

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        if self.doc_index(index.row()) > 0 and not self.controller.editing_locked:
            base |= Qt.ItemFlag.ItemIsDragEnabled
        return base

    # -- drag to reorder: the drop becomes one undoable move in the controller
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:
        data = QMimeData()
        if indexes:
            data.setData(MIME, QByteArray(str(self.doc_index(indexes[0].row())).encode()))
        return data

    def dropMimeData(self, data: QMimeData, action, row: int, column: int, parent: QModelIndex) -> bool:
        if not data.hasFormat(MIME) or action != Qt.DropAction.MoveAction:
            return False
        source = int(bytes(data.data(MIME)).decode())
        n = len(self.controller.document.layers)
        if row < 0:  # dropped onto a row rather than between rows
            row = parent.row() if parent.isValid() else n
        # `row` is an insertion point in top-to-bottom rows; turn it into the source's new document index.
        target = n - row
        if target > source:
            target -= 1
        target = max(1, min(n - 1, target))
        try:
            self.controller.move_layer(source, target)
        except LayoutError:
            return False
        return False  # the controller already rebuilt the rows: the view must not remove the source row


class LayerDelegate(QStyledItemDelegate):
    """Draws a row: [eye][lock][thumbnail] name / info ... opacity%; clicks on eye and lock toggle them."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.eye, self.eye_off = icon("eye"), icon("eye-off")
        self.lock, self.unlock = icon("lock"), icon("lock-open")

    def sizeHint(self, option, index) -> QSize:
        return QSize(150, ROW_H)  # rows take the list's width; wider than a narrow column, they scrolled sideways

    @staticmethod
    def rects(r: QRect) -> dict[str, QRect]:
        compact = r.width() < COMPACT_BELOW
        size, gap = (SMALL_THUMB, 6) if compact else (THUMB, 10)
        cy = r.top() + (r.height() - 20) // 2
        eye = QRect(r.left() + 6, cy, 20, 20)
        lock = QRect(eye.right() + 4, cy, 20, 20)
        thumb = QRect(lock.right() + gap - 2, r.top() + (r.height() - size.height()) // 2, size.width(), size.height())
        text = QRect(thumb.right() + gap, r.top() + 6, r.right() - thumb.right() - gap - 6, r.height() - 12)
        return {"eye": eye, "lock": lock, "thumb": thumb, "text": text}

    @staticmethod
    def name_font(option_font: QFont) -> QFont:
        font = QFont(option_font)
        font.setPixelSize(13)
        return font

    def name_shown(self, r: QRect, font: QFont, name: str, opacity: float) -> tuple[QRect, str]:
        """Where the name goes and how it reads: the top half of the text area, less the opacity label only when
        there is one."""
        text, metrics = self.rects(r)["text"], QFontMetrics(font)
        label, small = self.opacity_label(opacity), QFont(font)
        small.setPixelSize(11)  # the label's font (paint)
        room = text.width() - (QFontMetrics(small).horizontalAdvance(label) + 6 if label else 0)
        rect = QRect(text.left(), text.top(), max(0, room), text.height() // 2)
        # the start says most, the end tells 'Purple star' from 'Purple star 2'
        return rect, metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, rect.width())

    @staticmethod
    def opacity_label(opacity: float) -> str:
        return f"{round(opacity * 100)}%" if opacity < 1.0 else ""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        r = option.rect
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.fillRect(r, QColor("#2f5f94") if selected else pal.color(QPalette.ColorRole.Base))
        painter.setPen(QPen(QColor(0, 0, 0, 90)))
        painter.drawLine(r.bottomLeft(), r.bottomRight())
        rc = self.rects(r)
        visible, locked = index.data(VisibleRole), index.data(LockedRole)
        (self.eye if visible else self.eye_off).paint(painter, rc["eye"], mode=QIcon.Mode.Normal if visible
                                                      else QIcon.Mode.Disabled)
        (self.lock if locked else self.unlock).paint(painter, rc["lock"], mode=QIcon.Mode.Normal if locked
                                                     else QIcon.Mode.Disabled)
        thumb = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(thumb, QPixmap):
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(rc["thumb"], thumb)  # scaled down in a narrow column
        painter.setPen(QPen(QColor(0, 0, 0, 140)))
        painter.drawRect(rc["thumb"].adjusted(0, 0, -1, -1))
        text = rc["text"]
        name_font = self.name_font(option.font)
        painter.setFont(name_font)
        fg = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(fg if visible else QColor(fg.red(), fg.green(), fg.blue(), 120))
        opacity = index.data(OpacityRole)
        right = self.opacity_label(opacity)
        name_rect, name = self.name_shown(r, name_font, index.data(), opacity)
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        info_font = QFont(option.font)
        info_font.setPixelSize(11)
        painter.setFont(info_font)
        painter.setPen(QColor(fg.red(), fg.green(), fg.blue(), 140))
        info = QRect(text.left(), text.center().y(), text.width(), text.height() // 2)
        info_text = painter.fontMetrics().elidedText(index.data(InfoRole), Qt.TextElideMode.ElideRight, info.width())
        painter.drawText(info, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, info_text)
        if right:
            painter.drawText(text, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, right)
        painter.restore()

    def editorEvent(self, event, model, option, index) -> bool:
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            rc = self.rects(option.rect)
            pos = event.position().toPoint()
            if rc["eye"].contains(pos):
                model.setData(index, not index.data(VisibleRole), VisibleRole)
                return True
            if rc["lock"].contains(pos):
                model.setData(index, not index.data(LockedRole), LockedRole)
                return True
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            rc = self.rects(option.rect)
            if rc["eye"].contains(event.position().toPoint()) or rc["lock"].contains(event.position().toPoint()):
                return True  # a toggle, not a selection or an edit
        return super().editorEvent(event, model, option, index)

    def updateEditorGeometry(self, editor, option, index) -> None:
        t = self.rects(option.rect)["text"]
        editor.setGeometry(QRect(t.left() - 2, t.top(), t.width() - 36, t.height() // 2 + 4))


class LayersPanel(QWidget):
    """The dock's content."""

    def __init__(self, controller: DocumentController, parent=None):
        super().__init__(parent)
        self.setObjectName("layersPanel")
        self.controller = controller
        self.model = LayersModel(controller, self)
        self._syncing = False

        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setObjectName("opacitySlider")
        self.opacity_slider.setRange(0, 100)
        self.opacity_spin = QSpinBox()
        self.opacity_spin.setObjectName("opacitySpin")
        self.opacity_spin.setRange(0, 100)
        self.opacity_spin.setSuffix(" %")
        top = QHBoxLayout()
        top.addWidget(QLabel("Opacity"))
        top.addWidget(self.opacity_slider, 1)
        top.addWidget(self.opacity_spin)

        self.view = QListView()
        self.view.setObjectName("layersList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(LayerDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setMinimumHeight(4 * ROW_H + 2 * self.view.frameWidth())  # never squeezed to a row or two

        self.variations = QListWidget()
        self.variations.setObjectName("variationStrip")
        self.variations.setViewMode(QListWidget.ViewMode.IconMode)
        self.variations.setFlow(QListWidget.Flow.LeftToRight)
        self.variations.setWrapping(False)
        self.variations.setMovement(QListWidget.Movement.Static)
        self.variations.setIconSize(QSize(64, 48))
        self.variations.setGridSize(QSize(112, 84))  # the thumbnail and two lines: the seed, the hint or steps
        self.variations.setWordWrap(True)
        self.variations.setFixedHeight(104)
        self.variations.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.variations_label = QLabel("Variations")
        self.variations_label.setObjectName("sectionLabel")

        self.add_button = self._tool_button("box-add", "Draw a new box (B)")
        self.up_button = self._tool_button("arrow-up", "Raise layer")
        self.down_button = self._tool_button("arrow-down", "Lower layer")
        self.delete_button = self._tool_button("delete", "Delete layer")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for b in (self.add_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.variations_label)
        lay.addWidget(self.variations)

        self.view.selectionModel().selectionChanged.connect(self._view_selection)
        # Any document change rebuilds the rows, and Qt drops an open name editor with them: carry it over.
        self._open_rename: tuple[int, str, int] | None = None
        self.model.modelAboutToBeReset.connect(self._keep_rename)
        self.model.modelReset.connect(self.refresh)
        self.model.modelReset.connect(self._reopen_rename)
        controller.selectionChanged.connect(lambda _: self.refresh())
        self.opacity_slider.valueChanged.connect(self._opacity_edited)
        self.opacity_slider.sliderReleased.connect(controller.end_merge)
        self.opacity_spin.valueChanged.connect(self._opacity_edited)
        self.opacity_spin.editingFinished.connect(controller.end_merge)
        self.variations.itemClicked.connect(self._variation_clicked)
        self.variations.installEventFilter(self)  # Return or Space picks the current tile, as a click does
        self.up_button.clicked.connect(lambda: self._move(+1))
        self.down_button.clicked.connect(lambda: self._move(-1))
        self.delete_button.clicked.connect(self._delete)
        self.refresh()

    def _tool_button(self, name: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setIcon(icon(name))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setIconSize(QSize(18, 18))
        return b

    def _view_selection(self, *_):
        if self._syncing:
            return
        rows = self.view.selectionModel().selectedRows()
        self.controller.select(self.model.doc_index(rows[0].row()) if rows else -1)

    def _keep_rename(self) -> None:
        editor = self.view.indexWidget(self.view.currentIndex())
        if (self.view.state() != QAbstractItemView.State.EditingState or self.model.committing_name
                or not isinstance(editor, QLineEdit)):
            return
        uid = self.controller.uids[self.model.doc_index(self.view.currentIndex().row())]
        self._open_rename = (uid, editor.text(), editor.cursorPosition())

    def _reopen_rename(self) -> None:
        kept, self._open_rename = self._open_rename, None
        if kept is None:
            return
        uid, text, cursor = kept
        i = self.controller.index_of_uid(uid)
        if i < 0:  # the layer went (undo of its box): so does its rename
            return
        index = self.model.index(self.model.row_of(i))
        self.view.setCurrentIndex(index)
        self.view.edit(index)
        editor = self.view.indexWidget(index)
        if isinstance(editor, QLineEdit):
            editor.setText(text)
            editor.setCursorPosition(cursor)

    def refresh(self) -> None:
        self._syncing = True
        try:
            i = self.controller.selected
            sm = self.view.selectionModel()
            if i >= 0:
                idx = self.model.index(self.model.row_of(i))
                if not sm.isSelected(idx) or sm.currentIndex() != idx:
                    sm.setCurrentIndex(idx, sm.SelectionFlag.ClearAndSelect)
                self.view.scrollTo(idx)
            else:
                sm.clearSelection()
            layer = self.controller.selected_layer
            for w in (self.opacity_slider, self.opacity_spin):
                w.blockSignals(True)
                w.setEnabled(layer is not None)
                w.setToolTip("Opacity of the selected layer" if layer is not None
                             else "Select a layer to set its opacity")
                w.setValue(round(layer.opacity * 100) if layer else 100)
                w.blockSignals(False)
            n = len(self.controller.document.layers)
            editable = layer is not None and i > 0 and not self.controller.editing_locked
            self.up_button.setEnabled(editable and i < n - 1)
            self.down_button.setEnabled(editable and i > 1)
            self.delete_button.setEnabled(editable and not layer.locked)
            self._fill_variations()
        finally:
            self._syncing = False

    def _results(self, layer) -> list[tuple[int, object]]:
        """The layer's results as (variation index or -1 for the one in use, Variation-like) in the strip's order,
        which the document keeps (picking one leaves every result where it stood, also after reopening)."""
        at = layer.place_in_strip
        items = [(j, v) for j, v in enumerate(layer.variations)]
        return items[:at] + [(-1, layer)] + items[at:]

    def _fill_variations(self) -> None:
        self.variations.clear()
        layer = self.controller.selected_layer
        if layer is None or layer.is_empty:
            self.variations_label.setText("Variations")
            return
        current = None
        bold = QFont(self.variations.font())
        bold.setBold(True)
        room = self.variations.gridSize().width() - 8
        for n, (which, r) in enumerate(self._results(layer), 1):
            prov = r.provenance
            detail = r.hint if r.hint else (f"{prov.steps} steps" if prov is not None and prov.steps else "")
            # Two lines that fit the cell, each elided on its own (wrapping cut the seed short).
            metrics = QFontMetrics(bold if which < 0 else self.variations.font())
            lines = [metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
                     for text in (f"{'● ' if which < 0 else ''}{origin(r)}", f"#{n} · {detail}".strip(" ·")) if text]
            picture = thumbnail(r.pixels, QSize(64, 48))
            shown = QIcon(picture)
            shown.addPixmap(picture, QIcon.Mode.Selected)  # untinted: the one in use looked faded, as if disabled
            item = QListWidgetItem(shown, "\n".join(lines))
            item.setData(Qt.ItemDataRole.UserRole, which)
            tip = [f"Result {n} of {len(layer.variations) + 1}. "
                   + ("In use" if which < 0 else "Click to use this one") + f": {origin(r)}"]
            if r.hint:
                tip.append(f"hint: {r.hint}")
            if prov is not None and prov.model_id:
                tip.append(f"model {prov.model_id}, {prov.steps} steps")
            item.setToolTip("\n".join(tip))
            if which < 0:
                item.setFont(bold)
                current = item
            self.variations.addItem(item)
        current.setSelected(True)
        self.variations.scrollToItem(current)
        locked = layer.locked or self.controller.editing_locked
        self.variations.setEnabled(not locked)
        self.variations_label.setText(f"Variations: {len(layer.variations) + 1} (● in use)"
                                      + (" — locked" if layer.locked else ""))

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.variations and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
                and self.variations.currentItem() is not None):
            self._variation_clicked(self.variations.currentItem())
            return True
        return super().eventFilter(watched, event)

    def _variation_clicked(self, item: QListWidgetItem) -> None:
        which = item.data(Qt.ItemDataRole.UserRole)
        i = self.controller.selected
        if which is None or which < 0 or i < 0:
            return
        try:
            self.controller.pick_variation(i, which)
        except LayoutError:
            self.refresh()

    def _opacity_edited(self, value: int) -> None:
        if self._syncing:
            return
        i = self.controller.selected
        if i >= 0:
            self.controller.set_opacity(i, value / 100.0)

    def _move(self, direction: int) -> None:
        i = self.controller.selected
        if i > 0:
            try:
                self.controller.move_layer(i, i + direction)
            except LayoutError:
                pass

    def _delete(self) -> None:
        i = self.controller.selected
        if i > 0:
            try:
                self.controller.delete_layer(i)
            except LayoutError:
                pass


def origin(layer) -> str:
    """Where a layer's (or a result's) pixels came from, for the panel: the seed they were drawn with, or a picture
    from elsewhere (pasted, or a PSD's), which no seed drew."""
    return f"seed {layer.seed}" if layer.provenance is not None else "picture"
