"""Which field a parameter gets, what its tooltip says, and when it is shown (``visible_if``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from lamella.core.manifest import (
    BoolParam,
    EnumParam,
    FloatParam,
    IntParam,
    Manifest,
    ParamSpec,
    QuantityParam,
    StringParam,
)
from lamella.editor.panels._fields_base import ParamField
from lamella.editor.panels._fields_choice import BoolField, EnumField
from lamella.editor.panels._fields_numbers import FloatField, IntField
from lamella.editor.panels._fields_quantity import QuantityField
from lamella.editor.panels._fields_text import StringField

__all__ = ["current_values", "is_relevant", "make_field", "tooltip_for"]

_FIELDS: dict[type, type[ParamField]] = {
    IntParam: IntField,
    FloatParam: FloatField,
    BoolParam: BoolField,
    EnumParam: EnumField,
    QuantityParam: QuantityField,
    StringParam: StringField,
}


def make_field(name: str, spec: ParamSpec, parent: QWidget | None = None) -> ParamField:
    """The editor for one parameter, chosen by its type."""
    return _FIELDS[type(spec)](name, spec, parent)


def current_values(manifest: Manifest, values: dict[str, Any]) -> dict[str, Any]:
    """What the module will run with: the node's values over the manifest's defaults."""
    return {**manifest.default_params(), **values}


def is_relevant(spec: ParamSpec, current: dict[str, Any]) -> bool:
    """Whether every ``visible_if`` condition holds on the current values."""
    return all(_matches(current.get(other), wanted)
               for other, wanted in (spec.visible_if or {}).items())


def _matches(value: Any, wanted: Any) -> bool:
    # 1.0 satisfies {"x": 1}, as the runner's comparison would; true never satisfies 1.
    return bool(value == wanted) and isinstance(value, bool) == isinstance(wanted, bool)


def tooltip_for(name: str, spec: ParamSpec) -> str:
    """The description, then the default and the allowed values, then the name in the YAML."""
    lines = [spec.description, "", spec.summary() + _unit_note(spec)]
    if spec.visible_if:
        shown = ", ".join(f"{other} is {wanted!r}" for other, wanted in spec.visible_if.items())
        lines.append(f"Used when {shown}.")
    lines.append(f"Written in the workflow as '{name}'.")
    return "\n".join(lines)


def _unit_note(spec: ParamSpec) -> str:
    if not isinstance(spec, QuantityParam):
        return ""
    units = "a physical unit (nm, um, mm)" if spec.physical else "px or a physical unit (nm, um, mm)"
    return f"; in {units}{'^2' if spec.dimension == 'area' else ''}"
