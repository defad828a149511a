"""Pick and fill the viewer for a node output from its port type and files.

image -> ImageViewer; labels, mask, probabilities -> ImageViewer with the original image
underneath (when given and of the same size) and the output as overlay; table -> TableViewer;
plot -> PlotViewer (PNG and SVG); json, file, model and anything else -> TextViewer.
A file that cannot be read shows a one-line message in the viewer; nothing raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeAlias

from PySide6.QtWidgets import QComboBox, QStackedWidget, QVBoxLayout, QWidget

from lamella.core.ports import parse_port_type
from lamella.core.sdk import Image, read_image
from lamella.editor.viewers._hover import read_objects_table
from lamella.editor.viewers._planes import rows_columns
from lamella.editor.viewers.image_viewer import ImageViewer
from lamella.editor.viewers.plot_viewer import PlotViewer
from lamella.editor.viewers.table_viewer import TableViewer
from lamella.editor.viewers.text_viewer import TextViewer

__all__ = ["OutputViewer", "viewer_class", "viewer_for"]

Viewer: TypeAlias = ImageViewer | TableViewer | PlotViewer | TextViewer
_CLASSES: dict[str, type[Viewer]] = {
    "image": ImageViewer, "labels": ImageViewer, "mask": ImageViewer,
    "probabilities": ImageViewer, "table": TableViewer, "plot": PlotViewer,
}


def viewer_class(port_type: str) -> type[Viewer]:
    """The viewer for a port type (``'labels'``, ``'list[image]'``...); text for the rest."""
    parsed = parse_port_type(port_type)
    return _CLASSES.get(parsed[0] if parsed else port_type, TextViewer)


def viewer_for(port_type: str, files: list[Path], *, image_for_overlay: Image | None = None,
               table: Path | None = None, parent: QWidget | None = None) -> Viewer:
    """A new viewer showing ``files`` of an output of ``port_type`` (a list shows the first).

    ``image_for_overlay`` is drawn under labels, masks and probabilities; ``table`` (a measure
    CSV) gives the area and Feret diameters shown when hovering a labelled object.
    """
    viewer = viewer_class(port_type)(parent)
    fill(viewer, port_type, files, image_for_overlay=image_for_overlay, table=table)
    return viewer


def fill(viewer: Viewer, port_type: str, files: list[Path], *,
         image_for_overlay: Image | None = None, table: Path | None = None) -> None:
    """Show ``files`` in ``viewer`` (made by :func:`viewer_class`); problems become its message."""
    files = [Path(f) for f in files]
    if not files:
        viewer.show_message("this output has no file yet; run the node to make one")
        return
    parsed = parse_port_type(port_type)
    kind = parsed[0] if parsed else port_type
    try:
        if isinstance(viewer, ImageViewer):
            _fill_image(viewer, kind, files[0], image_for_overlay, table)
        elif isinstance(viewer, TableViewer):
            viewer.set_table(files[0])
        elif isinstance(viewer, PlotViewer):
            _fill_plot(viewer, files)
        else:
            viewer.set_file(files[0])
    except Exception as exc:  # a damaged file must never take the window down; say what failed
        viewer.show_message(f"{files[0].name}: could not be shown ({type(exc).__name__}: {exc})"[:300])


def _fill_plot(viewer: PlotViewer, files: list[Path]) -> None:
    """The first PNG, with the SVG of the same name beside it (else the first SVG)."""
    pngs, svgs = ([f for f in files if f.suffix.lower() == s] for s in (".png", ".svg"))
    png = (pngs or files)[0]
    svg = next((s for s in svgs if s.stem == png.stem), svgs[0] if svgs else None)
    viewer.set_plot(png, svg)


def _fill_image(viewer: ImageViewer, kind: str, path: Path, underneath: Image | None,
                table: Path | None) -> None:
    viewer.set_overlay(None)
    viewer.set_objects_table(None)
    try:
        output = read_image(path)
    except Exception as exc:  # InputFileError says which file and why, in one line
        viewer.set_image(None)
        viewer.show_message(str(exc))
        return
    if kind == "image":
        viewer.set_image(output)
        return
    note = ""
    if underneath is not None and _rows_columns(underneath) != output.data.shape[-2:]:
        note = (f"; the input image is {_size(_rows_columns(underneath))}, the {kind} "
                f"{_size(output.data.shape[-2:])}: showing the {kind} alone")
        underneath = None
    viewer.set_image(underneath)
    viewer.set_overlay(output.data, kind, opacity=0.5 if underneath is not None else 1.0)
    if table is not None and kind == "labels":
        try:
            viewer.set_objects_table(*read_objects_table(table))
        except ValueError as exc:
            note += f"; {exc}"
    if note:
        viewer.show_message((viewer.message() + note).lstrip("; "))


def _rows_columns(image: Image) -> tuple[int, ...]:
    return rows_columns(image.axes, image.data.shape)


def _size(shape: tuple[int, ...]) -> str:
    return f"{shape[1]} x {shape[0]} px" if len(shape) == 2 else "not 2-D"


class OutputViewer(QWidget):
    """One viewer per kind in a stack, reused between outputs so zoom and filters carry over.

    A list output (``list[image]``...) gets a choice of its files above the viewer.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files = QComboBox(self)
        self.files.setVisible(False)
        self.files.currentIndexChanged.connect(self._file_chosen)
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.files)
        layout.addWidget(self.stack, 1)
        self._viewers: dict[type, Viewer] = {}
        self._output: tuple[str, list[Path], Image | None, Path | None] = ("file", [], None, None)

    def show_output(self, port_type: str, files: list[Path], *, image_for_overlay: Image | None = None,
                    table: Path | None = None) -> Viewer:
        """Show an output's files in the viewer for its type; return that viewer."""
        files = [Path(f) for f in files]
        self._output = (port_type, files, image_for_overlay, table)
        choices = [f for f in files if f.suffix.lower() != ".svg"]  # an SVG goes with its PNG
        self.files.blockSignals(True)
        self.files.clear()
        self.files.addItems([f.name for f in choices])
        self.files.blockSignals(False)
        self.files.setVisible(len(choices) > 1)
        return self._show(choices[:1])

    def current(self) -> QWidget | None:
        """The viewer on top of the stack."""
        return self.stack.currentWidget()

    def _show(self, chosen: list[Path]) -> Viewer:
        port_type, files, image, table = self._output
        svgs = [f for f in files if f.suffix.lower() == ".svg"]
        cls = viewer_class(port_type)
        if cls not in self._viewers:
            self._viewers[cls] = cls(self.stack)
            self.stack.addWidget(self._viewers[cls])
        viewer = self._viewers[cls]
        viewer.show_message("")
        fill(viewer, port_type, chosen + svgs, image_for_overlay=image, table=table)
        self.stack.setCurrentWidget(viewer)
        return viewer

    def _file_chosen(self, index: int) -> None:
        files = self._output[1]
        choices = [f for f in files if f.suffix.lower() != ".svg"]
        if 0 <= index < len(choices):
            self._show([choices[index]])
