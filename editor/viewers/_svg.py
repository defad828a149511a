"""Turn an SVG file into a graphics item, with whatever SVG support this PySide6 has.

PySide6-Essentials ships QtSvg (the renderer) and QtSvgWidgets (QGraphicsSvgItem, which stays
sharp at any zoom). Without QtSvgWidgets the renderer paints into an image once; without
QtSvg at all the caller shows the PNG and says why.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

__all__ = ["svg_item"]

_RASTER_SCALE = 2  # without vector items, paint at twice the SVG's size so zooming in holds up


def svg_item(path: Path, owner: QObject) -> tuple[QGraphicsItem | None, str]:
    """An item drawing the SVG at ``path``, or ``(None, one-line reason)``.

    ``owner`` keeps the renderer alive as long as the item may paint.
    """
    try:
        from PySide6.QtSvg import QSvgRenderer
    except ImportError:
        return None, "SVG cannot be shown (this PySide6 has no QtSvg)"
    renderer = QSvgRenderer(str(path), owner)
    if not renderer.isValid():
        return None, f"{path.name}: not a readable SVG"
    try:
        from PySide6.QtSvgWidgets import QGraphicsSvgItem
    except ImportError:
        return _raster_item(renderer), ""
    item = QGraphicsSvgItem()
    item.setSharedRenderer(renderer)
    return item, ""


def _raster_item(renderer: object) -> QGraphicsItem:
    size = renderer.defaultSize() * _RASTER_SCALE  # type: ignore[attr-defined]
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    renderer.render(painter)  # type: ignore[attr-defined]
    painter.end()
    item = QGraphicsPixmapItem(QPixmap.fromImage(image))
    item.setScale(1 / _RASTER_SCALE)
    item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
    return item
