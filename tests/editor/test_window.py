"""The editor window, offscreen: palette drops, Tab-add, typed wiring, edits with undo, files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from lamella.core.workflow import load_workflow
from lamella.editor.canvas import module_mime
from lamella.editor.canvas._style import MISSING
from lamella.editor.window import EditorWindow

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "workflows").glob("*.yaml"))


def drop(window: EditorWindow, ref: str, at: QtCore.QPoint) -> None:
    """What a palette drag delivers to the canvas: drag enter, move, drop (no real QDrag)."""
    viewport = window.canvas.viewer.viewport()
    mime = module_mime(ref)
    actions = QtCore.Qt.DropAction.CopyAction
    point = QtCore.QPointF(at)
    for event in (QtGui.QDragEnterEvent(at, actions, mime, QtCore.Qt.MouseButton.LeftButton,
                                        QtCore.Qt.KeyboardModifier.NoModifier),
                  QtGui.QDragMoveEvent(at, actions, mime, QtCore.Qt.MouseButton.LeftButton,
                                       QtCore.Qt.KeyboardModifier.NoModifier),
                  QtGui.QDropEvent(point, actions, mime, QtCore.Qt.MouseButton.LeftButton,
                                   QtCore.Qt.KeyboardModifier.NoModifier)):
        QtWidgets.QApplication.sendEvent(viewport, event)


def test_dropping_a_palette_module_adds_a_step_where_it_was_dropped(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    item = window.modules_panel.items()["lamella/watershed@1"]
    mime = window.modules_panel.tree.mimeData([item])
    assert bytes(mime.data("application/x-lamella-module").data()) == b"lamella/watershed@1"
    at = QtCore.QPoint(200, 150)
    drop(window, "lamella/watershed@1", at)
    assert window.model.node_ids() == ["watershed"]
    assert window.model.module_ref("watershed") == "lamella/watershed@1"
    expected = window.canvas.scene_position(at)
    assert window.model.position("watershed") == pytest.approx(expected, abs=1.0)
    assert window.canvas.selected() == ["watershed"]


def test_palette_search_finds_modules_by_words(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.modules_panel.field.setText("touching")  # from watershed's description
    assert "lamella/watershed@1" in window.modules_panel.items()
    window.modules_panel.field.setText("zzz no such module")
    assert window.modules_panel.items() == {}


def test_tab_on_the_canvas_adds_the_module_typed(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    viewer = window.canvas.viewer
    viewer.setFocus()
    qtbot.keyClick(viewer, QtCore.Qt.Key.Key_Tab)
    assert window.quick_add.isVisible()
    qtbot.keyClicks(window.quick_add.field, "measure")
    assert window.quick_add.list.currentItem().text().startswith("Measure")
    qtbot.keyClick(window.quick_add.field, QtCore.Qt.Key.Key_Return)
    assert not window.quick_add.isVisible()
    assert window.model.node_ids() == ["measure"]


def _wire_gesture(window: EditorWindow, source: str, out_port: str, target: str, in_port: str) -> None:
    """The signal NodeGraphQt's viewer sends when the user drags a wire between two ports."""
    out_item = window.canvas.node_view(source).outputs()[out_port].view
    in_item = window.canvas.node_view(target).inputs()[in_port].view
    window.canvas.viewer.connection_changed.emit([], [(out_item, in_item)])


