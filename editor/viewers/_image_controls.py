"""The image viewer's controls: plane choice, display range, overlay opacity and legend.

The controls hold no image state: they show what the viewer tells them and emit what the
user changes; values set by the viewer never echo back as user changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QWidget,
)

from lamella.editor.viewers._planes import AXIS_NAMES
from lamella.editor.viewers._qimage import colour_bar_image

__all__ = ["ContrastControls", "OverlayControls", "PlaneChooser"]


class PlaneChooser(QWidget):
    """One drop-down per extra axis (channel, z, time); emits ``changed(axis, index)``."""

    changed = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.combos: dict[str, QComboBox] = {}

    def set_axes(self, axes: list[tuple[str, int]]) -> None:
        """Offer a position on each (letter, length) axis; hidden when there are none."""
        for combo in self.combos.values():
            self._layout.removeWidget(combo)
            combo.deleteLater()
        self.combos = {}
        for letter, length in axes:
            name = AXIS_NAMES.get(letter, letter)
            combo = QComboBox(self)
            combo.addItems([f"{name} {i}" for i in range(length)])
            combo.setToolTip(f"Which {name.lower()} to show ({length} in the image)")
            combo.currentIndexChanged.connect(lambda i, a=letter: self.changed.emit(a, i))
            self._layout.addWidget(combo)
            self.combos[letter] = combo
        self.setVisible(bool(axes))


class ContrastControls(QWidget):
    """Auto (percentile) contrast or a display range typed by the user."""

    range_changed = Signal(float, float)
    auto_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.auto = QCheckBox("Auto contrast", self)
        self.auto.setToolTip("Stretch the 0.5th to 99.5th percentile of the plane to black..white")
        self.low, self.high = QDoubleSpinBox(self), QDoubleSpinBox(self)
        for box, tip in ((self.low, "shown black"), (self.high, "shown white")):
            box.setDecimals(4)
            box.setRange(-1e12, 1e12)
            box.setKeyboardTracking(False)  # apply on Enter or focus loss, not per keystroke
            box.setToolTip(f"Pixel value {tip}")
            box.valueChanged.connect(self._typed)
        layout.addWidget(self.auto)
        layout.addWidget(QLabel("min", self))
        layout.addWidget(self.low)
        layout.addWidget(QLabel("max", self))
        layout.addWidget(self.high)
        self.auto.toggled.connect(self._auto_toggled)

    def show_range(self, low: float, high: float, *, auto: bool, decimals: int) -> None:
        """Display the range in use without emitting anything."""
        for widget in (self.auto, self.low, self.high):
            widget.blockSignals(True)
        self.low.setDecimals(decimals)
        self.high.setDecimals(decimals)
        self.low.setValue(low)
        self.high.setValue(high)
        self.auto.setChecked(auto)
        for widget in (self.auto, self.low, self.high):
            widget.blockSignals(False)

    def _typed(self) -> None:
        self.auto.blockSignals(True)
        self.auto.setChecked(False)
        self.auto.blockSignals(False)
        self.range_changed.emit(self.low.value(), self.high.value())

    def _auto_toggled(self, checked: bool) -> None:
        if checked:
            self.auto_requested.emit()
        else:
            self.range_changed.emit(self.low.value(), self.high.value())


class OverlayControls(QWidget):
    """Opacity slider, class choice for multi-class probabilities, and a legend."""

    opacity_changed = Signal(float)
    class_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Opacity", self))
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 100)
        self.slider.setToolTip("Overlay opacity: 0 shows the image alone")
        self.slider.valueChanged.connect(lambda v: self.opacity_changed.emit(v / 100))
        layout.addWidget(self.slider)
        self.classes = QComboBox(self)
        self.classes.setToolTip("Which class's probability to show")
        self.classes.currentIndexChanged.connect(self.class_changed.emit)
        layout.addWidget(self.classes)
        self.bar = QLabel(self)
        self.bar.setPixmap(QPixmap.fromImage(colour_bar_image()))
        self.legend = QLabel(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.legend)

    def show_overlay(self, kind: str | None, opacity: float, classes: int) -> None:
        """Show the controls that fit an overlay of ``kind`` (None: no overlay)."""
        self.setVisible(kind is not None)
        self.show_opacity(opacity)
        self.classes.blockSignals(True)
        self.classes.clear()
        self.classes.addItems([f"class {i}" for i in range(classes)])
        self.classes.blockSignals(False)
        self.classes.setVisible(kind == "probabilities" and classes > 1)
        self.bar.setVisible(kind == "probabilities")
        self.legend.setText(_LEGENDS.get(kind or "", ""))

    def show_opacity(self, opacity: float) -> None:
        """Move the slider to ``opacity`` (0..1) without emitting a change."""
        self.slider.blockSignals(True)
        self.slider.setValue(round(opacity * 100))
        self.slider.blockSignals(False)


_LEGENDS = {
    "probabilities": "probability 0 (dark purple) to 1 (yellow)",
    "labels": "one colour per object",
    "mask": "foreground in pink",
}
