"""The open document, its selection and its undo stack.

Every change goes through a QUndoCommand that swaps whole snapshots of the layer list. Layer objects are
never mutated in place (edits build new ones with dataclasses.replace), so a snapshot is a cheap tuple of
references and undo restores exactly the earlier pixels. Each layer carries a stable uid so views can
keep their items (and the selection) across reorders and edits."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..document import GRID, Box, Document, Layer, LayoutError
from ..document.document import resampled
from ..document.layout import MAX_FOREGROUND_BOXES, check_box
from ..engine.request import (JobResult, drawn_from, empty_part_notice, kept_with_variations, layer_name,
                              named_after)

MAX_VARIATIONS = 12  # earlier results kept per layer; the oldest go first
JOB_RUNNING = "boxes and layer order cannot change while a job runs: wait for it, or press Esc to cancel it"
JOB_RUNNING_UNDO = "undo and redo wait for the running job: wait for it, or press Esc to cancel it"
_uids = itertools.count(1)


@dataclass(frozen=True, eq=False)
class Snapshot:
    width: int
    height: int
    prompt: str
    model_id: str
    layers: tuple[Layer, ...]
    uids: tuple[int, ...]

    def __eq__(self, other) -> bool:
        """Same canvas and the very same layer objects (layers are immutable, so identity is equality)."""
        if not isinstance(other, Snapshot):
            return NotImplemented
        return ((self.width, self.height, self.prompt, self.model_id, self.uids)
                == (other.width, other.height, other.prompt, other.model_id, other.uids)
                and len(self.layers) == len(other.layers)
                and all(a is b for a, b in zip(self.layers, other.layers)))

    __hash__ = None


class SnapshotCommand(QUndoCommand):
    """Swap the document between two snapshots. Commands with the same merge key (say, one opacity
    slider drag on one layer) merge into one undo step."""

    MERGE_ID = 4711

    def __init__(self, controller: "DocumentController", text: str, before: Snapshot, after: Snapshot,
                 merge_key=None):
        super().__init__(text)
        self.controller, self.before, self.after, self.merge_key = controller, before, after, merge_key

    def redo(self) -> None:
        self.controller._restore(self.after)

    def undo(self) -> None:
        self.controller._restore(self.before)

    def id(self) -> int:
        return self.MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SnapshotCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)  # typed and then deleted again: no step, clean again
        return True


class DocumentController(QObject):
    documentReset = Signal()  # a different document (new canvas): views rebuild everything
    changed = Signal()  # layers or their properties changed
    selectionChanged = Signal(int)  # document index, -1 for none

    def __init__(self, document: Document | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._doc = document or blank_document(512, 512)
        self._uids = [next(_uids) for _ in self._doc.layers]
        self._selected_uid: int | None = None
        self.editing_locked = False  # structure frozen while a job runs (its result maps onto these indices)

    # -- reading
    @property
    def document(self) -> Document:
        return self._doc

    @property
    def uids(self) -> tuple[int, ...]:
        return tuple(self._uids)

    def index_of_uid(self, uid: int | None) -> int:
        try:
            return self._uids.index(uid)
        except ValueError:
            return -1

    @property
    def selected(self) -> int:
        return self.index_of_uid(self._selected_uid)

    @property
    def selected_layer(self) -> Layer | None:
        i = self.selected
        return self._doc.layers[i] if i >= 0 else None

    def snapshot(self) -> Snapshot:
        d = self._doc
        return Snapshot(d.width, d.height, d.prompt, d.model_id, tuple(d.layers), tuple(self._uids))

    # -- whole documents (not undoable: New / Open)
    def set_document(self, document: Document) -> None:
        self.undo_stack.clear()
        self._doc = document
        self._uids = [next(_uids) for _ in document.layers]
        self._selected_uid = None
        self.documentReset.emit()
        self.changed.emit()
        self.selectionChanged.emit(-1)
        self.undo_stack.setClean()

    def select(self, index: int) -> None:
        uid = self._uids[index] if 0 <= index < len(self._uids) else None
        if uid != self._selected_uid:
            self._selected_uid = uid
            self.selectionChanged.emit(self.selected)

    # -- undo machinery
    def _restore(self, snap: Snapshot) -> None:
        resized = (snap.width, snap.height) != (self._doc.width, self._doc.height)
        self._doc = Document(snap.width, snap.height, snap.prompt, list(snap.layers), snap.model_id)
        self._uids = list(snap.uids)
        if resized:
            self.documentReset.emit()
        self.changed.emit()
        if self._selected_uid is not None and self._selected_uid not in self._uids:
            self._selected_uid = None
        self.selectionChanged.emit(self.selected)

    def _push(self, text: str, layers: list[Layer], uids: list[int] | None = None, merge_key=None,
              prompt: str | None = None, model_id: str | None = None, select_uid: int | None = None) -> None:
        before = self.snapshot()
        after = Snapshot(before.width, before.height, before.prompt if prompt is None else prompt,
                         before.model_id if model_id is None else model_id,
                         tuple(layers), tuple(self._uids if uids is None else uids))
        if after == before:
            return
        if select_uid is not None:
            self._selected_uid = select_uid
        self.undo_stack.push(SnapshotCommand(self, text, before, after, merge_key))

    def _replace(self, index: int, text: str, merge_key=None, **changes) -> None:
        layers = list(self._doc.layers)
        old = layers[index]
        if all(getattr(old, k) == v for k, v in changes.items()):
            return
        layers[index] = replace(old, **changes)
        self._push(text, layers, merge_key=merge_key)

    def _check_unlocked_structure(self) -> None:
        if self.editing_locked:
            raise LayoutError(JOB_RUNNING)

    # -- edits (each one undo step)
    def _check_room(self) -> None:
        if len(self._doc.layers) > MAX_FOREGROUND_BOXES:
            raise LayoutError(f"a design holds at most {MAX_FOREGROUND_BOXES} boxes besides the background")

    def add_box(self, box: Box) -> int:
        self._check_unlocked_structure()
        self._check_room()
        box = Box.of(box).snapped()
        d = self._doc
        check_box(box, d.width, d.height, "box")
        names = {l.name for l in d.layers}
        n = len(d.layers)
        while f"Layer {n}" in names:
            n += 1
        seed = (d.layers[0].seed if d.layers else 0) + len(d.layers)
        uid = next(_uids)
        self._push("Add Box", [*d.layers, Layer(box, name=f"Layer {n}", seed=seed)], [*self._uids, uid],
                   select_uid=uid)
        return len(self._doc.layers) - 1

    def insert_layer(self, layer: Layer, text: str) -> int:
        """A finished layer (a duplicate, a pasted one) goes above the selected layer, or on top, and is
        selected. A name another layer has already gets ' copy' (' copy 2', ...)."""
        self._check_unlocked_structure()
        self._check_room()
        d = self._doc
        check_box(layer.box, d.width, d.height, f"layer “{layer.name}” box")
        names = {l.name for l in d.layers}
        name = layer.name
        if name in names:
            base = name if name.endswith(" copy") else f"{name} copy"
            name = next(n for n in itertools.chain([base], (f"{base} {k}" for k in itertools.count(2)))
                        if n not in names)
        at = self.selected + 1 if self.selected >= 0 else len(d.layers)
        uid = next(_uids)
        layers, uids = list(d.layers), list(self._uids)
        layers.insert(at, replace(layer, name=name))
        uids.insert(at, uid)
        self._push(text, layers, uids, select_uid=uid)
        return at

    def duplicate_layer(self, index: int) -> int:
        """The layer again, just above it: pixels, box, seed, hint and earlier results alike."""
        return self.insert_layer(self._doc.layers[index].copy(), f"Duplicate {self._doc.layers[index].name}")

    def set_box(self, index: int, box: Box) -> None:
        self._check_unlocked_structure()
        if index <= 0:
            raise LayoutError("the background always covers the whole canvas")
        old = self._doc.layers[index]
        box = Box.of(box)
        d = self._doc
        if box.width > 0 and box.height > 0 and box.intersection(Box(0, 0, d.width, d.height)) is None:
            # said of where a drag would put it, coordinates the user never chose meant nothing
            raise LayoutError(f"layer “{old.name}” would be entirely off the {d.width} x {d.height} canvas: "
                              "it stays where it was")
        check_box(box, d.width, d.height, f"layer “{old.name}” box")
        if box == old.box:
            return
        same_size = (box.width, box.height) == (old.box.width, old.box.height)
        # A lock keeps the pixels as they are; placing them elsewhere (a pasted picture, say) keeps them.
        if old.locked and not same_size:
            raise LayoutError(f"layer “{old.name}” is locked: unlock it to resize it")
        layers = list(self._doc.layers)
        layers[index] = old.moved_to(box)
        self._push("Move Layer" if same_size else "Resize Layer", layers)

    def delete_layer(self, index: int, verb: str = "Delete") -> None:
        self._check_unlocked_structure()
        if index <= 0:
            raise LayoutError("the background cannot be deleted")
        layer = self._doc.layers[index]
        if layer.locked:
            raise LayoutError(f"layer “{layer.name}” is locked")
        layers, uids = list(self._doc.layers), list(self._uids)
        del layers[index], uids[index]
        # the layer below takes the selection (the one above, for the lowest), so Delete can go on
        self._push(f"{verb} {layer.name}", layers, uids, select_uid=uids[index - 1 if index > 1 or len(uids) == 1
                                                                        else index])

    def move_layer(self, index: int, new_index: int) -> None:
        """Reorder foreground layers; the background stays at the bottom."""
        self._check_unlocked_structure()
        n = len(self._doc.layers)
        if not (1 <= index < n and 1 <= new_index < n) or index == new_index:
            return
        layers, uids = list(self._doc.layers), list(self._uids)
        layers.insert(new_index, layers.pop(index))
        uids.insert(new_index, uids.pop(index))
        self._push("Reorder Layers", layers, uids)

    def rename(self, index: int, name: str) -> None:
        name = name.strip()
        if name:
            self._replace(index, "Rename Layer", name=name)

    def set_hint(self, index: int, hint: str) -> None:
        """The layer's own extra text for regeneration (kept with the layer, saved with the project)."""
        self._replace(index, "Change Hint", hint=hint.strip())

    def set_visible(self, index: int, visible: bool) -> None:
        self._replace(index, "Show Layer" if visible else "Hide Layer", visible=bool(visible))

    def set_locked(self, index: int, locked: bool) -> None:
        self._replace(index, "Lock Layer" if locked else "Unlock Layer", locked=bool(locked))

    def set_opacity(self, index: int, opacity: float, merge: bool = True) -> None:
        opacity = float(min(1.0, max(0.0, opacity)))
        key = ("opacity", self._uids[index]) if merge else None
        self._replace(index, "Change Opacity", merge_key=key, opacity=opacity)

    def end_merge(self) -> None:
        """Close the current mergeable step (say, when a slider is released)."""
        cmd = self.undo_stack.command(self.undo_stack.index() - 1)
        if isinstance(cmd, SnapshotCommand):
            cmd.merge_key = None

    def apply_result(self, result: JobResult, text: str) -> list[str]:
        """One undo step for a finished job. The result maps onto the current layers (names, visibility
        and opacity edited during the job are kept); non-generated layers stay the very same objects.
        Returns notes for the user (an imported picture's part that a locked layer kept out of its box)."""
        req = result.request
        base = self._doc
        if req.kind == "decompose" and len(base.layers) != len(req.layers):
            base = Document(base.width, base.height, base.prompt, [], base.model_id)
        elif len(base.layers) != len(req.layers) or any(
                l.box.snapped() != s.box for l, s in zip(base.layers, req.layers)):
            raise LayoutError("the layout changed while the job ran; the result was not applied")
        generated = set(req.generated_indices)
        locked = {i for i in generated if i < len(base.layers) and base.layers[i].locked}
        applied = result.apply_to(base, kept=locked)
        if req.kind == "decompose":  # a locked box keeps its layer: the engine's word that it came out empty is moot
            moot = {empty_part_notice(i) for i in locked}
            result.notices = [n for n in result.notices if n not in moot]
        same = len(base.layers) == len(self._uids)
        layers, uids, notes = [], [], []
        for i, new in enumerate(applied.layers):
            # a layer locked while the job ran is kept as it is: that is what the lock promises
            if i < len(base.layers) and (i not in generated or base.layers[i].locked):
                new = Layer(req.layers[i].box, result.layers[i], seed=req.layers[i].seed,
                            provenance=result.provenance(i)) if i in locked else None
                if req.kind == "decompose" and new is not None and not new.is_empty:
                    # The picture's part in a locked box is the user's content too: dropping it lost it without a
                    # word. It becomes a new layer under the locked one (above, for the background).
                    part = self._picture_part(new, base.layers[i], i, {l.name for l in applied.layers + layers})
                    at = len(layers) if i > 0 else len(layers) + 1
                    layers.append(base.layers[i])
                    uids.append(self._uids[i] if same else next(_uids))
                    layers.insert(at, part)
                    uids.insert(at, next(_uids))
                    notes.append(f"layer “{base.layers[i].name}” is locked and was kept; the picture's part in its box "
                                 f"is the new layer “{part.name}” {'above' if i == 0 else 'under'} it")
                else:
                    layers.append(base.layers[i])
                    uids.append(self._uids[i] if same else next(_uids))
                continue
            old = base.layers[i] if i < len(base.layers) else None
            if old is not None and np.array_equal(old.pixels, new.pixels):
                # the same result again: nothing new to flip back to
                new = replace(new, variations=old.variations, shown_at=old.shown_at)
            elif old is not None and not old.is_empty:
                new = replace(new, variations=kept_with_variations(old)[-MAX_VARIATIONS:], shown_at=None)
            layers.append(new)
            uids.append(self._uids[i] if same else next(_uids))
        # The document's prompt follows the prompt box (set_prompt), typing during the job included.
        self._push(text, layers, uids, model_id=applied.model_id)
        return notes

    @staticmethod
    def _picture_part(new: Layer, locked: Layer, index: int, names: set[str]) -> Layer:
        """What the decomposition put in a locked layer's box, as a layer of its own (unlocked, shown), named
        after what it shows, else after the locked layer."""
        prov = new.provenance
        said = layer_name(drawn_from(prov.phrase, prov.hint)) if prov is not None and index > 0 else ""
        base = said or f"{locked.name} (imported)"
        name = next(n for n in itertools.chain([base], (f"{base} {k}" for k in itertools.count(2))) if n not in names)
        return Layer(new.box, new.pixels, name=name, seed=new.seed, provenance=new.provenance)

    def set_prompt(self, prompt: str) -> None:
        """The prompt as typed: part of the document (saved, and marking it modified), one undo step per run of
        typing."""
        self._push("Edit Prompt", list(self._doc.layers), prompt=prompt, merge_key="prompt")

    def pick_variation(self, index: int, which: int) -> None:
        """Make variation `which` of a layer its content; the current content takes its place in the strip."""
        layer = self._doc.layers[index]
        if layer.locked:
            raise LayoutError(f"layer “{layer.name}” is locked")
        var = layer.variations[which]
        pixels = var.pixels
        if pixels.shape[:2] != (layer.box.height, layer.box.width):
            pixels = resampled(pixels, layer.box.width, layer.box.height)
        # the strip keeps its order: the one picked is in use where it stands, the one it replaces where it stood
        strip = kept_with_variations(layer)
        place = which if which < layer.place_in_strip else which + 1
        layers = list(self._doc.layers)
        layers[index] = replace(layer, pixels=pixels, seed=var.seed, hint=var.hint, provenance=var.provenance,
                                original=var.original, variations=strip[:place] + strip[place + 1:], shown_at=place,
                                name=named_after(layer, var.provenance, index))
        self._push("Pick Variation", layers)


