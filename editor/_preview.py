"""Live preview: the viewed node's outputs, recomputed on the current image after each change.

A change restarts a short timer (dragging a value sends many changes; only the last one
runs). The preview is a partial run of the session: only the viewed node and what it reads,
everything unchanged reused from the cache, a preview still running cancelled first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import QtCore

from lamella.editor._outputs import NodeOutputs
from lamella.editor._runs import RunController
from lamella.runner import Analysis
from lamella.runner._results import RunResult

__all__ = ["DEBOUNCE_MS", "Preview", "node_outputs"]

DEBOUNCE_MS = 250


class Preview(QtCore.QObject):
    """Keeps the viewed node's outputs up to date with the model and the chosen image."""

    ready = QtCore.Signal(object)  # NodeOutputs
    failed = QtCore.Signal(str, str)  # node, one-line error (with the log tail for a module failure)
    started = QtCore.Signal(str)  # node

    def __init__(self, controller: RunController, analysis: Callable[[], Analysis | None],
                 inputs: Callable[[], dict[str, Path]], parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._controller, self._analysis, self._inputs = controller, analysis, inputs
        self.node: str | None = None
        self.enabled = True
        self._timer = QtCore.QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        controller.finished.connect(self._on_finished)

    def view(self, node: str | None) -> None:
        """Show ``node``'s outputs (None: nothing), computing them now."""
        self.node = node
        self._timer.stop()
        if node is not None:
            self.refresh()

    def changed(self) -> None:
        """Something the preview depends on changed: recompute soon."""
        if self.node is not None and self.enabled:
            self._timer.start()

    def refresh(self) -> None:
        """Start the preview run now (if there is a node, a valid workflow and an image)."""
        analysis = self._analysis()
        if self.node is None or analysis is None or not self.enabled:
            return
        self.started.emit(self.node)
        self._controller.preview(analysis, [self.node], self._inputs())

    def _on_finished(self, kind: str, result: object, error: object) -> None:
        if kind != "preview" or self.node is None:
            return
        assert result is None or isinstance(result, RunResult)
        if result is None:
            self.failed.emit(self.node, str(error or "the preview failed"))
            return
        if result.status == "cancelled":
            return  # a newer preview replaced it
        job = next((j for j in result.jobs if j.node.id == self.node), None)
        if job is None:
            return  # the node was renamed or removed meanwhile
        if job.status in ("finished", "cached"):
            how = "reused from the cache" if job.status == "cached" else "computed"
            self.ready.emit(node_outputs(job, result, note=f"preview ({how})"))
        else:
            failure = next((j for j in result.jobs if j.status == "failed"), job)
            self.failed.emit(self.node, f"{failure.node.id}: {failure.error or failure.status}")


def node_outputs(job: Any, result: RunResult, *, note: str = "") -> NodeOutputs:
    """A finished job's outputs, with the image and object table that help show them."""
    manifest = job.node.entry.manifest
    types = {name: port.type for name, port in manifest.outputs.items()}
    return NodeOutputs(job.node.id, types, dict(job.outputs), background=_background(job, result),
                       objects=_objects_table(job, result), note=note)


def _background(job: Any, result: RunResult) -> Path | None:
    """The nearest image upstream of ``job`` (its own image input first), for overlays."""
    makers = {f: j for j in result.jobs if j.item.name == job.item.name
              for files in j.outputs.values() for f in files}
    queue, seen = [job], set()
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        inputs = current.node.entry.manifest.inputs
        for port, files in current.input_files.items():
            spec = inputs.get(port)
            if spec is not None and spec.type == "image" and files:
                return Path(files[0])
        queue += [makers[f] for files in current.input_files.values() for f in files if f in makers]
    return None


def _objects_table(job: Any, result: RunResult) -> Path | None:
    """The table a downstream measure step made of this node's labels, if one ran."""
    made = {f for files in job.outputs.values() for f in files}
    for other in result.jobs:
        if other is job or other.item.name != job.item.name or other.status not in ("finished", "cached"):
            continue
        read = {f for files in other.input_files.values() for f in files}
        if made & read and other.outputs.get("table"):
            return Path(other.outputs["table"][0])
    return None
