"""The design document: layouts, layers, composition. Imports neither Qt nor torch."""
from .layout import GRID, MAX_CANVAS_SIDE, MAX_FOREGROUND_BOXES, MAX_SEED, Box, Layout, LayoutError
from .document import Document, Layer, Provenance, Variation, blend_over, empty_pixels

__all__ = [
    "GRID", "MAX_CANVAS_SIDE", "MAX_FOREGROUND_BOXES", "MAX_SEED", "Box", "Layout", "LayoutError",
    "Document", "Layer", "Provenance", "Variation", "blend_over", "empty_pixels",
]
