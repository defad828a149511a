"""Tab on the canvas: a search field over the modules; Enter adds the chosen one at the cursor.

NodeGraphQt's own Tab search is a modal QMenu (``exec_``), which blocks an offscreen test
and lists NodeGraphQt node types rather than modules; this one is a plain child widget.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lamella.editor._choices import ModuleChoice, search

__all__ = ["QuickAdd"]


class QuickAdd(QtWidgets.QFrame):
    """A search field and a list of matching modules, shown over the canvas."""

    chosen = QtCore.Signal(str, QtCore.QPoint)  # module reference, where Tab was pressed

    def __init__(self, choices: list[ModuleChoice], parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._choices, self._at = choices, QtCore.QPoint()
        self.field = QtWidgets.QLineEdit(placeholderText="Add a step: type a name, e.g. watershed")
        self.list = QtWidgets.QListWidget()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.field)
        layout.addWidget(self.list)
        self.resize(320, 260)
        self.field.textChanged.connect(self._fill)
        self.field.returnPressed.connect(self._choose)
        self.list.itemActivated.connect(lambda item: self._choose())
        self.field.installEventFilter(self)
        self.hide()

    def open_at(self, point: QtCore.QPoint) -> None:
        """Show the search at ``point`` (canvas widget coordinates), empty and focused."""
        self._at = point
        self.field.clear()
        self._fill("")
        parent = self.parentWidget()
        assert parent is not None  # made with the canvas as its parent
        x = min(max(0, point.x() - self.width() // 2), max(0, parent.width() - self.width()))
        y = min(max(0, point.y() - 20), max(0, parent.height() - self.height()))
        self.move(x, y)
        self.show()
        self.raise_()
        self.field.setFocus()

    def _fill(self, text: str) -> None:
        self.list.clear()
        for choice in search(self._choices, text):
            item = QtWidgets.QListWidgetItem(f"{choice.name}  ({choice.category})")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, choice.ref)
            item.setToolTip(f"{choice.ref}: {choice.description}")
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def _choose(self) -> None:
        item = self.list.currentItem()
        self.hide()
        if item is not None:
            self.chosen.emit(item.data(QtCore.Qt.ItemDataRole.UserRole), self._at)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Up/Down move in the list while typing; Escape closes."""
        if watched is self.field and event.type() == QtCore.QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key == QtCore.Qt.Key.Key_Escape:
                self.hide()
                return True
            if key in (QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_Up):
                step = 1 if key == QtCore.Qt.Key.Key_Down else -1
                row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
                self.list.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)
