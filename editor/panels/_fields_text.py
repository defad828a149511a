"""Text, and paths with a file or folder picker (a string parameter with ``format``).

Text is reported when the edit is finished (Enter or leaving the field): a half-typed column
name or path is not worth a preview run.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QToolButton, QWidget

from lamella.core.manifest import StringParam
from lamella.editor.panels._fields_base import ParamField

__all__ = ["StringField"]


class StringField(ParamField):
    """A line of text; for a nullable parameter an empty line means 'not set' (null).

    A parameter with ``format: file`` or ``folder`` gets a '…' button opening a file or folder
    dialog; :meth:`choose_path` is what the dialog's answer goes through.
    """

    spec: StringParam

    def _build_editor(self) -> QWidget:
        box = QWidget(self)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit(box)
        if self.spec.nullable:
            self.line.setPlaceholderText("not set")
        self.line.editingFinished.connect(self._commit)
        layout.addWidget(self.line, 1)
        self.picker: QToolButton | None = None
        if self.spec.format is not None:
            self.picker = QToolButton(box)
            self.picker.setText("…")
            self.picker.setToolTip(f"Choose a {self.spec.format}")
            self.picker.clicked.connect(self.open_picker)
            layout.addWidget(self.picker)
        return box

    def _needs_empty_box(self) -> bool:
        return False

    def focus_widget(self) -> QWidget:
        return self.line

    def _show(self, value: Any) -> None:
        if value is None and self.spec.nullable:
            self.line.clear()
        elif isinstance(value, str):
            self.line.setText(value)
        else:
            raise TypeError(value)

    def _read(self) -> str | None:
        text = self.line.text()
        return None if text == "" and self.spec.nullable else text

    def open_picker(self) -> None:
        """Ask for a file or folder, starting where the current value points."""
        start = self.line.text()
        if self.spec.format == "folder":
            path = QFileDialog.getExistingDirectory(self, f"Choose {self.name}", start)
        else:
            path, _ = QFileDialog.getOpenFileName(self, f"Choose {self.name}", start)
        if path:  # an empty answer is a cancelled dialog
            self.choose_path(path)

    def choose_path(self, path: str) -> None:
        """Take ``path`` as the user's choice: show it and report it."""
        self.line.setText(path)
        self._commit()
