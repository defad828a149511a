"""Show a plot output: its PNG, or the SVG beside it (sharp at any zoom) when it can be drawn."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lamella.editor.viewers._svg import svg_item
from lamella.editor.viewers._zoom_view import ZoomView

__all__ = ["PlotViewer"]

_FORMATS = ("svg", "png")


class PlotViewer(QWidget):
    """A figure fitted to the window, with wheel zoom, drag pan and a PNG / SVG choice.

    The SVG is shown when there is one and it can be drawn, else the PNG; a file that cannot
    be read is named in a one-line message and the other file is shown if it can be.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: dict[str, QGraphicsItem] = {}
        self._png_size = QSize()
        self._paths: dict[str, Path] = {}
        self._build()

    def set_plot(self, png: Path, svg: Path | None = None) -> None:
        """Show the plot at ``png``, or ``svg`` (the vector copy) when it can be drawn."""
        self.view.clear()  # the scene owned the previous items
        self._items, self._paths, problems = {}, {"png": Path(png)}, []
        image = QImage(str(png))
        self._png_size = image.size()
        if image.isNull():
            problems.append(f"{Path(png).name}: not a readable PNG (missing, truncated or corrupt)")
        else:
            self._items["png"] = _pixmap_item(image)
        if svg is not None:
            self._paths["svg"] = Path(svg)
            item, problem = svg_item(Path(svg), self)
            if item is None:
                problems.append(problem)
            else:
                self._items["svg"] = item
        if problems and self._items:
            problems[-1] += f"; showing the {self._shown_order()[0].upper()}"
        self.show_message("; ".join(problems))
        self._refresh_choice()

    def show_format(self, fmt: str) -> None:
        """Show the ``'png'`` or ``'svg'`` file (when it was readable)."""
        index = self.choice.findData(fmt)
        if index >= 0:
            self.choice.setCurrentIndex(index)

    def showing(self) -> str | None:
        """``'svg'``, ``'png'`` or None when nothing could be shown."""
        return self.choice.currentData()

    def png_size(self) -> QSize:
        """Width and height of the PNG in pixels (empty when it could not be read)."""
        return self._png_size

    def message(self) -> str:
        """The one-line problem shown ('' when every file was read)."""
        return self.message_label.text()

    def status_text(self) -> str:
        """What is shown: file name, PNG size, and whether an SVG is beside it."""
        return self.status_label.text()

    # ----- internals --------------------------------------------------------------------
    def _shown_order(self) -> list[str]:
        return [fmt for fmt in _FORMATS if fmt in self._items]

    def _refresh_choice(self) -> None:
        self.choice.blockSignals(True)
        self.choice.clear()
        for fmt in self._shown_order():
            self.choice.addItem("SVG (vector)" if fmt == "svg" else "PNG", fmt)
        self.choice.blockSignals(False)
        self.choice.setVisible(self.choice.count() > 1)
        self._show(self.choice.currentData())

    def _show(self, fmt: str | None) -> None:
        if fmt is None:
            self.view.clear()
            self.status_label.setText("")
            return
        # Re-adding an item to a scene that is cleared would delete it: detach first.
        for item in self._items.values():
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.view.set_item(self._items[fmt])
        self.status_label.setText(f"{self._describe()}; showing the {fmt.upper()}")

    def _describe(self) -> str:
        size = self._png_size
        shape = "unreadable" if size.isEmpty() else f"{size.width()} x {size.height()} px"
        svg = self._paths.get("svg")
        beside = f"SVG beside it ({svg.name})" if svg else "no SVG beside it"
        return f"{self._paths['png'].name}  {shape}; {beside}"

    def show_message(self, text: str) -> None:
        """Show a one-line note or problem above the content (or clear it with '')."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _build(self) -> None:
        self.view = ZoomView(self)
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        fit, one = QPushButton("Fit", self), QPushButton("1:1", self)
        fit.clicked.connect(self.view.fit)
        one.clicked.connect(self.view.actual_size)
        self.choice = QComboBox(self)
        self.choice.setToolTip("Show the PNG as saved, or the SVG (sharp at any zoom)")
        self.choice.currentIndexChanged.connect(lambda _: self._show(self.choice.currentData()))
        bar = QHBoxLayout()
        for widget in (fit, one, self.choice):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.message_label, self.status_label = QLabel(self), QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status_label)


def _pixmap_item(image: QImage) -> QGraphicsPixmapItem:
    # Figures are read, not measured: smooth scaling keeps text legible when fitted small.
    item = QGraphicsPixmapItem(QPixmap.fromImage(image))
    item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
    return item
