"""The port-type legend: each port colour and what that type carries."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from lamella.editor.canvas import legend

__all__ = ["Legend"]


class Legend(QtWidgets.QWidget):
    """One row per port type: a colour swatch, the type name and its meaning."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.rows: dict[str, QtGui.QColor] = {}
        for row, (name, colour, meaning) in enumerate(legend()):
            swatch = QtWidgets.QLabel()
            pixmap = QtGui.QPixmap(14, 14)
            pixmap.fill(QtGui.QColor(*colour))
            swatch.setPixmap(pixmap)
            text = QtWidgets.QLabel(f"<b>{name}</b>: {meaning}")
            text.setWordWrap(True)
            layout.addWidget(swatch, row, 0)
            layout.addWidget(text, row, 1)
            self.rows[name] = QtGui.QColor(*colour)
        layout.setColumnStretch(1, 1)
        layout.setRowStretch(len(self.rows), 1)
