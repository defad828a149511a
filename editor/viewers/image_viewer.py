"""Show an image with zoom, pan, contrast and a labels, mask or probability overlay.

Each change (image, plane, contrast, overlay, opacity) renders once with numpy to one QImage
(see ``_display``). Hovering reports the pixel value and, over an object, its row of the
measure table.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from lamella.core.sdk import Image
from lamella.editor.viewers._display import Display
from lamella.editor.viewers._hover import ObjectRows, hover_text
from lamella.editor.viewers._image_controls import ContrastControls, OverlayControls, PlaneChooser
from lamella.editor.viewers._planes import extra_axes
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
        self.display = Display()
        self._rows: ObjectRows | None = None
        self._unit = ""
        self._axes: list[tuple[str, int]] = []
        self._rendered = QImage()
        self._build()

    # ----- public API -------------------------------------------------------------------
    def set_image(self, image: Image | None) -> None:
        """Show ``image`` (see :meth:`Display.set_image` for the contrast it starts with)."""
        problem = self.display.set_image(image)
        axes = [] if image is None else extra_axes(image.axes, image.data.shape)
        if axes != self._axes or not self.display.position:  # a re-run keeps the user's choice
            self._axes = axes
            self.planes.set_axes(axes)
        self._refresh(problem, overlay_changed=self.display.overlay is None)

    def set_overlay(self, labels: np.ndarray | None, kind: str = "labels", opacity: float = 0.5) -> None:
        """Draw ``labels`` (2-D; probabilities may be class-first 3-D) over the image at ``opacity``."""
        self._refresh(self.display.set_overlay(labels, kind, opacity), overlay_changed=True)

    def set_opacity(self, value: float) -> None:
        """Overlay opacity from 0 (image alone) to 1 (overlay alone where it covers)."""
        self.display.set_opacity(value)
        self.overlay_controls.show_opacity(self.display.opacity)
        self._render()

    def set_objects_table(self, rows: ObjectRows | None, unit: str = "") -> None:
        """Measure rows by label id, quoted when hovering an object; ``unit`` e.g. ``'nm'``."""
        self._rows, self._unit = rows, unit

    def set_plane(self, axis: str, index: int) -> None:
        """Show position ``index`` on an extra axis (``'C'`` channel, ``'Z'``, ``'T'``)."""
        combo = self.planes.combos.get(axis)
        if combo is not None and combo.currentIndex() != index:
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._refresh(self.display.set_plane(axis, index))

    def set_display_range(self, low: float, high: float) -> None:
        """Show pixel value ``low`` black and ``high`` white (turns auto contrast off)."""
        self._refresh(self.display.set_range(low, high))

    def set_auto_contrast(self) -> None:
        """Stretch the 0.5th..99.5th percentile of the plane to black..white."""
        self._refresh(self.display.set_auto())

    def display_range(self) -> tuple[float, float] | None:
        """The pixel values shown black and white (None before an image is shown)."""
        return self.display.range

    def rendered_image(self) -> QImage:
        """The picture on screen at 1:1 (RGB888), as last rendered."""
        return self._rendered

    def hover_text_at(self, x: int, y: int) -> str:
        """The line shown when the mouse is over pixel (x, y); '' outside the picture."""
        shape, plane, under = self.display.shape(), self.display.plane, self.display.overlay_plane()
        if shape is None or not (0 <= x < shape[1] and 0 <= y < shape[0]):
            return ""
        return hover_text(x, y, None if plane is None else plane[y, x], overlay=self.display.kind,
                          overlay_value=None if under is None else under[y, x],
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

    # ----- internals --------------------------------------------------------------------
    def _refresh(self, problem: str, *, overlay_changed: bool = False) -> None:
        """Show ``problem`` (or clear the message), update the controls, render."""
        self.show_message(problem)
        display = self.display
        if display.plane is not None:
            floating = np.issubdtype(display.plane.dtype, np.floating)
            assert display.range is not None
            self.contrast.show_range(*display.range, auto=display.auto, decimals=4 if floating else 0)
        self.contrast.setVisible(display.plane is not None)
        if overlay_changed:
            self.overlay_controls.show_overlay(display.kind, display.opacity, display.classes())
        self._render()

    def _render(self) -> None:
        rgb = self.display.rgb()
        if rgb is None:
            self.view.clear()
            self._rendered = QImage()
            self.status_label.setText("")
            return
        self._rendered = rgb_to_qimage(rgb)
        self.view.set_image(self._rendered)
        self._update_status()

    def _hover(self, point: QPointF) -> None:
        text = self.hover_text_at(math.floor(point.x()), math.floor(point.y()))
        self.hover_label.setText(text)
        if text:
            self.hovered.emit(text)

    def _update_status(self, *_: Any) -> None:
        shape, image, plane = self.display.shape(), self.display.image, self.display.plane
        if shape is None:
            return
        dtype = str(plane.dtype) if plane is not None else str(self.display.kind)
        self.status_label.setText(status_text(
            image.name if image else "", shape[1], shape[0], dtype,
            image.calibration if image else None, self.view.zoom()))

    def _set_class(self, index: int) -> None:
        self._refresh(self.display.set_class(index))

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
        for control in (fit, one, self.planes, self.contrast):
            bar.addWidget(control)
        bar.addStretch(1)
        self.message_label, self.status_label, self.hover_label = QLabel(self), QLabel(self), QLabel(self)
        self.message_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        for part in (self.overlay_controls, self.message_label, self.view, self.status_label,
                     self.hover_label):
            layout.addWidget(part)
        layout.setStretchFactor(self.view, 1)
        for shown_when_needed in (self.message_label, self.overlay_controls, self.contrast, self.planes):
            shown_when_needed.setVisible(False)
        self.planes.changed.connect(self.set_plane)
        self.contrast.range_changed.connect(self.set_display_range)
        self.contrast.auto_requested.connect(self.set_auto_contrast)
        self.overlay_controls.opacity_changed.connect(self.set_opacity)
        self.overlay_controls.class_changed.connect(self._set_class)
        self.view.hovered_at.connect(self._hover)
        self.view.zoom_changed.connect(self._update_status)
