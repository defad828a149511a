"""A node whose module is not installed: its values as the workflow writes them, read-only.

Without the manifest there is no type, range or default to build fields from; showing the
values as text (JSON spelling, the same as YAML's for these scalars) lets the user see what
will be saved back unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

__all__ = ["MISSING_NOTE", "raw_text", "raw_values_form"]

MISSING_NOTE = ("This node's module is not installed, so its parameters cannot be edited here. "
                "They are kept as written and saved back unchanged; install the module to edit "
                "them.")


def raw_text(value: Any) -> str:
    """A value as one line of text: '20 nm' quoted, numbers and true/false/null bare."""
    return json.dumps(value, ensure_ascii=False, default=str)


def raw_values_form(values: dict[str, Any], parent: QWidget | None = None) -> QWidget:
    """Name and value, one read-only line each, in the workflow's order."""
    form_widget = QWidget(parent)
    form = QFormLayout(form_widget)
    if not values:
        form.addRow(QLabel("The workflow sets no parameters on this node.", form_widget))
    for name, value in values.items():
        line = QLineEdit(raw_text(value), form_widget)
        line.setReadOnly(True)
        line.setObjectName(f"raw:{name}")
        form.addRow(name, line)
    return form_widget
