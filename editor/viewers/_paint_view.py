"""The painting view: the image with its stroke and prediction layers, brush and pan gestures.

Tools: brush (left button paints, right button erases), eraser (left button erases) and
hand (left button pans). With any tool the middle button pans and the wheel zooms about the
mouse. A circle the size of the brush follows the mouse. The view only reports strokes in
image pixels (:attr:`stroke_begun`, :attr:`stroke_moved`, :attr:`stroke_ended`); the
window paints them into the annotations.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsView, QWidget

from lamella.editor.viewers._paint_labels import Region
from lamella.editor.viewers._paint_layers import ArrayLayer
from lamella.editor.viewers._zoom_view import ZoomView

__all__ = ["TOOLS", "PaintView"]

TOOLS = ("brush", "eraser", "hand")


class PaintView(ZoomView):
    """See the module docstring. Coordinates in signals are image pixels (column x, row y)."""

    stroke_begun = Signal(int, int, bool)  # x, y, erase
    stroke_moved = Signal(int, int)
    stroke_ended = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tool = "brush"
        self.brush_size = 5
        self.prediction: ArrayLayer | None = None
        self.strokes: ArrayLayer | None = None
        self._stroking = False
        self._panning: QPoint | None = None
        self._cursor = _BrushCircle()
        self.set_tool("brush")

    # ----- content ----------------------------------------------------------------------
    def set_picture(self, image: QImage) -> None:
        """Show ``image`` under the layers (a new size makes new, empty layers)."""
        if self.strokes is not None and (self.strokes.rgba.shape[1], self.strokes.rgba.shape[0]) == (
                image.width(), image.height()):
            self.set_image(image)  # same size: ZoomView swaps the pixmap, the layers stay
            return
        self.set_image(image)  # a new scene: the old layers and cursor went with the old one
        self.prediction = ArrayLayer(image.height(), image.width(), z=1)
        self.strokes = ArrayLayer(image.height(), image.width(), z=2)
        self._cursor = _BrushCircle()  # the scene's clear deleted the old one
        for item in (self.prediction, self.strokes, self._cursor):
            self.scene().addItem(item)
        self._cursor.setVisible(False)

    # ----- tools ------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """Use ``'brush'``, ``'eraser'`` or ``'hand'``."""
        if tool not in TOOLS:
            raise ValueError(f"'{tool}' is not a tool; use one of {', '.join(TOOLS)}")
        self.tool = tool
        painting = tool != "hand"
        self.setDragMode(QGraphicsView.DragMode.NoDrag if painting else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if painting else Qt.CursorShape.OpenHandCursor)
        self._cursor.setVisible(painting and self._cursor.isVisible())

    def set_brush_size(self, size: int) -> None:
        """Brush diameter in image pixels."""
        self.brush_size = max(1, int(size))
        self._place_cursor(self._cursor.rect().center())

    def visible_region(self) -> Region | None:
        """The rows and columns of the image in view (None before an image is shown)."""
        if self.strokes is None:
            return None
        height, width = self.strokes.rgba.shape[:2]
        shown = self.mapToScene(self.viewport().rect()).boundingRect()
        shown = shown.intersected(QRectF(0, 0, width, height))
        if shown.isEmpty():
            return None
        top, left = max(0, math.floor(shown.top())), max(0, math.floor(shown.left()))
        bottom, right = min(height, math.ceil(shown.bottom())), min(width, math.ceil(shown.right()))
        return slice(top, bottom), slice(left, right)

    def pixel_at(self, point: QPoint | QPointF) -> tuple[int, int]:
        """The image pixel (x, y) under a viewport point."""
        scene = self.mapToScene(point.toPoint() if isinstance(point, QPointF) else point)
        return math.floor(scene.x()), math.floor(scene.y())

    # ----- events -----------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Start a stroke, or a pan with the middle button (the hand tool pans with the left)."""
        button = event.button()
        if button == Qt.MouseButton.MiddleButton:
            self._panning = event.position().toPoint()
            event.accept()
            return
        if self.tool != "hand" and button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            erase = self.tool == "eraser" or button == Qt.MouseButton.RightButton
            self._stroking = True
            self.stroke_begun.emit(*self.pixel_at(event.position()), erase)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Continue the stroke or the pan; move the brush circle; report the hovered pixel."""
        point = event.position().toPoint()
        if self._panning is not None:
            delta, self._panning = point - self._panning, point
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
        elif self._stroking:
            self.stroke_moved.emit(*self.pixel_at(point))
        self._place_cursor(self.mapToScene(point))
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End the stroke or the pan."""
        if event.button() == Qt.MouseButton.MiddleButton:
            self._panning = None
        elif self._stroking and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._stroking = False
            self.stroke_ended.emit()
        else:
            super().mouseReleaseEvent(event)
        event.accept()

    def leaveEvent(self, event: object) -> None:
        """Hide the brush circle when the mouse leaves the view."""
        self._cursor.setVisible(False)
        super().leaveEvent(event)  # type: ignore[arg-type]

    def _place_cursor(self, scene: QPointF) -> None:
        """Centre the brush circle on the pixel under ``scene``, as wide as the brush."""
        x, y = math.floor(scene.x()) + 0.5, math.floor(scene.y()) + 0.5
        radius = self.brush_size / 2
        self._cursor.place(QRectF(x - radius, y - radius, 2 * radius, 2 * radius))
        self._cursor.setVisible(self.tool != "hand" and self.strokes is not None)


class _BrushCircle(QGraphicsEllipseItem):
    """The brush outline: white dashes over a black line, seen on dark and bright images."""

    def __init__(self) -> None:
        super().__init__()
        self.setPen(QPen(QColor(0, 0, 0), 0))  # width 0: one screen pixel at any zoom
        self._dashes = QGraphicsEllipseItem(self)
        self._dashes.setPen(QPen(QColor(255, 255, 255), 0, Qt.PenStyle.DashLine))
        self.setZValue(10)

    def place(self, rect: QRectF) -> None:
        """Draw the circle in ``rect`` (scene units)."""
        self.setRect(rect)
        self._dashes.setRect(rect)
