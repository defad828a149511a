"""Layers drawn over the painted image: strokes, prediction, uncertainty.

Each layer is an RGBA numpy array shared with a QImage, drawn by a QGraphicsItem over the
image item. A stroke recolours only the box it touched and asks Qt to redraw that box, so
painting on a 4096 x 4096 image costs what the brush covers, not the whole picture; the
layer's opacity is the item's (no re-colouring when the slider moves).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from lamella.editor.viewers._colours import PROBABILITY_LUT
from lamella.editor.viewers._paint_labels import Region

__all__ = ["ArrayLayer", "class_lut", "uncertainty_rgba"]


def class_lut(colours: list[tuple[int, int, int]], size: int = 256) -> np.ndarray:
    """(size, 4) uint8 premultiplied RGBA by class value: 0 see-through, k the k-th colour.

    Values past the colours given (a file holding more classes) are drawn white.
    """
    lut = np.zeros((size, 4), dtype=np.uint8)
    lut[1:] = (255, 255, 255, 255)
    for value, rgb in enumerate(colours[: size - 1], start=1):
        lut[value] = (*rgb, 255)
    return lut


def uncertainty_rgba(uncertainty: np.ndarray, classes: int) -> np.ndarray:
    """(H, W, 4) premultiplied RGBA of ``1 - highest class probability``.

    Scaled so 1 means every class equally likely (the most uncertainty ``classes`` allow),
    coloured from dark purple to yellow (viridis) and as opaque as it is uncertain: where the
    classifier is sure the image shows through, where it hesitates the overlay glows.
    """
    top = 1.0 - 1.0 / max(2, classes)
    level = np.clip(np.nan_to_num(uncertainty, nan=1.0) / top, 0.0, 1.0)
    index = np.rint(level * 255).astype(np.uint8)
    rgba = np.empty((*uncertainty.shape, 4), dtype=np.uint8)
    alpha = index.astype(np.uint16)
    rgba[..., :3] = (np.take(PROBABILITY_LUT, index, axis=0) * alpha[..., None] // 255).astype(np.uint8)
    rgba[..., 3] = index
    return rgba


class ArrayLayer(QGraphicsItem):
    """A picture of ``height`` x ``width`` image pixels drawn from :attr:`rgba` (premultiplied)."""

    def __init__(self, height: int, width: int, z: float) -> None:
        super().__init__()
        self.rgba = np.zeros((height, width, 4), dtype=np.uint8)
        # The QImage borrows the array's memory: both must live as long as the item.
        self._image = QImage(self.rgba.data, width, height, 4 * width,
                             QImage.Format.Format_RGBA8888_Premultiplied)
        self.setZValue(z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # exposedRect

    def boundingRect(self) -> QRectF:
        """The image's rectangle, one scene unit per pixel."""
        return QRectF(0, 0, self.rgba.shape[1], self.rgba.shape[0])

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        """Draw the exposed part only, pixels square (nearest neighbour)."""
        exposed = option.exposedRect.intersected(self.boundingRect()).toAlignedRect()  # type: ignore[attr-defined]
        if exposed.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(exposed), self._image, QRectF(exposed))

    def show_values(self, values: np.ndarray, lut: np.ndarray, region: Region | None = None) -> None:
        """Colour ``values`` (the whole layer's, or those in ``region``) through ``lut``."""
        where = region or (slice(None), slice(None))
        clipped = np.minimum(values[where], len(lut) - 1)
        self.rgba[where] = np.take(lut, clipped, axis=0)
        self._changed(where)

    def show_rgba(self, rgba: np.ndarray, region: Region | None = None) -> None:
        """Put ``rgba`` (premultiplied, the size of ``region`` or of the layer) in place."""
        where = region or (slice(None), slice(None))
        self.rgba[where] = rgba
        self._changed(where)

    def clear(self) -> None:
        """Nothing drawn (all see-through)."""
        self.rgba[...] = 0
        self.update()

    def _changed(self, region: Region) -> None:
        rows, columns = region
        top, bottom, _ = rows.indices(self.rgba.shape[0])
        left, right, _ = columns.indices(self.rgba.shape[1])
        self.update(QRectF(left, top, right - left, bottom - top))

