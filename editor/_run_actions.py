"""Run menu: run on the image or folder, cancel, node states and progress from the run's events.

Results of a run from the editor go to ``results/<workflow name>`` beside the workflow file
(beside the current folder for a workflow never saved), as ``lamella run`` would write them
from that folder; "Results folder…" chooses another.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from lamella.core.events import RunEvent
from lamella.editor._backend_dialog import DockerDialog
from lamella.editor._outputs import NodeOutputs
from lamella.editor._preview import node_outputs
from lamella.editor._runs import BackendChoice
from lamella.editor.panels.inputs import folder_images
from lamella.runner._arguments import ArgumentError
from lamella.runner._results import RunResult

if TYPE_CHECKING:
    from lamella.editor.window import EditorWindow

__all__ = ["BACKENDS", "STATES", "RunActions", "batch_pattern"]

# The Backend submenu: backend name -> its entry.
BACKENDS = {"local": "&Local (warm processes)", "isolated": "&Isolated (a fresh process per node)",
            "docker": "&Docker (containers)…"}

# The node state each event puts a node in (the canvas colours it).
STATES = {"node_queued": "queued", "node_started": "running", "node_finished": "done",
          "node_cached": "cached", "node_failed": "failed", "node_skipped": "skipped",
          "node_cancelled": "cancelled"}


def batch_pattern(folder: Path) -> str:
    """The glob of a folder's images: their one extension, or every file if they are mixed."""
    suffixes = Counter(p.suffix for p in folder_images(folder))
    if len(suffixes) == 1:
        return str(folder / f"*{next(iter(suffixes))}")
    return str(folder / "*")


