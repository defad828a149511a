"""Switches and choices: a check box for a bool, a drop-down for an enum.

Both report as soon as the user changes them: a click is a finished edit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from lamella.core.manifest import BoolParam, EnumParam
from lamella.editor.panels._fields_base import ParamField, same_value

__all__ = ["BoolField", "EnumField"]

_NOT_SET = "(not set)"


class BoolField(ParamField):
    """A yes/no switch; a nullable one has a third, partly checked state meaning 'not set'."""

    spec: BoolParam

    def _build_editor(self) -> QWidget:
        box = QCheckBox(self)
        box.setTristate(self.spec.nullable)
        box.checkStateChanged.connect(self._commit)
        self.box = box
        return box

    def _needs_empty_box(self) -> bool:
        return False

    def _show(self, value: Any) -> None:
        if value is None and self.spec.nullable:
            self.box.setCheckState(Qt.CheckState.PartiallyChecked)
        elif isinstance(value, bool):
            self.box.setCheckState(Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)
        else:
            raise TypeError(value)

    def _read(self) -> bool | None:
        state = self.box.checkState()
        if state == Qt.CheckState.PartiallyChecked:
            return None
        return state == Qt.CheckState.Checked


class EnumField(ParamField):
    """One of the manifest's choices; reports the choice itself (text or number)."""

    spec: EnumParam

    def _build_editor(self) -> QWidget:
        combo = QComboBox(self)
        if self.spec.nullable:
            combo.addItem(_NOT_SET, None)
        for choice in self.spec.choices:
            # The choice rides along as item data, so 8 comes back as the number 8, not '8'.
            combo.addItem(str(choice), choice)
        combo.activated.connect(self._commit)  # user choices only, not setCurrentIndex
        self.combo = combo
        return combo

    def _needs_empty_box(self) -> bool:
        return False

    def _show(self, value: Any) -> None:
        for index in range(self.combo.count()):
            if same_value(self.combo.itemData(index), value):
                self.combo.setCurrentIndex(index)
                return
        raise ValueError(value)

    def _read(self) -> Any:
        return self.combo.currentData()
