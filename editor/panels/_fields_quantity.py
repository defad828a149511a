"""Lengths and areas: a number and a unit drop-down, written back as the manifest's text.

Choosing another metric unit converts the number so the size stays the same (20 nm becomes
0.02 um, written '0.02 um'). Pixels and metric units cannot be converted without the image's
pixel size, which a parameter does not know: switching between them keeps the number, so
'20 nm' becomes '20 px', and the tooltip says so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from lamella.core.manifest import QuantityParam
from lamella.core.units import LENGTH_UNITS, convert_length, parse_quantity
from lamella.editor.panels._fields_base import ParamField
from lamella.editor.panels._fields_numbers import NumberBox, format_number, step_for

__all__ = ["QuantityField", "unit_label"]

# The units microscopists set sizes in; a value written in another one (pm, A, cm, m) adds
# its own unit to the list rather than being converted behind the user's back.
_OFFERED = ("px", "nm", "um", "mm")
_SHOWN = {"um": "µm", "A": "Å"}


def unit_label(unit: str, power: int) -> str:
    """How a unit is shown: 'µm', 'nm²'."""
    return _SHOWN.get(unit, unit) + ("²" if power == 2 else "")


class QuantityField(ParamField):
    """A length or area: a number (never negative) and its unit; reports text like '20 nm'."""

    spec: QuantityParam

    def _build_editor(self) -> QWidget:
        self.power = 1 if self.spec.dimension == "length" else 2
        box = QWidget(self)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.number = NumberBox(box)
        self.number.setMinimum(0.0)
        self.number.valueChanged.connect(self._schedule)
        self.number.editingFinished.connect(self._commit)
        self.unit_box = QComboBox(box)
        self.unit_box.setToolTip("Unit. Metric units convert the number; switching to or from "
                                 "px keeps the number (a pixel's size is the image's).")
        for unit in _OFFERED:
            if not (self.spec.physical and unit == "px"):
                self._add_unit(unit)
        self.unit: str = str(self.unit_box.itemData(0))
        self.unit_box.currentIndexChanged.connect(self._unit_chosen)
        layout.addWidget(self.number, 1)
        layout.addWidget(self.unit_box)
        return box

    def focus_widget(self) -> QWidget:
        return self.number

    def _add_unit(self, unit: str) -> int:
        index = self.unit_box.findData(unit)
        if index < 0:
            self.unit_box.addItem(unit_label(unit, self.power), unit)
            index = self.unit_box.count() - 1
        return index

    def _show(self, value: Any) -> None:
        quantity = parse_quantity(value, power=self.power)  # ValueError: the row says so
        if not 0 <= quantity.value <= self.number.maximum():
            raise ValueError(value)  # shown as the workflow writes it, not clamped to 0
        self.unit = quantity.unit
        self.unit_box.setCurrentIndex(self._add_unit(quantity.unit))
        self.number.setSingleStep(self._step(quantity.value))
        self.number.setValue(quantity.value)

    def _read(self) -> str:
        squared = "^2" if self.power == 2 else ""
        return f"{format_number(self.number.value())} {self.unit}{squared}"

    def _step(self, value: float) -> float:
        return 1.0 if self.unit == "px" else step_for(value)

    def _unit_chosen(self, index: int) -> None:
        if self.quiet:
            return
        old, new = self.unit, str(self.unit_box.itemData(index))
        self.unit = new
        number = self.number.value()
        if old in LENGTH_UNITS and new in LENGTH_UNITS:
            for _ in range(self.power):  # an area converts by the square of the length factor
                number = convert_length(number, old, new)
        with self._quietly():  # the number moves because of the unit: one report, below
            self.number.setSingleStep(self._step(number))
            self.number.setValue(number)
        self._commit()
