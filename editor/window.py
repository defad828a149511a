"""The editor's main window: palette, canvas, properties, outputs, problems and log, wired together.

The window owns no workflow state: the :class:`EditorModel` holds the document; the canvas,
the panels and the viewers show it and send the user's edits back to it. Runs and previews
go through a :class:`RunController` (a warm runner session, off the UI thread).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from lamella.core.catalog import Catalog
from lamella.core.errors import LamellaError
from lamella.editor._annotate_actions import AnnotateActions
from lamella.editor._choices import module_choices
from lamella.editor._compare import open_compare
from lamella.editor._edit_actions import EditActions
from lamella.editor._file_actions import FileActions
from lamella.editor._outputs import OutputPane
from lamella.editor._preview import Preview
from lamella.editor._run_actions import RunActions
from lamella.editor._runs import RunController
from lamella.editor.canvas import Canvas, QuickAdd
from lamella.editor.model import EditorModel
from lamella.editor.panels.inputs import InputBar
from lamella.editor.panels.legend import Legend
from lamella.editor.panels.log import LogPanel
from lamella.editor.panels.palette import Palette
from lamella.editor.panels.problems import ProblemsPanel
from lamella.editor.panels.properties import PropertiesPanel
from lamella.runner import Analysis

__all__ = ["EditorWindow"]


class EditorWindow(QtWidgets.QMainWindow):
    """One window editing one workflow; see the module docstring."""

    def __init__(self, model: EditorModel, *, module_dirs: Sequence[Path] = (),
                 controller: RunController | None = None,
                 settings: QtCore.QSettings | None = None) -> None:
        super().__init__()
        self.module_dirs = list(module_dirs)
        self.settings = settings or QtCore.QSettings("Lamella", "editor")
        self.controller = controller or RunController(parent=self)
        self.model = model
        self.canvas: Canvas
        self._unsubscribe: Callable[[], None] = lambda: None
        self._balanced = False
        self._build_panels(model.catalog)
        self.files = FileActions(self)
        self.edits = EditActions(self)
        self.runs = RunActions(self)
        self.preview = Preview(self.controller, self.analysis, self.preview_inputs, parent=self)
        self.annotate = AnnotateActions(self)
        self.set_model(model)
        self._connect()
        self.resize(1500, 900)

    # ----- layout -----------------------------------------------------------------------
    def _build_panels(self, catalog: Catalog) -> None:
        choices = module_choices(catalog)
        self.modules_panel = Palette(choices)
        self.properties = PropertiesPanel()
        self.problems = ProblemsPanel()
        self.log = LogPanel()
        self.outputs = OutputPane()
        self.inputs = InputBar()
        self.legend = Legend()
        # The canvas above the outputs: a workflow reads left to right and needs the width.
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self.setCentralWidget(self.splitter)
        self._choices = choices
        for title, widget, area in [
            ("Modules", self.modules_panel, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea),
            ("Port types", self.legend, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea),
            ("Properties", self.properties, QtCore.Qt.DockWidgetArea.RightDockWidgetArea),
            ("Problems", self.problems, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea),
            ("Log", self.log, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea),
        ]:
            dock = QtWidgets.QDockWidget(title, self)
            dock.setObjectName(f"dock-{title}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[title] = dock
        # Room for the fields with their units, and a canvas wider than the side panels.
        self.resizeDocks([self.docks["Modules"], self.docks["Properties"]], [300, 330],
                         QtCore.Qt.Orientation.Horizontal)
        # Problems, log and legend share one place under the palette: the canvas and the
        # outputs get the window's whole height.
        self.tabifyDockWidget(self.docks["Port types"], self.docks["Problems"])
        self.tabifyDockWidget(self.docks["Problems"], self.docks["Log"])
        self.docks["Problems"].raise_()
        toolbar = self.addToolBar("Input")
        toolbar.setObjectName("toolbar-input")
        toolbar.addWidget(self.inputs)

    def set_model(self, model: EditorModel) -> None:
        """Edit ``model`` (a new or opened document) in this window."""
        old = getattr(self, "canvas", None)
        if old is not None:
            old.close()
            self._unsubscribe()
        self.model = model
        self.canvas = Canvas(model, parent=self)
        self.quick_add = QuickAdd(self._choices, self.canvas.viewer)
        self.quick_add.chosen.connect(self._add_from_quick_add)
        self.canvas.viewer.installEventFilter(self)
        self.canvas.refused.connect(self.say)
        self.canvas.selection_changed.connect(self._on_selection)
        self.canvas.node_activated.connect(lambda node: self.preview.view(node))
        if old is not None:
            self.splitter.replaceWidget(0, self.canvas.widget)
            old.widget.deleteLater()
        else:
            self.splitter.addWidget(self.canvas.widget)
            self.splitter.addWidget(self.outputs)
        self._unsubscribe = model.subscribe(self._on_change)
        self.preview.view(None)
        self.outputs.show_message("Click a step to see its outputs.")
        self._show_problems()
        self._show_selection([])
        self._update_title()
        self.edits.update()
        QtCore.QTimer.singleShot(0, self._first_view)  # once the window has its size

    def _first_view(self) -> None:
        if not self._balanced:  # the canvas over a slightly taller output viewer, once
            height = max(2, self.splitter.height())
            self.splitter.setSizes([height * 9 // 20, height - height * 9 // 20])
            self._balanced = True
        self.canvas.fit()

    def _connect(self) -> None:
        self.modules_panel.activated.connect(self._add_at_centre)
        self.properties.param_changed.connect(self._on_param)
        self.properties.param_reset.connect(lambda node, name: self.model.reset_param(node, name))
        self.properties.try_values.connect(lambda node, name: open_compare(self, node, name))
        self.problems.chosen.connect(self._go_to_problem)
        self.inputs.changed.connect(self.preview.changed)
        self.preview.ready.connect(lambda outputs: self.outputs.show_outputs(outputs))
        self.preview.failed.connect(lambda node, error: self.outputs.show_message(f"{node}: {error}"))
        self.preview.started.connect(lambda node: self.statusBar().showMessage(f"previewing {node}…", 2000))

    # ----- what the runner needs ----------------------------------------------------------
    def analysis(self) -> Analysis | None:
        """The document as the runner runs it, or None while it has problems."""
        if self.model.problems():
            return None
        workflow = self.model.to_workflow()
        return Analysis(workflow, self.model.catalog, module_dirs=self.module_dirs)

    def workflow_name(self) -> str:
        """The workflow's name (results folders are named after it)."""
        try:
            return self.model.to_workflow().name
        except LamellaError:
            return "workflow"

    def preview_inputs(self) -> dict[str, Path]:
        """The image previews run on, for the workflow's first image input."""
        path = self.inputs.preview_path()
        name = self._image_input()
        return {name: path} if path is not None and name is not None else {}

    def _image_input(self) -> str | None:
        return next((name for name, spec in self.model.workflow_inputs().items()
                     if spec.get("type", "image") in ("image", "file")), None)

    # ----- model -> window ---------------------------------------------------------------
    def _on_change(self, change: object) -> None:
        kind = getattr(change, "kind", "")
        if kind == "problems_changed":
            self._show_problems()
        if kind in ("param_changed", "wire_added", "wire_removed", "node_removed", "reset",
                    "inputs_changed", "node_renamed"):
            if kind == "node_removed" and getattr(change, "node", None) == self.preview.node:
                self.preview.view(None)
                self.outputs.show_message("Click a step to see its outputs.")
            elif kind == "node_renamed" and self.preview.node == change.detail.get("old"):  # type: ignore[attr-defined]
                self.preview.node = change.detail.get("new")  # type: ignore[attr-defined]
            self.preview.changed()
        if kind in ("param_changed", "problems_changed", "node_renamed", "reset"):
            self._show_selection(self.canvas.selected())
        self._update_title()
        self.edits.update()

    def _show_problems(self) -> None:
        problems = self.model.problems()
        self.problems.show_problems(problems)
        count = len(problems)
        self.statusBar().showMessage("valid" if not count else f"{count} problem{'s' * (count != 1)}")

    def _show_selection(self, nodes: list[str]) -> None:
        if len(nodes) != 1:
            self.properties.show_nothing(f"{len(nodes)} steps selected" if nodes else "")
            return
        node = nodes[0]
        problems = {p.field: p.message for p in self.model.problems() if p.node == node and p.field}
        self.properties.show_node(node, self.model.manifest(node), self.model.params(node),
                                  problems=problems)

    def _update_title(self) -> None:
        name = self.model.path.name if self.model.path else "untitled"
        self.setWindowTitle(f"{name}{' *' if self.model.dirty else ''} — Lamella")

    def say(self, text: str) -> None:
        """A message in the status bar (and the log, so it can be read again)."""
        self.statusBar().showMessage(text, 10000)
        self.log.add_line(text)

    # ----- window -> model ---------------------------------------------------------------
    def _on_selection(self, nodes: list[str]) -> None:
        self._show_selection(nodes)
        if len(nodes) == 1:
            self.preview.view(nodes[0])

    def _on_param(self, node: str, name: str, value: object) -> None:
        self.model.set_param(node, name, value)

    def _go_to_problem(self, node: str, field: str) -> None:
        if node and node in self.model.node_ids():
            self.canvas.select([node])
            self._show_selection([node])
            if field:
                self.properties.focus_field(field)

    def _add_at_centre(self, ref: str) -> None:
        centre = self.canvas.viewer.viewport().rect().center()
        self.canvas.add_module(ref, self.canvas.scene_position(centre))

    def _add_from_quick_add(self, ref: str, at: QtCore.QPoint) -> None:
        self.canvas.add_module(ref, self.canvas.scene_position(at))

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Tab on the canvas opens the quick-add search at the cursor."""
        viewer: QtWidgets.QGraphicsView = self.canvas.viewer
        if (watched is viewer and event.type() == QtCore.QEvent.Type.KeyPress
                and event.key() == QtCore.Qt.Key.Key_Tab):  # type: ignore[attr-defined]
            cursor = viewer.mapFromGlobal(QtGui.QCursor.pos())
            self.quick_add.open_at(cursor if viewer.rect().contains(cursor) else viewer.rect().center())
            return True
        return super().eventFilter(watched, event)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        """Ask about unsaved changes; stop the session's workers."""
        if not self.files.may_discard():
            event.ignore()
            return
        self.controller.close()
        self.canvas.close()
        event.accept()
