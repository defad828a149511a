"""A QGraphicsView for pictures: wheel zoom about the mouse, drag to pan, fit and 1:1.

Used by the image viewer (with hover positions) and the plot viewer (PNG or SVG items).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

__all__ = ["ZoomView"]

_WHEEL_STEP = 1.25  # zoom factor per wheel notch (120 units of angle delta)
_ZOOM_LIMITS = (0.01, 64.0)


class ZoomView(QGraphicsView):
    """Shows one item; emits the scene position under the mouse and the zoom factor.

    Until the user zooms, the view keeps the item fitted to the window as it is resized
    (a fit done before the window is shown would use the wrong viewport size).
    """

    hovered_at = Signal(QPointF)
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self._item: QGraphicsItem | None = None
        self._pixmap_item: QGraphicsPixmapItem | None = None
        self._fitting = True

    # ----- content ----------------------------------------------------------------------
    def set_image(self, image: QImage) -> None:
        """Show ``image``, keeping the zoom and position when its size is unchanged."""
        pixmap = QPixmap.fromImage(image)
        if self._pixmap_item is not None and self._pixmap_item.pixmap().size() == pixmap.size():
            self._pixmap_item.setPixmap(pixmap)  # a contrast or opacity change: keep the view
            return
        item = QGraphicsPixmapItem(pixmap)
        # Nearest-neighbour when zoomed in: pixels stay square, as an analyst expects.
        item.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self.set_item(item)
        self._pixmap_item = item

    def set_item(self, item: QGraphicsItem) -> None:
        """Show ``item`` (replacing the previous one) fitted to the window."""
        self.scene().clear()
        self._pixmap_item = None
        self._item = item
        self.scene().addItem(item)
        self.scene().setSceneRect(item.boundingRect())
        self.fit()

    def clear(self) -> None:
        """Show nothing."""
        self.scene().clear()
        self._item = self._pixmap_item = None

    # ----- zoom -------------------------------------------------------------------------
    def zoom(self) -> float:
        """Screen pixels per image pixel (1.0 at 1:1)."""
        return float(self.transform().m11())

    def fit(self) -> None:
        """Zoom so the whole item fits the window, and keep fitting on resize."""
        self._fitting = True
        if self._item is not None:
            self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom())

    def actual_size(self) -> None:
        """One image pixel per screen pixel."""
        self._fitting = False
        self.resetTransform()
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, factor: float) -> None:
        """Zoom by ``factor`` about the mouse (or the centre), within 1 % and 6400 %."""
        low, high = _ZOOM_LIMITS
        factor = min(max(self.zoom() * factor, low), high) / self.zoom()
        self._fitting = False
        self.scale(factor, factor)
        self.zoom_changed.emit(self.zoom())

    # ----- events -----------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        """Zoom in or out by one step per wheel notch."""
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom_by(_WHEEL_STEP ** notches)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Pan while dragging (QGraphicsView's hand drag); always report the hovered point."""
        super().mouseMoveEvent(event)
        self.hovered_at.emit(self.mapToScene(event.position().toPoint()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Refit while the user has not chosen a zoom of their own."""
        super().resizeEvent(event)
        if self._fitting and self._item is not None:
            self.fit()

    def render_hints_for_vectors(self) -> None:
        """Smooth drawing for SVG plots (pixel images stay nearest-neighbour)."""
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
