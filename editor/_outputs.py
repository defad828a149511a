"""The output pane: the viewed node's outputs, one at a time, in the viewer its port type needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6 import QtWidgets

from lamella.core.sdk import Image, read_image

__all__ = ["NodeOutputs", "OutputPane"]


@dataclass
class NodeOutputs:
    """What a node made in a run: files per output port, and what helps show them."""

    node: str
    types: dict[str, str]  # port -> port type
    files: dict[str, list[Path]]
    background: Path | None = None  # the image a labels/mask output is drawn over
    objects: Path | None = None  # a table of those objects (hover shows their sizes)
    note: str = ""  # e.g. "preview on particles.tif" or the run's status
    extra: dict[str, str] = field(default_factory=dict)


class OutputPane(QtWidgets.QWidget):
    """A title, a choice of output port, and the viewer for the chosen one."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QtWidgets.QLabel("Click a step to see its outputs.")
        self.title.setWordWrap(True)
        self.port = QtWidgets.QComboBox()
        self.port.hide()
        self.viewer: QtWidgets.QWidget = QtWidgets.QLabel("")
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.port)
        self._layout.addLayout(head)
        self._layout.addWidget(self.viewer, 1)
        self._shown: NodeOutputs | None = None
        self.port.currentIndexChanged.connect(lambda _: self._show_port())

    @property
    def shown(self) -> NodeOutputs | None:
        """The outputs on show, if any."""
        return self._shown

    def show_message(self, text: str) -> None:
        """Show a line instead of outputs (running, failed, nothing selected)."""
        self.title.setText(text)

    def show_outputs(self, outputs: NodeOutputs, port: str | None = None) -> None:
        """Show ``outputs``; keep the port chosen before if the node has it."""
        previous = self.port.currentText()
        self._shown = outputs
        self.title.setText(f"{outputs.node}" + (f" — {outputs.note}" if outputs.note else ""))
        self.port.blockSignals(True)
        self.port.clear()
        for name in outputs.types:
            self.port.addItem(name)
        wanted = port or previous
        if wanted in outputs.types:
            self.port.setCurrentText(wanted)
        self.port.blockSignals(False)
        self.port.setVisible(len(outputs.types) > 1)
        self._show_port()

    def _show_port(self) -> None:
        from lamella.editor.viewers import viewer_for  # Qt widgets: built when first shown

        outputs = self._shown
        if outputs is None or not self.port.currentText():
            return
        name = self.port.currentText()
        files = outputs.files.get(name, [])
        if not files:
            self._replace(QtWidgets.QLabel(f"'{name}' has no files in this run."))
            return
        self._replace(viewer_for(outputs.types[name], files, image_for_overlay=_image(outputs.background),
                                 table=outputs.objects))

    def _replace(self, widget: QtWidgets.QWidget) -> None:
        self._layout.replaceWidget(self.viewer, widget)
        self.viewer.deleteLater()
        self.viewer = widget


def _image(path: Path | None) -> Image | None:
    if path is None:
        return None
    try:
        return read_image(path)
    except Exception:  # the overlay's background only; the output itself still shows
        return None

