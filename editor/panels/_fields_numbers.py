"""Whole and real numbers: spin boxes that keep the manifest's range and hold real numbers.

Values leave these fields as ``int`` and ``float``, never as text (NodeGraphQt's property
widgets store numbers as strings, which breaks reload, paste and undo; see MACHINE-NOTES).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSpinBox, QWidget

from lamella.core.manifest import FloatParam, IntParam
from lamella.editor.panels._fields_base import ParamField

__all__ = ["FloatField", "IntField", "NumberBox", "format_number", "step_for"]

# Qt spin boxes need finite bounds. Unbounded ints get the full 32-bit range Qt allows;
# unbounded reals get +-1e15, beyond any grey level, size or count an image gives. Qt rounds
# values to a fixed count of decimals: 30 keeps 1 nm^2 written in m^2 (1e-18).
_INT_LIMIT = 2**31 - 1
_REAL_LIMIT = 1e15
_DECIMALS = 30
_SIGNIFICANT = 12  # what is shown and written: no 0.30000000000000004


def format_number(value: float) -> str:
    """A number as people write it: ``'0.02'``, ``'20'``, ``'2e-05'`` (12 significant digits)."""
    return f"{value:.{_SIGNIFICANT}g}"


def step_for(value: float) -> float:
    """One arrow step at ``value``: a tenth of its leading digit, so 0.5 moves by 0.01."""
    if value == 0 or not math.isfinite(value):
        return 1.0
    return float(10 ** (math.floor(math.log10(abs(value))) - 1))


class NumberBox(QDoubleSpinBox):
    """A real-number spin box that shows numbers in their short form, at any magnitude.

    QDoubleSpinBox shows a fixed count of decimals ('0.020000'); this one shows '0.02', and
    '2e-05' for a length converted to millimetres, and accepts what it shows.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(_DECIMALS)
        self.setRange(-_REAL_LIMIT, _REAL_LIMIT)
        # Reports come on steps and on Enter / leaving the box, not on each key typed:
        # '0.' on the way to '0.7' is not a value to preview.
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return format_number(value)

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        stripped = text.strip()
        try:
            number = float(stripped)
        except ValueError:
            # '', '-', '1e', '.' are on the way to a number; anything else is refused.
            partial = stripped == "" or all(c in "+-.eE0123456789" for c in stripped)
            return (QValidator.State.Intermediate if partial else QValidator.State.Invalid,
                    text, pos)
        inside = self.minimum() <= number <= self.maximum() and math.isfinite(number)
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate, text, pos)


def _bounds(spec: IntParam | FloatParam, limit: float) -> tuple[float, float]:
    low = -limit if spec.min is None else max(spec.min, -limit)
    high = limit if spec.max is None else min(spec.max, limit)
    return low, high


def _check_inside(box: QSpinBox | QDoubleSpinBox, value: float) -> None:
    # A spin box clamps silently; a value outside the range (a hand-edited file) must show as
    # what the file says, not as the nearest allowed number.
    if not box.minimum() <= value <= box.maximum():
        raise ValueError(value)


class IntField(ParamField):
    """A whole number in the manifest's range; reports an ``int``."""

    spec: IntParam

    def _build_editor(self) -> QWidget:
        box = QSpinBox(self)
        low, high = _bounds(self.spec, _INT_LIMIT)
        box.setRange(math.ceil(low), math.floor(high))
        box.setKeyboardTracking(False)
        box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        box.valueChanged.connect(self._schedule)
        box.editingFinished.connect(self._commit)
        self.box = box
        return box

    def _show(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(value)
        _check_inside(self.box, value)
        self.box.setValue(value)

    def _read(self) -> int:
        return int(self.box.value())


class FloatField(ParamField):
    """A real number in the manifest's range; reports a ``float``."""

    spec: FloatParam

    def _build_editor(self) -> QWidget:
        box = NumberBox(self)
        box.setRange(*_bounds(self.spec, _REAL_LIMIT))
        box.setSingleStep(self._step())
        box.valueChanged.connect(self._schedule)
        box.editingFinished.connect(self._commit)
        self.box = box
        return box

    def _step(self) -> float:
        # A twentieth of a bounded range (0..1 steps by 0.01), else a tenth of the default's
        # leading digit: both give about 20-100 steps across the useful values.
        if self.spec.min is not None and self.spec.max is not None and self.spec.max > self.spec.min:
            return float(10 ** math.floor(math.log10((self.spec.max - self.spec.min) / 20)))
        default = self.spec.default
        return step_for(default) if isinstance(default, int | float) else 0.1

    def _show(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(value)
        _check_inside(self.box, value)
        self.box.setValue(float(value))

    def _read(self) -> float:
        return float(format_number(self.box.value()))
