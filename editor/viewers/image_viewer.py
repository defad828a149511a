"""Show an image with zoom, pan, contrast and a labels, mask or probability overlay.

Each change (image, plane, contrast, overlay, opacity) renders once with numpy to one
QImage; the contrast-mapped base and the coloured overlay are kept, so an opacity change only
re-blends. Hovering reports the pixel value and, over an object, its row of the measure table.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from lamella.core.sdk import Image
from lamella.editor.viewers._colours import ColouredOverlay, blend, colour_overlay, grey_to_rgb
from lamella.editor.viewers._contrast import auto_range, full_range, to_uint8
from lamella.editor.viewers._hover import ObjectRows, hover_text
from lamella.editor.viewers._image_controls import ContrastControls, OverlayControls, PlaneChooser
from lamella.editor.viewers._overlay_input import checked_overlay
from lamella.editor.viewers._planes import extra_axes, plane_of, rows_columns
from lamella.editor.viewers._qimage import rgb_to_qimage
from lamella.editor.viewers._status import status_text
from lamella.editor.viewers._zoom_view import ZoomView

__all__ = ["ImageViewer"]


class ImageViewer(QWidget):
    """An image (any pixel type, any axes) with an optional overlay; see the module docstring.

    Signals
    -------
    hovered(str)
        The line about the pixel under the mouse, also shown below the view.
    """

    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: Image | None = None
        self._position: dict[str, int] = {}
        self._plane: np.ndarray | None = None
        self._range: tuple[float, float] | None = None  # None: the pixel type's default
        self._auto = False
        self._base: np.ndarray | None = None
        self._overlay: np.ndarray | None = None
        self._kind: str | None = None
        self._class = 0
        self._opacity = 0.5
        self._coloured: ColouredOverlay | None = None
        self._rows: ObjectRows | None = None
        self._unit = ""
        self._rendered = QImage()
        self._build()

    # ----- public API -------------------------------------------------------------------
    def set_image(self, image: Image | None) -> None:
        """Show ``image``; 16-bit and float images start with auto contrast, 8-bit at 0..255."""
        self._image, self._position, self._range = image, {}, None
        self._auto = image is not None and image.data.dtype not in (np.uint8, np.bool_)
        self.show_message("")
        if image is not None:
            self.planes.set_axes(extra_axes(image.axes, image.data.shape))
            size = rows_columns(image.axes, image.data.shape)
            if self._overlay is not None and self._overlay.shape[-2:] != size:
                self._overlay = self._coloured = self._kind = None  # made from another image
                self.overlay_controls.show_overlay(None, self._opacity, 1)
        self._choose_plane()

    def set_overlay(self, labels: np.ndarray | None, kind: str = "labels", opacity: float = 0.5) -> None:
        """Draw ``labels`` (2-D; probabilities may be class-first 3-D) over the image at ``opacity``."""
        self._overlay, self._kind, self._class, self._opacity = None, None, 0, opacity
        if labels is not None:
            plane_shape = None if self._plane is None else self._plane.shape
            self._overlay, problem = checked_overlay(labels, kind, plane_shape)
            self._kind = kind if self._overlay is not None else None
            self.show_message(problem)
        classes = self._overlay.shape[0] if self._overlay is not None and self._overlay.ndim == 3 else 1
        self.overlay_controls.show_overlay(self._kind, opacity, classes)
        self._colour_overlay()

    def set_opacity(self, value: float) -> None:
        """Overlay opacity from 0 (image alone) to 1 (overlay alone where it covers)."""
        self._opacity = min(1.0, max(0.0, float(value)))
        self.overlay_controls.show_opacity(self._opacity)
        self._render()

    def set_objects_table(self, rows: ObjectRows | None, unit: str = "") -> None:
        """Measure rows by label id, quoted when hovering an object; ``unit`` e.g. ``'nm'``."""
        self._rows, self._unit = rows, unit

    def set_plane(self, axis: str, index: int) -> None:
        """Show position ``index`` on an extra axis (``'C'`` channel, ``'Z'``, ``'T'``)."""
        self._position[axis] = index
        combo = self.planes.combos.get(axis)
        if combo is not None and combo.currentIndex() != index:
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._choose_plane()

    def set_display_range(self, low: float, high: float) -> None:
        """Show pixel value ``low`` black and ``high`` white (turns auto contrast off)."""
        self._auto, self._range = False, (float(low), float(high))
        self._map_contrast()

    def set_auto_contrast(self) -> None:
        """Stretch the 0.5th..99.5th percentile of the plane to black..white."""
        self._auto = True
        self._map_contrast()

    def display_range(self) -> tuple[float, float] | None:
        """The pixel values shown black and white (None before an image is shown)."""
        return self._range

    def rendered_image(self) -> QImage:
        """The picture on screen at 1:1 (RGB888), as last rendered."""
        return self._rendered

    def hover_text_at(self, x: int, y: int) -> str:
        """The line shown when the mouse is over pixel (x, y); '' outside the picture."""
        shape = self._shape()
        if shape is None or not (0 <= x < shape[1] and 0 <= y < shape[0]):
            return ""
        value = None if self._plane is None else self._plane[y, x]
        under = None if self._overlay is None else self._overlay_plane()[y, x]
        return hover_text(x, y, value, overlay=self._kind, overlay_value=under,
                          table=self._rows, unit=self._unit)

    def message(self) -> str:
        """The one-line problem shown in the viewer ('' when all is well)."""
        return self.message_label.text()

    def show_message(self, text: str) -> None:
        """Show a one-line problem above the picture (or clear it with '')."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def status_text(self) -> str:
        """Size, pixel type, pixel size and scale of what is shown."""
        return self.status_label.text()

    # ----- pipeline: plane -> contrast -> overlay colours -> blend -> QImage ------------
    def _choose_plane(self) -> None:
        self._plane = None
        if self._image is not None:
            try:
                plane = plane_of(self._image.data, self._image.axes, self._position)
            except ValueError as exc:
                self.show_message(f"{self._image.name or 'image'}: {exc}")
            else:
                self._plane = plane[:, :, :3] if plane.ndim == 3 else plane
        self._map_contrast()

    def _map_contrast(self) -> None:
        if self._plane is None:
            self._base = None
        else:
            if self._auto or self._range is None:
                self._range = (auto_range if self._auto else full_range)(self._plane)
            self._base = grey_to_rgb(to_uint8(self._plane, *self._range))
            floating = np.issubdtype(self._plane.dtype, np.floating)
            self.contrast.show_range(*self._range, auto=self._auto, decimals=4 if floating else 0)
        self.contrast.setVisible(self._plane is not None)
        self._render()

    def _colour_overlay(self) -> None:
        self._coloured = None
        if self._overlay is not None and self._kind is not None:
            self._coloured = colour_overlay(self._overlay_plane(), self._kind)
        self._render()

    def _render(self) -> None:
        shape = self._shape()
        if shape is None:
            self.view.clear()
            self._rendered = QImage()
            self.status_label.setText("")
            return
        base = self._base if self._base is not None else np.zeros((*shape, 3), dtype=np.uint8)
        rgb = base if self._coloured is None else blend(base, self._coloured, self._opacity)
        self._rendered = rgb_to_qimage(rgb)
        self.view.set_image(self._rendered)
        self._update_status()

    # ----- helpers ----------------------------------------------------------------------
    def _shape(self) -> tuple[int, int] | None:
        if self._plane is not None:
            return self._plane.shape[0], self._plane.shape[1]
        if self._overlay is not None:
            return self._overlay.shape[-2], self._overlay.shape[-1]
        return None

    def _overlay_plane(self) -> np.ndarray:
        assert self._overlay is not None
        return self._overlay[self._class] if self._overlay.ndim == 3 else self._overlay

    def _hover(self, point: QPointF) -> None:
        text = self.hover_text_at(math.floor(point.x()), math.floor(point.y()))
        self.hover_label.setText(text)
        if text:
            self.hovered.emit(text)

    def _update_status(self, *_: Any) -> None:
        shape = self._shape()
        if shape is None:
            return
        image = self._image
        dtype = str(self._plane.dtype) if self._plane is not None else str(self._kind)
        self.status_label.setText(status_text(
            image.name if image else "", shape[1], shape[0], dtype,
            image.calibration if image else None, self.view.zoom()))

    def _build(self) -> None:
        self.view = ZoomView(self)
        self.planes, self.contrast = PlaneChooser(self), ContrastControls(self)
        self.overlay_controls = OverlayControls(self)
        fit, one = QPushButton("Fit", self), QPushButton("1:1", self)
        fit.setToolTip("Zoom so the whole image fits")
        one.setToolTip("One image pixel per screen pixel")
        fit.clicked.connect(self.view.fit)
        one.clicked.connect(self.view.actual_size)
        bar = QHBoxLayout()
        for widget in (fit, one, self.planes, self.contrast):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.message_label, self.status_label, self.hover_label = QLabel(self), QLabel(self), QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        for widget in (self.overlay_controls, self.message_label, self.view, self.status_label,
                       self.hover_label):
            layout.addWidget(widget)
        layout.setStretchFactor(self.view, 1)
        self.overlay_controls.setVisible(False)
        self.contrast.setVisible(False)
        self.planes.setVisible(False)
        self.planes.changed.connect(self.set_plane)
        self.contrast.range_changed.connect(self.set_display_range)
        self.contrast.auto_requested.connect(self.set_auto_contrast)
        self.overlay_controls.opacity_changed.connect(self.set_opacity)
        self.overlay_controls.class_changed.connect(self._set_class)
        self.view.hovered_at.connect(self._hover)
        self.view.zoom_changed.connect(self._update_status)

    def _set_class(self, index: int) -> None:
        self._class = max(0, index)
        self._colour_overlay()

