"""numpy RGB arrays to QImage, and the probability colour bar."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from lamella.editor.viewers._colours import PROBABILITY_LUT

__all__ = ["colour_bar_image", "rgb_to_qimage"]


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """An (H, W, 3) uint8 array as a QImage that owns its pixels.

    QImage only borrows a numpy buffer; the copy detaches it, so the array may be freed or
    changed afterwards (one memcpy, ~12 MB for 2048 x 2048).
    """
    data = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = data.shape[:2]
    image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def colour_bar_image(width: int = 160, height: int = 12) -> QImage:
    """The probability colour map left (0) to right (1), for a legend beside the view."""
    columns = PROBABILITY_LUT[np.linspace(0, 255, width).round().astype(np.intp)]
    return rgb_to_qimage(np.repeat(columns[None, :, :], height, axis=0))
