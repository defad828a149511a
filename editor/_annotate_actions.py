"""Edit ▸ Annotate training image…: open the painting window for a training step.

The step is the selected one when it trains from annotations (a pixel-classifier-train
node; the load-labels node feeding one will do), else the workflow's only such step. Its
image is what its ``image`` input receives on the current input: a workflow input's file is
read directly; a step's output is computed as a preview of that step and what it reads only
(reused from the cache when a run or preview made it already), so a workflow still without
annotations, or whose label file does not exist yet, can still be painted on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from lamella.core.errors import LamellaError
from lamella.core.sdk import Image, read_image
from lamella.editor._compare_hold import PreviewHold
from lamella.editor.model import INPUTS_NODE
from lamella.editor.viewers._paint_workflow import ANNOTATIONS, IMAGE, is_training_node, upstream_workflow
from lamella.runner import Analysis
from lamella.runner._results import RunResult

if TYPE_CHECKING:
    from lamella.editor.window import EditorWindow

__all__ = ["AnnotateActions"]


class AnnotateActions(QtCore.QObject):
    """The action, and the preview run that computes a training step's image."""

    opened = QtCore.Signal(object)  # AnnotateWindow

    def __init__(self, window: EditorWindow) -> None:
        super().__init__(window)
        self.window = window
        self.action = QtGui.QAction("A&nnotate training image…", window)
        self.action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+A"))
        self.action.setToolTip("Paint the classes a pixel classifier learns, on the image its training "
                               "step reads, and see its prediction live (Ctrl+Shift+A)")
        self.action.triggered.connect(lambda checked=False: self.open())
        edit = next((a.menu() for a in window.menuBar().actions() if a.text() == "&Edit"), None)
        if isinstance(edit, QtWidgets.QMenu):
            edit.addSeparator()
            edit.addAction(self.action)
        else:
            window.addAction(self.action)
        toolbar = window.addToolBar("Annotate")
        toolbar.setObjectName("toolbar-annotate")
        toolbar.addAction(self.action)
        self._hold = PreviewHold(window.preview)
        self._waiting: tuple[str, str, str] | None = None  # training step, source node, port
        window.controller.finished.connect(self._on_finished)
        window.installEventFilter(self)  # closing the editor closes its painting windows first

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Before the editor window closes, close its painting windows (each may ask to save)."""
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            from lamella.editor.viewers.annotate_window import AnnotateWindow

            for painter in self.window.findChildren(AnnotateWindow):
                if painter.isVisible() and not painter.close():  # Cancel: the editor stays open
                    event.ignore()
                    return True
        return super().eventFilter(watched, event)

    def training_node(self) -> str | None:
        """The step to annotate for: see the module docstring."""
        model = self.window.model
        for node in self.window.canvas.selected():
            if is_training_node(model, node):
                return node
            fed = [d for s, _, d, p in model.wires() if s == node and p == ANNOTATIONS]
            if fed and is_training_node(model, fed[0]):
                return fed[0]
        trainers = [n for n in model.node_ids() if is_training_node(model, n)]
        return trainers[0] if len(trainers) == 1 else None

    def open(self, node: str | None = None) -> bool:
        """Open (or raise) the painting window for ``node`` (default :meth:`training_node`)."""
        node = node or self.training_node()
        if node is None:
            self.window.say("select a training step (e.g. lamella/pixel-classifier-train) to annotate "
                            "its image")
            return False
        from lamella.editor.viewers.annotate_window import AnnotateWindow  # Qt widgets: when first used

        for shown in self.window.findChildren(AnnotateWindow):
            if shown.node == node and shown.model is self.window.model and shown.isVisible():
                shown.raise_()
                shown.activateWindow()
                return True
        source = self.window.model.wire_into(node, IMAGE)
        if source is None:
            self.window.say(f"connect an image to {node}.{IMAGE} first: the annotations are painted on it")
            return False
        if source[0] == INPUTS_NODE:
            return self._read_and_open(node, self._input_file(source[1]))
        return self._compute(node, *source)

    def _input_file(self, name: str) -> Path | None:
        given = self.window.preview_inputs().get(name)
        if given is not None:
            return Path(given)
        try:
            workflow = self.window.model.to_workflow()
        except LamellaError:
            return None
        spec = workflow.inputs.get(name)
        return workflow.resolve_path(spec.default) if spec is not None and spec.default else None

    def _compute(self, node: str, source: str, port: str) -> bool:
        if self._waiting is not None:
            self.window.say(f"still computing the image of {self._waiting[0]}…")
            return False
        try:
            cut = upstream_workflow(self.window.model.to_workflow(), source)
        except LamellaError as exc:
            self.window.say(f"cannot compute {source}.{port}: {exc}")
            return False
        inputs = {k: v for k, v in self.window.preview_inputs().items() if k in cut.inputs}
        self._waiting = (node, source, port)
        self._hold.hold()  # the window's own preview would cancel this run
        self.window.say(f"computing {source}.{port}, the image {node} learns from…")
        self.window.controller.preview(Analysis(cut, self.window.model.catalog,
                                                module_dirs=self.window.module_dirs), [source], inputs)
        return True

    def _on_finished(self, kind: str, result: object, error: object) -> None:
        if kind != "preview" or self._waiting is None:
            return
        node, source, port = self._waiting
        assert result is None or isinstance(result, RunResult)
        if result is not None and result.record.get("targets") != [source]:
            return  # another preview, ended as this one started
        self._waiting = None
        self._hold.release()
        job = None if result is None else next((j for j in result.jobs if j.node.id == source), None)
        if job is None or job.status not in ("finished", "cached") or not job.outputs.get(port):
            why = error if result is None else (job.error if job is not None else result.status)
            self.window.say(f"could not compute {source}.{port} to annotate: {why}")
            return
        self._read_and_open(node, Path(job.outputs[port][0]))

    def _read_and_open(self, node: str, path: Path | None) -> bool:
        if path is None:
            self.window.say(f"{node}.{IMAGE} reads a workflow input without a file; choose an image first")
            return False
        try:
            image: Image = read_image(path)
        except Exception as exc:  # InputFileError names the file; anything else in one line too
            self.window.say(f"cannot annotate: {str(exc).splitlines()[0]}")
            return False
        from lamella.editor.viewers.annotate_window import AnnotateWindow

        try:
            painter = AnnotateWindow(self.window.model, node, image, parent=self.window)
        except ValueError as exc:
            self.window.say(f"cannot annotate: {exc}")
            return False
        painter.save_workflow = self.window.files.save_file
        painter.show()
        self.opened.emit(painter)
        return True
