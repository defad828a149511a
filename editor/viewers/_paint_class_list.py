"""The class list of the painting window: a colour, a name and the painted pixels per class.

The widget holds no class state: the window tells it the classes (:meth:`ClassList.show_classes`)
and it reports what the user asks for: a class chosen to paint with, a new class, a new name,
a new colour. Keys 1-9 choose the first nine classes (in the window).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lamella.editor.viewers._paint_classes import AnnotationClass

__all__ = ["ClassList"]

_SWATCH = 14


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(_SWATCH, _SWATCH)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ClassList(QWidget):
    """Classes as rows ``■ name  (N px)``; Add, Rename, Colour and Remove buttons below.

    Signals
    -------
    chosen(int)
        The class value (1..K) to paint with.
    add_requested()
        A new class is wanted (the window names it and writes ``class_names``).
    rename_requested(int, str), recolour_requested(int, str)
        A class's new name, or its new colour as ``'#rrggbb'``.
    remove_requested(int)
        The class to remove (the window asks before erasing its strokes).
    """

    chosen = Signal(int)
    add_requested = Signal()
    rename_requested = Signal(int, str)
    recolour_requested = Signal(int, str)
    remove_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setToolTip("The class the brush paints (keys 1-9); double-click to rename")
        self.list.currentRowChanged.connect(self._row_changed)
        self.list.itemDoubleClicked.connect(lambda item: self.ask_name(self.list.row(item) + 1))
        buttons = QHBoxLayout()
        for text, tip, slot in (
                ("Add", "Add a class (its name goes to the training step's class_names)",
                 self.add_requested.emit),
                ("Rename…", "Rename the chosen class", lambda: self.ask_name(self.current())),
                ("Colour…", "Choose the chosen class's colour", lambda: self.ask_colour(self.current())),
                ("Remove", "Remove the chosen class and erase its strokes",
                 lambda: self.remove_requested.emit(self.current()))):
            button = QPushButton(text, self)
            button.setToolTip(tip)
            button.clicked.connect(lambda checked=False, slot=slot: slot())
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._classes: list[AnnotationClass] = []

    def show_classes(self, classes: list[AnnotationClass], counts: dict[int, int], current: int) -> None:
        """Show ``classes`` with their painted pixel ``counts``; highlight class ``current``."""
        self._classes = list(classes)
        self.list.blockSignals(True)
        if self.list.count() != len(classes):
            self.list.clear()
            for _ in classes:
                self.list.addItem(QListWidgetItem())
        for value, entry in enumerate(classes, start=1):
            item = self.list.item(value - 1)
            shortcut = f"{value}: " if value <= 9 else ""
            item.setText(f"{shortcut}{entry.name}  ({counts.get(value, 0):,} px)")
            item.setIcon(_swatch(entry.colour))
            item.setData(Qt.ItemDataRole.UserRole, value)
        self.list.setCurrentRow(current - 1)
        self.list.blockSignals(False)

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.chosen.emit(row + 1)

    def current(self) -> int:
        """The class highlighted (1..K; 0 if none)."""
        return self.list.currentRow() + 1

    def ask_name(self, value: int) -> None:
        """Ask for a new name of class ``value``."""
        if not 1 <= value <= len(self._classes):
            return
        name, ok = QInputDialog.getText(self, "Rename class", f"Name of class {value}:",
                                        text=self._classes[value - 1].name)
        if ok and name.strip() and name.strip() != self._classes[value - 1].name:
            self.rename_requested.emit(value, name.strip())

    def ask_colour(self, value: int) -> None:
        """Ask for a new colour of class ``value``."""
        if not 1 <= value <= len(self._classes):
            return
        colour = QColorDialog.getColor(QColor(self._classes[value - 1].colour), self,
                                       f"Colour of {self._classes[value - 1].name}")
        if colour.isValid():
            self.recolour_requested.emit(value, colour.name())
