"""The properties panel: the selected node's parameters as fields built from its manifest."""

from __future__ import annotations

from functools import partial
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from lamella.core.manifest import Manifest
from lamella.editor.panels._fields import current_values, is_relevant
from lamella.editor.panels._fields_base import LIVE_EDIT_DELAY_MS
from lamella.editor.panels._fields_fold import AdvancedSection
from lamella.editor.panels._fields_row import FieldRow
from lamella.editor.panels.properties_missing import MISSING_NOTE, raw_text, raw_values_form

__all__ = ["LIVE_EDIT_DELAY_MS", "PropertiesPanel"]


class PropertiesPanel(QWidget):
    """One field per manifest parameter, in manifest order, for the node being shown.

    The panel holds no workflow state: it shows what :meth:`show_node` gives it and reports
    the user's edits; the editor model applies them (and may call :meth:`set_values` and
    :meth:`set_problems` back, which do not rebuild the fields or report anything).

    When edits are reported (``param_changed(node_id, name, value)``):

    - numbers and quantities: at once when an edit is finished (Enter, leaving the field, a
      unit or 'auto' chosen), and while the user steps with the arrows, the wheel or a held
      arrow button, ``LIVE_EDIT_DELAY_MS`` after the last step, so a live preview follows
      without one run per step. Typing reports nothing until the edit is finished.
    - choices and switches: at once. Text: when the edit is finished.
    - never for values the panel was given (:meth:`show_node`, :meth:`set_values`), and never
      twice for the same value. A pending stepped value is reported before another node is shown.

    Values are reported in the manifest's types: ``int``, ``float``, ``bool``, the choice,
    ``'auto'``, ``None`` for 'not set', and quantities as text such as ``'0.02 um'``.
    ``param_reset(node_id, name)`` asks for a parameter to go back to the module's default
    (removed from the workflow). ``try_values(node_id, name)`` asks to compare a few values of
    a number, size or choice side by side ("Try values…" on its field). Fields whose
    ``visible_if`` fails are hidden, unless they have a problem to fix; advanced parameters sit
    in a folded 'Advanced' section.
    """

    param_changed = Signal(str, str, object)
    param_reset = Signal(str, str)
    try_values = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._node_id: str | None = None
        self._manifest: Manifest | None = None
        self._values: dict[str, Any] = {}
        self._rows: dict[str, FieldRow] = {}
        layout = QVBoxLayout(self)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.note = QLabel(self)  # panel-wide messages: nothing selected, module missing, ...
        self.note.setWordWrap(True)
        self._scroll_area = QScrollArea(self)
        self._scroll_area.setWidgetResizable(True)
        self._scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self._scroll_area, 1)
        self.advanced: AdvancedSection | None = None
        self.show_nothing()

    # ----- what is shown --------------------------------------------------------------------
    @property
    def node_id(self) -> str | None:
        """The node whose parameters are shown, or None."""
        return self._node_id

    def show_nothing(self, message: str = "Select a node to see its parameters.") -> None:
        """No node: e.g. nothing selected, or ``'3 nodes selected'``."""
        self._clear()
        self.title.setText("")
        self._set_note(message)

    def show_node(self, node_id: str, manifest: Manifest | None, values: dict[str, Any], *,
                  problems: dict[str, str] | None = None) -> None:
        """Show a node's parameters: ``values`` as the workflow writes them, defaults for the rest.

        ``manifest`` None (module not installed) shows ``values`` read-only. ``problems``
        maps a parameter name to the validator's message about it. Showing the node that is
        already shown, with the same manifest, updates the fields in place: the field being
        edited keeps its focus and unfinished text unless ``values`` changes that parameter.
        """
        if manifest is not None and node_id == self._node_id and manifest == self._manifest:
            self.set_values(values)
            self.set_problems(problems or {})
            return
        self._clear()
        self._node_id, self._manifest, self._values = node_id, manifest, dict(values)
        if manifest is None:
            self.title.setText(f"<b>{escape(node_id)}</b>")
            self._set_note(MISSING_NOTE)
            self._scroll_area.setWidget(raw_values_form(self._values))
            return
        self.title.setText(f"<b>{escape(node_id)}</b> · {escape(manifest.name)} "
                           f"<small>({escape(manifest.ref)})</small>")
        self.title.setToolTip(manifest.description)
        self._scroll_area.setWidget(self._build_rows(manifest))
        self.set_values(values)
        self.set_problems(problems or {})

    def set_values(self, values: dict[str, Any]) -> None:
        """Show new values for the same node (after an undo, say) without rebuilding or reporting.

        Fields whose value did not change are left alone, with whatever the user is doing there.
        """
        self._values = dict(values)
        for name, row in self._rows.items():
            given = name in self._values
            row.show_value(self._values[name] if given else getattr(row.spec, "default", None),
                           is_default=not given, keep_edits=True)
        self._update_visibility()

    def set_problems(self, problems: dict[str, str]) -> None:
        """Mark the fields the validator complains about; other complaints go in the note."""
        if self._manifest is None:
            return  # a missing module's note stays; its values have no fields to mark
        for name, row in self._rows.items():
            row.set_problem(problems.get(name))
        elsewhere = [f"{name}: {message}" for name, message in problems.items()
                     if name not in self._rows]
        elsewhere += [f"'{name}' is not a parameter of this module (value {raw_text(value)})"
                      for name, value in self._values.items()
                      if name not in self._rows and name not in problems]
        self._set_note("\n".join(elsewhere), problem=True)
        self._update_visibility()

    # ----- for other panels and tests -------------------------------------------------------
    def field_row(self, name: str) -> FieldRow | None:
        """The row of parameter ``name``, if the node shown has it."""
        return self._rows.get(name)

    def field_names(self) -> list[str]:
        """Every parameter with a field, in manifest order."""
        return list(self._rows)

    def shown_fields(self) -> list[str]:
        """Parameters whose fields are shown (``visible_if`` holds, or a problem), in order.

        Advanced ones count as shown even while their section is folded.
        """
        return [name for name, row in self._rows.items() if not row.isHidden()]

    def focus_field(self, name: str) -> bool:
        """Scroll to a parameter's field and give it the keyboard focus; False if not shown."""
        row = self._rows.get(name)
        if row is None or row.isHidden():
            return False
        if row.spec.advanced and self.advanced is not None:
            self.advanced.set_expanded(True)
        self._scroll_area.ensureWidgetVisible(row)
        row.field.focus_widget().setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # ----- building -------------------------------------------------------------------------
    def _build_rows(self, manifest: Manifest) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        for name, spec in manifest.parameters.items():  # rows in manifest order
            self._add_row(name, spec, content)
        for row in self._rows.values():
            if not row.spec.advanced:
                layout.addWidget(row)
        if not manifest.parameters:
            layout.addWidget(QLabel("This module has no parameters.", content))
        advanced = [row for row in self._rows.values() if row.spec.advanced]
        if advanced:
            self.advanced = AdvancedSection(advanced, content)
            layout.addWidget(self.advanced)
        layout.addStretch(1)
        return content

    def _add_row(self, name: str, spec: Any, parent: QWidget) -> FieldRow:
        row = FieldRow(name, spec, parent)
        row.field.edited.connect(partial(self._edited, row))
        row.reset_requested.connect(partial(self._reset, row))
        row.try_requested.connect(partial(self._try, row))
        self._rows[name] = row
        return row

    def _clear(self) -> None:
        for row in self._rows.values():
            row.field.flush()  # a stepped value still waiting goes to the node it belongs to
        self._rows = {}
        self._node_id, self._manifest, self._values = None, None, {}
        self.advanced = None
        self.title.setToolTip("")
        self._scroll_area.setWidget(QWidget())  # deletes the previous node's fields

    # ----- user actions ---------------------------------------------------------------------
    def _is_current(self, row: FieldRow) -> bool:
        # False for a field of a node no longer shown, reporting as it is deleted.
        return self._node_id is not None and self._rows.get(row.name) is row

    def _edited(self, row: FieldRow, value: Any) -> None:
        if not self._is_current(row) or self._node_id is None:
            return
        self._values[row.name] = value
        row.set_default(False)
        self._update_visibility()
        self.param_changed.emit(self._node_id, row.name, value)

    def _reset(self, row: FieldRow) -> None:
        if not self._is_current(row) or self._node_id is None:
            return
        self._values.pop(row.name, None)
        row.show_value(getattr(row.spec, "default", None), is_default=True)
        self._update_visibility()
        self.param_reset.emit(self._node_id, row.name)

    def _try(self, row: FieldRow) -> None:
        if not self._is_current(row) or self._node_id is None:
            return
        row.field.flush()  # a stepped value still waiting is the one to compare around
        self.try_values.emit(self._node_id, row.name)

    def _update_visibility(self) -> None:
        if self._manifest is None:
            return
        current = current_values(self._manifest, self._values)
        for row in self._rows.values():
            row.setHidden(not (is_relevant(row.spec, current) or row.problem))
        if self.advanced is not None:
            self.advanced.update_count()

    def _set_note(self, text: str, *, problem: bool = False) -> None:
        self.note.setText(text)
        self.note.setStyleSheet("color: #d32f2f;" if problem else "color: gray;")
        self.note.setVisible(bool(text))