class RunActions:
    """The Run menu and toolbar of ``window``."""

    def __init__(self, window: EditorWindow) -> None:
        self.window = window
        self.out_dir: Path | None = None
        self.states: dict[str, str] = {}  # node -> state of its latest event
        self.result: RunResult | None = None
        menu = window.menuBar().addMenu("&Run")
        toolbar = window.addToolBar("Run")
        toolbar.setObjectName("toolbar-run")
        self.run = menu.addAction("&Run")
        self.run.setShortcut(QtGui.QKeySequence("Ctrl+R"))
        self.cancel = menu.addAction("&Cancel run")
        self.cancel.setEnabled(False)
        self.choose_out = menu.addAction("Results &folder…")
        self.pooled = menu.addAction("Show &pooled results of the batch")
        self.pooled.setEnabled(False)
        self.pooled.triggered.connect(lambda checked=False: self.show_pooled())
        self._add_backend_menu(menu)
        for action in (self.run, self.cancel):
            toolbar.addAction(action)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        toolbar.addWidget(self.progress)
        self.run.triggered.connect(lambda checked=False: self.start())
        self.cancel.triggered.connect(lambda checked=False: window.controller.cancel("run"))
        self.choose_out.triggered.connect(lambda checked=False: self._choose_out())
        window.controller.run_event.connect(self._on_event)
        window.controller.finished.connect(self._on_finished)

    # ----- backend ------------------------------------------------------------------------
    def _add_backend_menu(self, menu: QtWidgets.QMenu) -> None:
        submenu = menu.addMenu("&Backend")
        group = QtGui.QActionGroup(submenu)
        group.setExclusive(True)
        self.backends: dict[str, QtGui.QAction] = {}
        for name, text in BACKENDS.items():
            action = submenu.addAction(text)
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda checked=False, name=name: self.choose_backend(name))
            self.backends[name] = action
        self.backend_dialog: DockerDialog | None = None
        self.backend_label = QtWidgets.QLabel()
        self.window.statusBar().addPermanentWidget(self.backend_label)
        self.window.controller.backend_changed.connect(self._show_backend)
        self._show_backend(self.window.controller.backend)

    def choose_backend(self, name: str) -> None:
        """Run on ``name`` from now on; Docker first asks for its hosts, GPUs and memory limit."""
        if name == "docker":
            self._ask_docker()
        else:
            self._use(BackendChoice(name))

    def _ask_docker(self) -> None:
        # open(), not exec(): the window keeps drawing, and tests reach the open dialog.
        dialog = DockerDialog(self.window.controller.backend, self.window)
        dialog.accepted.connect(lambda: self._use(dialog.choice))
        dialog.finished.connect(lambda result: self._dialog_closed(dialog))
        self.backend_dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: DockerDialog) -> None:
        if self.backend_dialog is dialog:
            self.backend_dialog = None
        self._show_backend(self.window.controller.backend)  # cancelled: the old entry checked again
        dialog.deleteLater()

    def _use(self, choice: BackendChoice | None) -> None:
        if choice is None:
            return
        before = self.window.controller.backend
        try:
            self.window.controller.set_backend(choice.name, choice.docker_hosts, choice.gpus,
                                               choice.memory_limit)
        except ArgumentError as exc:
            self.window.say(f"backend not changed: {exc}")
            return
        if self.window.controller.backend != before:
            self.window.say(f"runs and previews now go to backend {choice.describe()}")

    def _show_backend(self, choice: object) -> None:
        assert isinstance(choice, BackendChoice)
        action = self.backends.get(choice.name)
        if action is not None:
            action.setChecked(True)
        self.backend_label.setText(f"Backend: {choice.describe()}")
        self.backend_label.setToolTip("Where runs and previews run; change it under Run ▸ Backend")

    # ----- runs ---------------------------------------------------------------------------
    def results_folder(self) -> Path:
        """Where a run from the editor writes its results."""
        if self.out_dir is not None:
            return self.out_dir
        base = self.window.model.path.parent if self.window.model.path else Path.cwd()
        return base / "results" / self.window.workflow_name()

    def start(self) -> bool:
        """Run the whole workflow on the chosen image, or on every image of the chosen folder."""
        analysis = self.window.analysis()
        if analysis is None:
            self.window.say("the workflow has problems; fix those listed under Problems, then run")
            return False
        bar, name = self.window.inputs, self.window._image_input()
        inputs, batch = {}, None
        if bar.path is not None and name is not None:
            if bar.is_folder:
                batch = f"{name}={batch_pattern(bar.path)}"
            else:
                inputs = {name: bar.path}
        self.states.clear()
        self.result = None
        for node in self.window.model.node_ids():
            self.window.canvas.set_state(node, None)
        self.run.setEnabled(False)
        self.cancel.setEnabled(True)
        self.window.preview.enabled = False  # the run owns the session until it ends
        self.window.controller.run(analysis, out=self.results_folder(), inputs=inputs, batch=batch)
        return True

    def _on_event(self, kind: str, event: object) -> None:
        if kind == "preview" or not isinstance(event, RunEvent):
            return
        self.window.log.add_event("", event)
        state = STATES.get(event.kind)
        if state is not None and event.node:
            self.states[event.node] = state
            self.window.canvas.set_state(event.node, state)
        if event.kind == "batch_progress":
            done, total = int(event.detail.get("done", 0)), int(event.detail.get("total", 0))
            self.progress.setMaximum(max(1, total))
            self.progress.setValue(done)
            self.progress.setFormat(f"image {done}/{total}")
            self.progress.show()
        elif event.kind == "node_progress" and event.progress is not None and not self.progress.isVisible():
            self.window.statusBar().showMessage(f"{event.node}: {event.progress:.0%} {event.message}", 2000)

    def _on_finished(self, kind: str, result: object, error: object) -> None:
        if kind != "run":
            return
        assert result is None or isinstance(result, RunResult)
        self.run.setEnabled(True)
        self.cancel.setEnabled(False)
        self.window.preview.enabled = True
        self.progress.hide()
        if result is None:
            self.window.say(f"the run did not start: {error}")
            return
        self.result = result
        self.pooled.setEnabled(bool(result.pooled))
        failed = [j for j in result.jobs if j.status == "failed"]
        self.window.say(f"run {result.status}: results in {result.out_dir}"
                        + (f"; {failed[0].node.id} failed: {failed[0].error}" if failed else ""))
        node = self.window.preview.node or next(iter(self.window.canvas.selected()), None)
        if node is not None:
            self.show_result(node)

    def show_result(self, node: str, item: str | None = None) -> bool:
        """Show ``node``'s outputs from the last run (the first image of a batch by default)."""
        if self.result is None:
            return False
        jobs = [j for j in self.result.jobs if j.node.id == node and (item is None or j.item.name == item)]
        job = next((j for j in jobs if j.status in ("finished", "cached")), None)
        if job is None:
            failed = next((j for j in jobs if j.status == "failed"), None)
            if failed is not None:
                self.window.outputs.show_message(f"{node} failed: {failed.error}")
            return False
        self.window.outputs.show_outputs(node_outputs(job, self.result, note=f"run, {job.item.name}"))
        return True

    def show_pooled(self) -> bool:
        """Show a batch's pooled results: every image's objects in one histogram and summary."""
        if self.result is None or not self.result.pooled:
            return False
        files = {name: paths for name, paths in self.result.pooled.items() if paths}
        types = {name: "table" if paths[0].suffix == ".csv" else "plot" for name, paths in files.items()}
        count = len(self.result.failed_items)
        note = "pooled over the batch's images" + (f" ({count} failed)" if count else "")
        self.window.outputs.show_outputs(NodeOutputs("batch", types, files, note=note))
        return True

    def _choose_out(self) -> None:
        chosen = QtWidgets.QFileDialog.getExistingDirectory(self.window, "Results folder",
                                                            str(self.results_folder()))
        if chosen:
            self.out_dir = Path(chosen)