def centred_box(width: int, height: int, canvas_width: int, canvas_height: int) -> Box:
    """A width x height box in the middle of the canvas, its corner on the grid."""
    x0, y0 = (canvas_width - width) // 2 // GRID * GRID, (canvas_height - height) // 2 // GRID * GRID
    return Box(x0, y0, x0 + width, y0 + height)


def picture_layer(pixels: np.ndarray, width: int, height: int, name: str, seed: int = 0) -> Layer:
    """A picture from elsewhere as a locked layer (generating would replace it otherwise), centred on the canvas;
    its box is grown to the grid with transparent pixels, as drawn boxes are. One larger than the canvas is fitted
    into it (a 6000 x 4000 photo was a layer 12 canvases wide), with up to twice the pixels it shows kept for a
    resize to draw on (more would stall each resize: 0.4 s to resample 6000 px)."""
    h, w = pixels.shape[:2]
    scale = min(width / w, height / h, 1.0)
    shown = max(1, round(w * scale)), max(1, round(h * scale))
    bw, bh = (-(-side // GRID) * GRID for side in shown)
    kept = min(2.0 * scale, 1.0) / scale  # the kept pixels per pixel shown
    source = (max(1, round(w * scale * kept)), max(1, round(h * scale * kept)))
    padded = np.zeros((max(round(bh * kept), source[1]), max(round(bw * kept), source[0]), 4), np.uint8)
    top, left = (padded.shape[0] - source[1]) // 2, (padded.shape[1] - source[0]) // 2
    padded[top:top + source[1], left:left + source[0]] = resampled(pixels, *source)
    if padded.shape[:2] == (bh, bw):
        return Layer(centred_box(bw, bh, width, height), padded, name=name, locked=True, seed=seed)
    return Layer(centred_box(bw, bh, width, height), resampled(padded, bw, bh), name=name, locked=True, seed=seed,
                 original=padded)


def blank_document(width: int, height: int, prompt: str = "", seed: int = 0) -> Document:
    return Document(width, height, prompt, [Layer(Box(0, 0, width, height), name="Background", seed=seed)])

