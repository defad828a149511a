"""The folded 'Advanced' section: parameters a manifest marks ``advanced`` stay out of the way."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QVBoxLayout, QWidget

from lamella.editor.panels._fields_row import FieldRow

__all__ = ["AdvancedSection"]


class AdvancedSection(QWidget):
    """A button 'Advanced (n)' that unfolds the rows under it; folded when built."""

    def __init__(self, rows: list[FieldRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = QToolButton(self)
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.toggled.connect(self.set_expanded)
        self.box = QWidget(self)
        box_layout = QVBoxLayout(self.box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        for row in rows:
            box_layout.addWidget(row)  # re-parented into the folding box
        layout.addWidget(self.button)
        layout.addWidget(self.box)
        self.set_expanded(False)
        self.update_count()

    @property
    def expanded(self) -> bool:
        """Whether the rows are unfolded."""
        return self.button.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        """Unfold or fold the rows."""
        self.button.setChecked(expanded)
        self.button.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.box.setVisible(expanded)

    def update_count(self) -> None:
        """Count the rows not hidden by ``visible_if``; with none, the section hides itself."""
        shown = sum(1 for row in self.rows if not row.isHidden())
        self.button.setText(f"Advanced ({shown})")
        self.setHidden(shown == 0)
