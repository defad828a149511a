"""One parameter's row in the panel: name, 'default' marker, field, reset button, problem.

Numbers, sizes and choices also get a "Try values…" button, which asks for a few values to
be compared side by side on the current image.

When the validator has something to say about the value, the row gets a red frame and the
message under the field.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from lamella.core.manifest import EnumParam, FloatParam, IntParam, ParamSpec, QuantityParam
from lamella.editor.panels._fields import make_field, tooltip_for

__all__ = ["FieldRow"]

_FRAME = "QFrame#fieldFrame {{ border: 1px solid {colour}; border-radius: 3px; }}"
_PROBLEM_COLOUR = "#d32f2f"
# A switch has two values and text has no neighbours: only these are worth a grid of cells.
_TRIED = (IntParam, FloatParam, QuantityParam, EnumParam)


class FieldRow(QFrame):
    """A labelled field that knows whether its value is the default and whether it has a problem."""

    reset_requested = Signal()
    try_requested = Signal()  # "Try values…" pressed

    def __init__(self, name: str, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldFrame")
        self.name = name
        self.spec = spec
        self.is_default = False
        self.problem: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(2)
        layout.addLayout(self._title_bar())
        self.field = make_field(name, spec, self)
        layout.addWidget(self.field)
        self.note = QLabel(self)  # a value the field cannot show, as the workflow writes it
        self.note.setWordWrap(True)
        self.note.hide()
        self.field.edited.connect(self.note.hide)  # the user's value replaces what it explained
        layout.addWidget(self.note)
        self.problem_label = QLabel(self)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {_PROBLEM_COLOUR};")
        self.problem_label.hide()
        layout.addWidget(self.problem_label)
        self._set_tooltips(tooltip_for(name, spec))

    def _title_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.label = QLabel(self.spec.label or self.name, self)
        self.default_marker = QLabel("default", self)
        self.default_marker.setStyleSheet("color: gray; font-style: italic;")
        self.reset_button = QToolButton(self)
        self.reset_button.setText("↺")
        self.reset_button.setAutoRaise(True)
        self.reset_button.setToolTip(f"Reset to the module's default ({self._default_text()})")
        self.reset_button.clicked.connect(self.reset_requested)
        bar.addWidget(self.label)
        bar.addWidget(self.default_marker)
        bar.addStretch(1)
        self.try_button: QToolButton | None = None
        if isinstance(self.spec, _TRIED):
            self.try_button = QToolButton(self)
            self.try_button.setText("Try values…")
            self.try_button.setAutoRaise(True)
            self.try_button.setToolTip("Compare a few values side by side on the current image "
                                       "and pick one")
            self.try_button.clicked.connect(self.try_requested)
            bar.addWidget(self.try_button)
        bar.addWidget(self.reset_button)
        return bar

    def _default_text(self) -> str:
        if self.spec.required:
            return "none: the value is required"
        return repr(getattr(self.spec, "default", None))

    def _set_tooltips(self, tip: str) -> None:
        # On the row for the label and margins, and on the editor itself, which a hover or a
        # keyboard user reaches first.
        for widget in (self, self.label, self.field.focus_widget()):
            widget.setToolTip(tip)

    # ----- state ----------------------------------------------------------------------------
    def show_value(self, value: Any, *, is_default: bool, keep_edits: bool = False) -> None:
        """Show a value given by the workflow (or the default), without reporting it.

        ``keep_edits``: leave the field alone if it already holds ``value``, so an unfinished
        edit survives the workflow being shown again.
        """
        self.set_default(is_default)
        if keep_edits and self.field.holds(value):
            return
        shown = self.field.set_value(value)
        if shown:
            self.note.setText("")
        elif is_default and self.spec.required:
            self.note.setText("Required: the module has no default, so the workflow must set it.")
        else:
            self.note.setText(f"The workflow has {value!r} here, which this field cannot show; "
                              "an edit replaces it.")
        self.note.setVisible(not shown)

    def set_default(self, is_default: bool) -> None:
        """Mark the value as the manifest's default (not written in the workflow) or not."""
        self.is_default = is_default
        self.default_marker.setVisible(is_default)
        font = self.label.font()
        font.setItalic(is_default)
        self.label.setFont(font)
        self.reset_button.setEnabled(not is_default and not self.spec.required)

    def set_problem(self, message: str | None) -> None:
        """Frame the row in red with the message under it, or clear both (None)."""
        self.problem = message
        self.problem_label.setText(message or "")
        self.problem_label.setVisible(message is not None)
        self.setProperty("problem", message is not None)
        self.setStyleSheet(_FRAME.format(colour=_PROBLEM_COLOUR) if message else "")
