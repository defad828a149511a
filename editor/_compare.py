"""Compare values: a parameter tried at a few values side by side, on the current image.

"Try values…" on a field opens a :class:`CompareDialog` for that node and parameter. It
proposes values around the current one (see :mod:`lamella.editor._compare_values`), which the
user may edit, and runs them as ONE sweep of the session (the runner's sweep: what the swept
value does not change runs once), targeting the node and a measure step downstream, so every
value shows the node's output over the image with its object count and mean size. "Use this
value" sets the parameter (one undo step) and closes the dialog.

While the dialog's run is on, the window's live preview waits (see
:mod:`lamella.editor._compare_hold`); one compare dialog runs at a time, a newer one stopping
the other's run. Closing the dialog cancels its run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from lamella.core.events import RunEvent
from lamella.core.manifest._params import AUTO
from lamella.editor._compare_grid import CompareGrid
from lamella.editor._compare_hold import PreviewHold
from lamella.editor._compare_results import Cell, cells, downstream_measure
from lamella.editor._compare_values import comparable, parse_values, propose_values, values_text
from lamella.runner._results import RunResult

if TYPE_CHECKING:
    from lamella.editor.window import EditorWindow

__all__ = ["CompareDialog", "open_compare"]

_ENDS = ("node_finished", "node_cached", "node_failed", "node_skipped", "node_cancelled")


def open_compare(window: EditorWindow, node: str, param: str) -> CompareDialog:
    """Open (or bring forward) the compare dialog for ``node``'s ``param`` and start its run."""
    for open_one in window.findChildren(CompareDialog):
        if (open_one.node, open_one.param) == (node, param) and open_one.isVisible():
            open_one.raise_()
            open_one.activateWindow()
            return open_one
    dialog = CompareDialog(window, node, param)
    dialog.show()
    dialog.start()
    return dialog