def test_a_wire_of_the_wrong_type_is_refused_with_the_reason(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.canvas.add_module("lamella/threshold@1", (0, 0))
    window.canvas.add_module("lamella/histogram@1", (300, 0))
    _wire_gesture(window, "threshold", "mask", "histogram", "table")
    assert window.model.wires() == []
    assert window.canvas.drawn_wires() == set()
    message = window.statusBar().currentMessage()
    assert "cannot connect threshold.mask to histogram.table" in message
    assert "type mismatch: mask cannot feed table" in message


def test_a_wire_of_the_right_type_connects_and_replaces_the_old_one(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    for ref, x in [("lamella/threshold@1", 0), ("lamella/threshold@1", 0), ("lamella/watershed@1", 300)]:
        window.canvas.add_module(ref, (x, 0))
    _wire_gesture(window, "threshold", "mask", "watershed", "mask")
    assert window.model.wires() == [("threshold", "mask", "watershed", "mask")]
    _wire_gesture(window, "threshold-2", "mask", "watershed", "mask")
    assert window.model.wires() == [("threshold-2", "mask", "watershed", "mask")]
    assert window.canvas.drawn_wires() == set(window.model.wires())


def test_a_wire_making_a_cycle_is_refused(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.canvas.add_module("lamella/watershed@1", (0, 0))
    window.canvas.add_module("lamella/filter-objects@1", (300, 0))
    _wire_gesture(window, "watershed", "labels", "filter-objects", "labels")
    window.canvas.add_module("lamella/threshold@1", (600, 0))
    before = sorted(window.model.wires())
    # labels -> mask is a legal type widening; the cycle is what is refused.
    _wire_gesture(window, "filter-objects", "labels", "watershed", "mask")
    assert sorted(window.model.wires()) == before
    assert "cycle" in window.statusBar().currentMessage()


def test_deleting_a_step_removes_its_wires(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml")
    window.canvas.select(["edge"])
    window.edits.delete.trigger()
    assert "edge" not in window.model.node_ids()
    assert all("edge" not in (w[0], w[2]) for w in window.model.wires())
    assert window.canvas.drawn_wires() == set(window.model.wires())
    window.edits.undo.trigger()
    assert "edge" in window.model.node_ids()
    assert window.canvas.drawn_wires() == set(window.model.wires())


def test_a_parameter_edit_changes_the_model_and_undo_restores_it(make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml")
    window.canvas.select(["segment"])
    assert window.model.params("segment")["method"] == "li"
    window.properties.param_changed.emit("segment", "method", "otsu")
    assert window.model.params("segment")["method"] == "otsu"
    assert window.model.dirty and window.windowTitle().startswith("nanoparticle-size-distribution.yaml *")
    window.edits.undo.trigger()
    assert window.model.params("segment")["method"] == "li"
    window.edits.redo.trigger()
    assert window.model.params("segment")["method"] == "otsu"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_open_then_save_keeps_every_example_byte_for_byte(make_window, tmp_path: Path, example: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / example.name
    shutil.copy(example, copy)
    window = make_window(copy)
    assert window.files.save_file()
    assert copy.read_bytes() == example.read_bytes()
    assert load_workflow(copy) == load_workflow(example)


def test_a_moved_step_saves_its_position_and_still_runs_headless(make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "wf.yaml"
    shutil.copy(REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml", copy)
    shutil.copytree(REPO / "examples" / "data", tmp_path.parent / "data", dirs_exist_ok=True)
    window = make_window(copy)
    window.model.move("segment", 123.0, 45.0)
    assert window.files.save_file()
    workflow = load_workflow(copy)
    assert workflow.layout["segment"] == (123.0, 45.0)
    assert set(workflow.nodes) == set(load_workflow(REPO / "examples" / "workflows" /
                                                    "nanoparticle-size-distribution.yaml").nodes)


def test_a_file_that_is_not_yaml_opens_as_text_and_the_window_stays(make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    bad = tmp_path / "broken.yaml"
    bad.write_text("lamella: 1\nnodes: [unclosed\n")
    assert not window.files.open_path(bad)
    dialog = window.findChild(QtWidgets.QDialog, "open-as-text")
    assert dialog is not None and "unclosed" in dialog.findChild(QtWidgets.QPlainTextEdit).toPlainText()
    assert window.model.node_ids() == []  # the window keeps its document and stays usable


def test_a_missing_module_is_a_marked_placeholder_that_saves_back(make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "missing.yaml"
    text = ("lamella: 1\nname: missing\nnodes:\n"
            "  make: {module: lamella/synthetic@1}\n"
            "  magic: {module: acme/magic-filter@2, params: {strength: 3}, in: {image: make.image}}\n")
    path.write_text(text)
    window = make_window(path)
    assert window.model.manifest("magic") is None
    assert tuple(window.canvas.node_view("magic").color()) == MISSING
    assert any(p.node == "magic" for p in window.model.problems())
    assert window.problems.count_problems() >= 1
    assert ("make", "image", "magic", "image") in window.canvas.drawn_wires()
    window.files.save_file()
    assert path.read_text() == text


def test_clicking_a_problem_selects_its_node(make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    path.write_text("lamella: 1\nname: bad\nnodes:\n  make: {module: lamella/synthetic@1}\n"
                    "  segment: {module: lamella/threshold@1, params: {method: nonsense}, "
                    "in: {image: make.image}}\n")
    window = make_window(path)
    (problem,) = [p for p in window.model.problems() if p.node == "segment"]
    assert problem.field == "method"
    window.problems.chosen.emit("segment", "method")
    assert window.canvas.selected() == ["segment"]


def test_copy_paste_makes_new_steps_with_their_wires(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml")
    window.canvas.select(["segment", "separate"])
    window.edits.copy.trigger()
    window.edits.paste.trigger()
    new = sorted(set(window.model.node_ids()) - {"load", "segment", "separate", "edge", "measure",
                                                   "histogram", "overlay"})
    assert len(new) == 2
    assert any(w[0] in new and w[2] in new for w in window.model.wires())
    assert sorted(window.canvas.selected()) == new


def test_grouped_steps_get_a_backdrop_and_the_group_is_saved(make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "wf.yaml"
    shutil.copy(REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml", copy)
    window = make_window(copy)
    window.canvas.select(["segment", "separate"])
    assert window.edits.group_selection("segmentation", "threshold, then split touching particles")
    backdrop = window.canvas.backdrop("segmentation")
    assert backdrop is not None and backdrop.get_property("backdrop_text").startswith("threshold")
    area = QtCore.QRectF(*backdrop.pos(), backdrop.get_property("width"), backdrop.get_property("height"))
    for node in ("segment", "separate"):
        assert area.contains(QtCore.QPointF(*window.canvas.node_view(node).pos()))
    assert window.files.save_file()
    saved = load_workflow(copy)
    assert saved.groups["segmentation"].nodes == ["segment", "separate"]
    window.edits.undo.trigger()
    assert window.canvas.backdrop("segmentation") is None


def test_a_new_workflow_gets_an_image_input_to_wire(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    assert window.edits.add_image_input() == "image"
    window.canvas.add_module("lamella/load-image@1", (200, 0))
    _wire_gesture(window, "$inputs.image", "image", "load-image", "path")
    assert window.model.wires() == [("$inputs", "image", "load-image", "path")]
    assert window.canvas.drawn_wires() == {("$inputs", "image", "load-image", "path")}
    assert window.edits.add_image_input() == "image_2"
