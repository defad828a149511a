"""The canvas: NodeGraphQt drawing the editor model, and the user's gestures sent back to it.

NodeGraphQt keeps a graph of its own, with its own undo stack and ids that are memory
addresses. Here it is only a view: every gesture (wire, unwire, move, rename, drop, Tab-add)
is turned into one call on :class:`~lamella.editor.model.EditorModel`, which decides (a
refused wire comes back with its reason) and announces the change; the canvas then draws
what the model holds. NodeGraphQt's own handlers for those gestures are disconnected, so
nothing reaches its undo stack, and after every gesture the canvas re-reads the model's
wires: a wire the viewer drew and the model refused disappears again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from NodeGraphQt import BaseNode, NodeGraph
from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6 import QtCore, QtWidgets

from lamella.editor.canvas._style import (
    MISSING,
    STATE_COLOURS,
    WORKFLOW_INPUT,
    category_colour,
    port_colour,
)
from lamella.editor.model import Change, EditorModel

__all__ = ["INPUTS", "MODULE_MIME", "Canvas", "LamellaNode", "module_mime"]

MODULE_MIME = "application/x-lamella-module"  # a palette drag carries a module reference
INPUTS = "$inputs"  # the wire source of a workflow input, as the model names it
_INPUT_PREFIX = "$inputs."  # canvas-only ids of the workflow-input nodes
_PLAIN_BORDER = (46, 57, 66)  # NodeGraphQt's own border colour


class LamellaNode(BaseNode):  # type: ignore[misc]
    """Every step on the canvas is this one NodeGraphQt type; the model says what it is."""

    __identifier__ = "lamella"
    NODE_NAME = "step"


class Canvas(QtCore.QObject):
    """Shows ``model`` in a NodeGraphQt graph and turns gestures into model calls."""

    refused = QtCore.Signal(str)  # why a gesture changed nothing, for the status bar
    selection_changed = QtCore.Signal(list)  # model node ids
    node_activated = QtCore.Signal(str)  # double click: show the node's outputs

    def __init__(self, model: EditorModel, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.graph = NodeGraph()
        self.graph.register_node(LamellaNode)
        self.viewer: NodeViewer = self.graph.viewer()  # a QGraphicsView
        self.viewer.acyclic = False  # the model refuses cycles, and says why
        self._views: dict[str, Any] = {}  # model node id (or '$inputs.name') -> NodeGraphQt node
        self._ids: dict[str, str] = {}  # NodeGraphQt id -> model node id
        self._backdrops: dict[str, Any] = {}  # group name -> NodeGraphQt backdrop
        self._auto_positions: dict[str, tuple[float, float]] | None = None  # for steps with none saved
        self._syncing = False
        self._take_over_gestures()
        self._unsubscribe = model.subscribe(self._on_change)
        self.rebuild()

    @property
    def widget(self) -> QtWidgets.QWidget:
        """The canvas widget to put in a window."""
        return self.graph.widget

    def close(self) -> None:
        """Stop following the model (the window is closing or shows another one)."""
        self._unsubscribe()

    # ----- reading the view --------------------------------------------------------------
    def node_view(self, node_id: str) -> Any:
        """The NodeGraphQt node drawing model node ``node_id``."""
        return self._views[node_id]

    def selected(self) -> list[str]:
        """Model ids of the selected steps in the workflow's order (workflow inputs left out)."""
        chosen = {self._ids[n.id] for n in self.graph.selected_nodes() if n.id in self._ids}
        return [node for node in self.model.node_ids() if node in chosen]

    def select(self, node_ids: list[str]) -> None:
        """Select exactly these steps (and say so, as a click would)."""
        self.graph.clear_selection()
        for node_id in node_ids:
            if node_id in self._views:
                self._views[node_id].set_selected(True)
        # NodeGraphQt reports selection changes made with the mouse only.
        self.selection_changed.emit(self.selected())

    def drawn_wires(self) -> set[tuple[str, str, str, str]]:
        """The wires the canvas shows, as (source, port, destination, port) model names."""
        wires = set()
        for node_id, view in self._views.items():
            if node_id.startswith(_INPUT_PREFIX):
                continue
            for port in view.input_ports():
                for source in port.connected_ports():
                    source_id = self._ids[source.node().id]
                    if source_id.startswith(_INPUT_PREFIX):
                        wires.add((INPUTS, source.name(), node_id, port.name()))
                    else:
                        wires.add((source_id, source.name(), node_id, port.name()))
        return wires

    def fit(self) -> None:
        """Zoom and scroll so every step is in view."""
        views = [view.view for view in self._views.values()]
        if views:
            self.viewer.zoom_to_nodes(views)

    def scene_position(self, widget_pos: QtCore.QPoint) -> tuple[float, float]:
        """A point of the canvas widget in the model's (scene) coordinates."""
        point = self.viewer.mapToScene(widget_pos)
        return point.x(), point.y()

    # ----- states from a run -------------------------------------------------------------
    def set_state(self, node_id: str, state: str | None) -> None:
        """Colour a step's border by its run state (None: back to its problem mark or none)."""
        view = self._views.get(node_id)
        if view is None:
            return
        colour = STATE_COLOURS.get(state or "", None)
        if colour is None:
            colour = STATE_COLOURS["problem"] if node_id in self._problem_nodes() else _PLAIN_BORDER
        self._set(view, "border_color", (*colour, 255))

    def _problem_nodes(self) -> set[str]:
        return {p.node for p in self.model.problems() if p.node}

    # ----- model -> view ----------------------------------------------------------------
    def rebuild(self) -> None:
        """Draw the whole model again (a new or opened document)."""
        self._auto_positions = None
        with self._quiet():
            for view in list(self._views.values()):
                self.graph.remove_node(view, push_undo=False)
            self._views.clear()
            self._ids.clear()
            for name in self.model.workflow_inputs():
                self._add_input_view(name)
            for node_id in self.model.node_ids():
                self._add_view(node_id)
            self._sync_wires()
            self._mark_problems()
            self._draw_groups()

    def _on_change(self, change: Change) -> None:
        handlers: dict[str, Callable[[Change], None]] = {
            "reset": lambda c: self.rebuild(),
            "node_added": lambda c: self._add_view(c.node or ""),
            "node_removed": lambda c: self._remove_view(c.node or ""),
            "node_renamed": self._rename_view,
            "moved": lambda c: self._place(c.node or ""),
            "inputs_changed": lambda c: self.rebuild(),
            "problems_changed": lambda c: self._mark_problems(),
        }
        handler = handlers.get(change.kind)
        with self._quiet():
            if handler is not None:
                handler(change)
            if change.kind in ("wire_added", "wire_removed", "node_added", "node_removed", "reset"):
                self._sync_wires()
            if change.kind in ("groups_changed", "moved", "node_added", "node_removed", "node_renamed"):
                self._draw_groups()

    def _add_view(self, node_id: str) -> None:
        manifest = self.model.manifest(node_id)
        colour = category_colour(manifest.category) if manifest is not None else MISSING
        view = self.graph.create_node("lamella.LamellaNode", name=node_id, selected=False,
                                      color=(*colour, 255), pos=self._position(node_id),
                                      push_undo=False)
        for port in self.model.inputs_of(node_id):
            view.add_input(port.name, color=port_colour(port.type))
        for port in self.model.outputs_of(node_id):
            view.add_output(port.name, color=port_colour(port.type))
        title = manifest.name if manifest is not None else "module not installed"
        view.view.setToolTip(f"{node_id}: {title} ({self.model.module_ref(node_id)})")
        self._register(node_id, view)

    def _add_input_view(self, name: str) -> None:
        spec = self.model.workflow_inputs()[name]
        view = self.graph.create_node("lamella.LamellaNode", name=f"input: {name}", selected=False,
                                      color=(*WORKFLOW_INPUT, 255),
                                      pos=self._position(_INPUT_PREFIX + name), push_undo=False)
        view.add_output(name, color=port_colour(str(spec.get("type", "file"))))
        view.view.setToolTip(f"workflow input '{name}': {spec.get('default') or 'chosen when run'}")
        self._register(_INPUT_PREFIX + name, view)

    def _register(self, node_id: str, view: Any) -> None:
        self._views[node_id] = view
        self._ids[view.id] = node_id
        view.view.draw_node()  # size the item for the ports added after it was created

    def _remove_view(self, node_id: str) -> None:
        view = self._views.pop(node_id, None)
        if view is not None:
            self._ids.pop(view.id, None)
            self.graph.remove_node(view, push_undo=False)

    def _rename_view(self, change: Change) -> None:
        old, new = change.detail["old"], change.detail["new"]
        view = self._views.pop(old)
        self._views[new] = view
        self._ids[view.id] = new
        self._set(view, "name", new)

    def _place(self, node_id: str) -> None:
        view = self._views.get(node_id)
        if view is not None:
            self._set(view, "pos", list(self._position(node_id)))

    def _position(self, node_id: str) -> tuple[float, float]:
        """Where a step is drawn: its saved position, else where the graph's layers put it."""
        position = self.model.position(node_id)
        if position is None and not node_id.startswith(_INPUT_PREFIX):
            # A file without a layout: placed by the graph's layers, the file left unchanged.
            if self._auto_positions is None:
                self._auto_positions = self.model.layered_positions()
            position = self._auto_positions.get(node_id)
        if position is None and node_id.startswith(_INPUT_PREFIX):
            name = node_id[len(_INPUT_PREFIX):]
            position = (-260.0, 120.0 * list(self.model.workflow_inputs()).index(name))
        return (float(position[0]), float(position[1])) if position else (0.0, 0.0)

    def backdrop(self, group: str) -> Any:
        """The backdrop drawn for ``group`` (None if none of its steps is on the canvas)."""
        return self._backdrops.get(group)

    def _draw_groups(self) -> None:
        """A backdrop around each group's steps, titled with its name, its note inside."""
        for view in self._backdrops.values():
            self.graph.remove_node(view, push_undo=False)
        self._backdrops.clear()
        for name, group in self.model.groups().items():
            members = [self._views[n].view for n in group.get("nodes", []) if n in self._views]
            if not members:
                continue
            backdrop = self.graph.create_node("Backdrop", name=name, selected=False, push_undo=False)
            size = backdrop.view.calc_backdrop_size(members)
            for prop in ("width", "height"):
                self._set(backdrop, prop, size[prop])
            self._set(backdrop, "pos", list(size["pos"]))
            self._set(backdrop, "backdrop_text", str(group.get("note", "")))
            colour = str(group.get("color") or "")
            if len(colour) == 7 and colour.startswith("#"):
                rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
                self._set(backdrop, "color", (*rgb, 255))
            self._backdrops[name] = backdrop

    def _sync_wires(self) -> None:
        """Make the drawn wires exactly the model's (the model is the truth)."""
        wanted = set(self.model.wires())
        drawn = self.drawn_wires()
        for source, source_port, node, port in drawn - wanted:
            self._port(node, port, inputs=True).disconnect_from(
                self._port(self._source_id(source, source_port), source_port, inputs=False),
                push_undo=False, emit_signal=False)
        for source, source_port, node, port in wanted - drawn:
            start = self._port(self._source_id(source, source_port), source_port, inputs=False)
            end = self._port(node, port, inputs=True)
            if start is not None and end is not None:
                start.connect_to(end, push_undo=False, emit_signal=False)

    def _source_id(self, source: str, port: str) -> str:
        return _INPUT_PREFIX + port if source == INPUTS else source

    def _port(self, node_id: str, port: str, *, inputs: bool) -> Any:
        view = self._views.get(node_id)
        if view is None:
            return None
        return (view.inputs() if inputs else view.outputs()).get(port)

    def _mark_problems(self) -> None:
        troubled = self._problem_nodes()
        for node_id, view in self._views.items():
            colour = (*(STATE_COLOURS["problem"] if node_id in troubled else _PLAIN_BORDER), 255)
            if tuple(view.get_property("border_color")) != colour:  # most nodes keep theirs
                self._set(view, "border_color", colour)

    def _set(self, view: Any, name: str, value: Any) -> None:
        # set_property(push_undo=False): NodeGraphQt's setters (set_pos, set_color) push an
        # entry on its undo stack each call, which this canvas never uses.
        view.set_property(name, value, push_undo=False)

    def _quiet(self) -> _Quiet:
        return _Quiet(self)

    # ----- view -> model ----------------------------------------------------------------
    def _take_over_gestures(self) -> None:
        viewer, graph = self.viewer, self.graph
        for signal, theirs, ours in [
            (viewer.connection_changed, graph._on_connection_changed, self._on_wire_gesture),
            (viewer.connection_sliced, graph._on_connection_sliced, self._on_slice),
            (viewer.moved_nodes, graph._on_nodes_moved, self._on_moved),
            (viewer.node_name_changed, graph._on_node_name_changed, self._on_renamed),
            (viewer.insert_node, graph._on_insert_node, lambda *args: self._sync_wires()),
        ]:
            signal.disconnect(theirs)
            signal.connect(ours)
        # Palette drops are taken before NodeGraphQt's dropEvent, which reads the deprecated
        # QDropEvent.pos() and would import a NodeGraphQt session for some drops.
        viewer.viewport().installEventFilter(self)
        graph.node_selection_changed.connect(lambda *args: self.selection_changed.emit(self.selected()))
        graph.node_double_clicked.connect(self._on_double_click)

    def _ends(self, first: Any, second: Any) -> tuple[str, str, str, str] | None:
        """(source, port, destination, port) of a pair of port items, in model names."""
        out, into = (first, second) if first.port_type == "out" else (second, first)
        source = self._ids.get(out.node.id, "")
        destination = self._ids.get(into.node.id, "")
        if not source or not destination or destination.startswith(_INPUT_PREFIX):
            return None
        if source.startswith(_INPUT_PREFIX):
            source = INPUTS
        return source, out.name, destination, into.name

    def _on_wire_gesture(self, disconnected: list, connected: list) -> None:
        """A wire drawn, moved to another port or pulled off: one model call each."""
        if self._syncing:
            return
        made = [ends for pair in connected if (ends := self._ends(*pair)) is not None]
        for ends in made:
            reason = self.model.connect(*ends)
            if reason is not None:
                self.refused.emit(f"cannot connect {ends[0]}.{ends[1]} to {ends[2]}.{ends[3]}: {reason}")
        replaced = {(e[2], e[3]) for e in made}
        for pair in disconnected:
            ends = self._ends(*pair)
            if ends is not None and (ends[2], ends[3]) not in replaced and ends in self.model.wires():
                self.model.disconnect(ends[2], ends[3])
        with self._quiet():
            self._sync_wires()

    def _on_slice(self, pairs: list) -> None:
        for pair in pairs:
            ends = self._ends(*pair)
            if ends is not None:
                self.model.disconnect(ends[2], ends[3])
        with self._quiet():
            self._sync_wires()

    def _on_moved(self, moved: dict) -> None:
        positions = {self._ids[item.id]: tuple(self._views[self._ids[item.id]].pos())
                     for item in moved if item.id in self._ids}
        steps = {k: v for k, v in positions.items() if not k.startswith(_INPUT_PREFIX)}
        if steps:
            self.model.move_many(steps)
            self.model.end_move()  # one drag, one undo step

    def _on_renamed(self, view_id: str, name: str) -> None:
        old = self._ids.get(view_id)
        if old is None or old == name or old.startswith(_INPUT_PREFIX):
            return
        try:
            self.model.rename_node(old, name)
        except ValueError as exc:
            self.refused.emit(str(exc))
            with self._quiet():
                self._set(self._views[old], "name", old)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Take drags of palette modules: accept them, and add the module where dropped."""
        kinds = (QtCore.QEvent.Type.DragEnter, QtCore.QEvent.Type.DragMove, QtCore.QEvent.Type.Drop)
        if event.type() not in kinds or not event.mimeData().hasFormat(MODULE_MIME):  # type: ignore[attr-defined]
            return super().eventFilter(watched, event)
        event.acceptProposedAction()  # type: ignore[attr-defined]
        if event.type() == QtCore.QEvent.Type.Drop:
            ref = bytes(event.mimeData().data(MODULE_MIME).data()).decode()  # type: ignore[attr-defined]
            point = self.viewer.mapToScene(event.position().toPoint())  # type: ignore[attr-defined]
            self.add_module(ref, (point.x(), point.y()))
        return True

    def add_module(self, ref: str, position: tuple[float, float]) -> str:
        """Add a step running module ``ref`` at ``position`` and select it."""
        node_id = self.model.add_node(ref, position)
        self.select([node_id])
        return node_id

    def _on_double_click(self, view: Any) -> None:
        node_id = self._ids.get(view.id) if view is not None else None
        if node_id and not node_id.startswith(_INPUT_PREFIX):
            self.node_activated.emit(node_id)


class _Quiet:
    """While the canvas redraws from the model, the viewer's signals are not gestures."""

    def __init__(self, canvas: Canvas) -> None:
        self._canvas, self._was = canvas, False

    def __enter__(self) -> None:
        self._was, self._canvas._syncing = self._canvas._syncing, True

    def __exit__(self, *exc: object) -> None:
        self._canvas._syncing = self._was


def module_mime(ref: str) -> QtCore.QMimeData:
    """The drag data of a palette entry (module reference ``id@major``)."""
    mime = QtCore.QMimeData()
    mime.setData(MODULE_MIME, QtCore.QByteArray(ref.encode()))
    mime.setText(ref)  # NodeGraphQt's viewer accepts a drag only if it carries text
    return mime