class CompareDialog(QtWidgets.QDialog):
    """A non-modal dialog: the values, a progress bar, one line for problems, the grid."""

    def __init__(self, window: EditorWindow, node: str, param: str) -> None:
        super().__init__(window)
        self.setObjectName("compare-values")
        self.setModal(False)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.window_, self.node, self.param = window, node, param
        self.model = window.model  # the document compared; the window may open another one
        manifest = window.model.manifest(node)
        if manifest is None or param not in manifest.parameters:
            raise ValueError(f"{node}: no parameter '{param}' to compare")
        self.spec = manifest.parameters[param]
        if not comparable(self.spec):
            raise ValueError(f"{node}.{param}: only numbers, sizes and choices are compared")
        self.current: Any = window.model.params(node).get(param, getattr(self.spec, "default", None))
        self.measure = downstream_measure(window.model, node)
        self.run_result: RunResult | None = None  # the last sweep's, once it finished
        self._state = "idle"  # "probe" (what 'auto' chose), "sweep", or "idle"
        self._run_id: str | None = None  # for the progress bar, once the run has started
        self._asked: tuple[list[str], dict[str, list[Any]] | None] = ([], None)  # targets, sweep
        self._values: list[Any] = []
        self._hold = PreviewHold(window.preview)
        self._closed = False
        self._build()
        self.setWindowTitle(f"Compare values of {param} — {node}")
        self.values_field.setText(values_text(propose_values(self.spec, self.current)))
        window.controller.finished.connect(self._on_finished)
        window.controller.run_event.connect(self._on_event)
        self.finished.connect(self._stop)  # closed, Escape, or a value chosen

    def _build(self) -> None:
        self.values_field = QtWidgets.QLineEdit(self)
        self.values_field.setToolTip("The values to compare, separated by commas")
        self.values_field.returnPressed.connect(self.compare)
        self.compare_button = QtWidgets.QPushButton("Compare", self)
        self.compare_button.clicked.connect(self.compare)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.hide()
        self.status = QtWidgets.QLabel(self)  # progress or the one-line problem
        self.status.setWordWrap(False)
        self.grid = CompareGrid(self)
        self.grid.chosen.connect(self.use_value)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(QtWidgets.QLabel(f"{self.node}.{self.param} =", self))
        head.addWidget(self.values_field, 1)
        head.addWidget(self.compare_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.grid, 1)
        self.resize(1000, 600)

    # ----- state for callers and tests --------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while the dialog's run (the probe or the sweep) is on."""
        return self._state != "idle"

    @property
    def values(self) -> list[Any]:
        """The values of the last compare started."""
        return list(self._values)

    def message(self) -> str:
        """The line under the values: progress, or what went wrong."""
        return self.status.text()

    # ----- runs -----------------------------------------------------------------------------
    def start(self) -> None:
        """First run: learn what 'auto' chose (to propose values around it), then compare."""
        if self.current == AUTO:
            self._run("probe", [self.node])
        else:
            self.compare()

    def compare(self) -> None:
        """Run the values in the field as one sweep on the current image."""
        if self.running:
            return
        try:
            self._values = parse_values(self.spec, self.values_field.text(), name=self.param)
        except ValueError as exc:
            self._say(str(exc), problem=True)
            return
        targets = [self.node] + ([self.measure] if self.measure not in (None, self.node) else [])
        self.grid.clear()
        self._run("sweep", targets, sweep={f"{self.node}.{self.param}": self._values})

    def _run(self, state: str, targets: list[str], sweep: dict[str, list[Any]] | None = None) -> None:
        analysis = self.window_.analysis() if self._same_document() else None
        if analysis is None:
            self._say("The workflow has problems (see Problems); fix them to compare values."
                      if self._same_document() else "The workflow was closed.", problem=True)
            return
        for other in self.window_.findChildren(CompareDialog):
            if other is not self and other.running:  # its run is cancelled by this one
                other._end(f"stopped: {self.node}.{self.param} is being compared")
        self._hold.hold()
        self._state, self._run_id, self._asked = state, None, (targets, sweep)
        self.compare_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the run says how many steps it has
        self.progress.show()
        self._say("finding what 'auto' chooses…" if state == "probe"
                  else f"running {len(self._values)} values…")
        # An argument the runner refuses comes back through 'finished' before this returns.
        self.window_.controller.preview(analysis, targets, self.window_.preview_inputs(),
                                        sweep=sweep)

    def _on_event(self, kind: str, event: object) -> None:
        if kind != "preview" or not self.running or not isinstance(event, RunEvent):
            return
        if event.kind == "run_started" and self._run_id is None and self._started(event):
            self._run_id = event.run_id
            steps = int(event.detail.get("nodes", 0)) * int(event.detail.get("items", 1))
            self.progress.setRange(0, max(steps, 1))
            self.progress.setValue(0)
        elif event.run_id == self._run_id and event.kind in _ENDS:
            self.progress.setValue(min(self.progress.value() + 1, self.progress.maximum()))

    def _on_finished(self, kind: str, result: object, error: object) -> None:
        if kind != "preview" or not self.running:
            return
        assert result is None or isinstance(result, RunResult)
        error = None if error is None else str(error)
        if result is None:  # the run did not start or stopped with an error
            self._end(error or "the compare run failed")
            return
        if not self._is_mine(result):
            return  # a preview this dialog's run replaced
        if result.status == "cancelled":
            self._end("cancelled")
        elif self._state == "probe":
            self._after_probe(result)
        else:
            self._show(result)

    # A run this one replaced may still have events and its end on the way (Qt delivers them
    # later); the controller reports no end of a replaced preview, but one that ended just
    # before this run started may still arrive. So runs are told apart by what they ran.
    def _started(self, event: RunEvent) -> bool:
        targets, sweep = self._asked
        points = len(next(iter(sweep.values()))) if sweep else 1
        return event.detail.get("targets") == targets and event.detail.get("items") == points

    def _is_mine(self, result: RunResult) -> bool:
        targets, sweep = self._asked
        if sweep is None:  # the probe: any run of just this node says what 'auto' chose
            return result.sweep is None and result.record.get("targets") == targets
        return result.sweep is not None and result.sweep.grid == sweep

    def _after_probe(self, result: RunResult) -> None:
        job = next((j for j in result.jobs if j.node.id == self.node), None)
        resolved = job.resolved.get(self.param) if job is not None else None
        self._end("")
        self.values_field.setText(values_text(propose_values(self.spec, self.current,
                                                             resolved=resolved)))
        self.compare()

    def _show(self, result: RunResult) -> None:
        self.run_result = result
        made: list[Cell] = cells(result, self.node, self.measure)
        self.grid.show_cells(made, current=self.current)
        failed = [c for c in made if c.problem]
        self._end(f"{len(failed)} of {len(made)} values failed: {failed[0].problem}" if failed
                  else "", problem=bool(failed))

    def _end(self, message: str, *, problem: bool = True) -> None:
        self._state, self._run_id = "idle", None
        self.progress.hide()
        self.compare_button.setEnabled(True)
        self._say(message, problem=problem and bool(message))
        self._hold.release()

    # ----- choosing and closing ---------------------------------------------------------------
    def use_value(self, value: Any) -> None:
        """Set the parameter to ``value`` (one undo step) and close."""
        if not self._same_document() or self.node not in self.model.node_ids():
            self._say(f"{self.node} is no longer in the workflow.", problem=True)
            return
        self.model.set_param(self.node, self.param, value)
        self.accept()

    def _same_document(self) -> bool:
        return self.window_.model is self.model

    def _stop(self, *_: object) -> None:
        """The dialog closed: cancel its run, give the preview back, stop listening."""
        if self._closed:
            return
        self._closed = True
        if self.running:
            self.window_.controller.cancel("preview")
            self._state = "idle"
        self._hold.release()
        self.window_.controller.finished.disconnect(self._on_finished)
        self.window_.controller.run_event.disconnect(self._on_event)

    def _say(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(text.splitlines()[0] if text else "")
        self.status.setVisible(bool(text))
        self.status.setStyleSheet("color: #d32f2f;" if problem else "")
        self.status.setToolTip(text)
