"""The compare dialog's grid: one cell per value, its overlay, its caption and a "Use" button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from lamella.core.sdk import Image, read_image
from lamella.editor._compare_results import Cell, shown_port
from lamella.runner._overrides import same_value

__all__ = ["COLUMNS", "CompareCell", "CompareGrid"]

COLUMNS = 3  # three values side by side, as the dialog proposes them
_CELL_SIZE = QtCore.QSize(300, 300)


class CompareCell(QtWidgets.QFrame):
    """One value: the node's output drawn over the image, the caption, and "Use this value"."""

    chosen = QtCore.Signal(object)  # the value

    def __init__(self, cell: Cell, background: Image | None, *, current: bool = False,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compare-cell")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.cell = cell
        self.caption = QtWidgets.QLabel(cell.caption(), self)
        self.caption.setWordWrap(True)
        self.current = current  # the value the workflow has now: the one to beat
        if current:
            self.caption.setStyleSheet("font-weight: bold;")
            self.caption.setToolTip("The value the workflow has now")
        self.viewer = self._viewer(cell, background)
        self.use = QtWidgets.QPushButton("Use this value", self)
        self.use.setToolTip("Set the parameter to this value (one undo step) and close")
        self.use.setEnabled(not cell.problem)
        self.use.clicked.connect(lambda: self.chosen.emit(cell.value))
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.viewer, 1)
        layout.addWidget(self.use)

    def _viewer(self, cell: Cell, background: Image | None) -> QtWidgets.QWidget:
        from lamella.editor.viewers import viewer_for  # Qt viewers: built when first shown

        outputs = cell.outputs
        port = shown_port(outputs.types) if outputs is not None else None
        if outputs is None or port is None or not outputs.files.get(port):
            return QtWidgets.QLabel(cell.problem or "no output to show", self)
        viewer = viewer_for(outputs.types[port], outputs.files[port], image_for_overlay=background,
                            table=outputs.objects, parent=self)
        viewer.setMinimumSize(_CELL_SIZE)
        return viewer


class CompareGrid(QtWidgets.QScrollArea):
    """The cells, ``COLUMNS`` to a row; :meth:`show_cells` replaces them."""

    chosen = QtCore.Signal(object)  # the value of the cell whose "Use" was pressed

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.cells: list[CompareCell] = []
        self._images: dict[Path, Image | None] = {}
        self.setWidget(QtWidgets.QWidget())

    def clear(self) -> None:
        """No cells (a new run is on)."""
        self.cells = []
        self.setWidget(QtWidgets.QWidget())  # deletes the previous cells

    def show_cells(self, cells: list[Cell], current: Any = None) -> None:
        """One cell per value, in order, each over the image its output was made from.

        The cell of the ``current`` value (the workflow's) has its caption in bold.
        """
        content = QtWidgets.QWidget()
        layout = QtWidgets.QGridLayout(content)
        self.cells = []
        for index, cell in enumerate(cells):
            widget = CompareCell(cell, self._background(cell), parent=content,
                                 current=same_value(cell.value, current))
            widget.chosen.connect(self.chosen)
            layout.addWidget(widget, index // COLUMNS, index % COLUMNS)
            self.cells.append(widget)
        self.setWidget(content)

    def _background(self, cell: Cell) -> Image | None:
        # Every value is drawn over the same loaded image: read it once per dialog.
        path = cell.outputs.background if cell.outputs is not None else None
        if path is None:
            return None
        if path not in self._images:
            self._images[path] = _read(path)
        return self._images[path]

    def values(self) -> list[Any]:
        """The values shown, in order."""
        return [cell.cell.value for cell in self.cells]


def _read(path: Path) -> Image | None:
    try:
        return read_image(path)
    except Exception:  # only the overlay's background; the output itself still shows
        return None
