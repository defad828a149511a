"""Undo and redo: one step per public call, each restoring the document exactly."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from lamella.core.catalog import Catalog
from lamella.editor.model import Change, EditorModel
from tests.editor.builtin import NANO

Edit = Callable[[EditorModel], object]

EDITS: list[tuple[str, Edit, str]] = [
    ("add", lambda m: m.add_node("lamella/histogram@1", (5, 5)), "Add node 'histogram-2'"),
    ("remove", lambda m: m.remove_nodes(["separate", "edge"]), "Remove 2 nodes"),
    ("rename", lambda m: m.rename_node("separate", "split"), "Rename 'separate' to 'split'"),
    ("connect", lambda m: m.connect("separate", "labels", "measure", "labels"),
     "Connect 'separate.labels' to 'measure.labels'"),
    ("disconnect", lambda m: m.disconnect("overlay", "image"), "Disconnect 'overlay.image'"),
    ("set param", lambda m: m.set_param("segment", "level", 0.25), "Set 'level' of 'segment'"),
    ("reset param", lambda m: m.reset_param("segment", "method"), "Reset 'method' of 'segment'"),
    ("move", lambda m: m.move_many({"load": (1, 2), "segment": (3, 4)}), "Move 2 nodes"),
    ("input", lambda m: m.set_workflow_input("image", default="other.tif"), "Set input 'image'"),
    ("new input", lambda m: m.set_workflow_input("reference", "labels"), "Set input 'reference'"),
    ("output", lambda m: m.set_output("labels", "edge.labels"), "Set output 'labels'"),
    ("remove output", lambda m: m.remove_output("sizes"), "Remove output 'sizes'"),
    ("group", lambda m: m.add_group("find", ["segment"], color="#ff0000"), "Add group 'find'"),
    ("auto layout", lambda m: m.auto_layout(), "Auto layout"),
    ("paste", lambda m: m.paste(m.copy(["segment", "separate"])), "Paste 2 nodes"),
    ("note", lambda m: m.set_note("load", "SEM"), "Set the note of 'load'"),
]


@pytest.fixture
def model(tmp_path: Path, catalog: Catalog) -> EditorModel:
    model = EditorModel.open(shutil.copy(NANO, tmp_path / NANO.name), catalog)
    # One edit first, so the texts compared below are written from the document, not the file.
    model.set_param("load", "crop_info_bar", "off")
    return model


@pytest.mark.parametrize(("edit", "label"), [(e, label) for _, e, label in EDITS],
                         ids=[name for name, _, _ in EDITS])
def test_each_edit_is_one_step_that_undoes_exactly(model: EditorModel, edit: Edit, label: str) -> None:
    before, steps = model.text(), len(model._history.undo_steps)
    edit(model)
    after = model.text()
    assert after != before
    assert (len(model._history.undo_steps), model.undo_text) == (steps + 1, label)
    model.undo()
    assert model.text() == before and model.redo_text == label
    model.redo()
    assert model.text() == after and not model.can_redo


def test_undo_emits_the_inverse_changes(model: EditorModel) -> None:
    events: list[Change] = []
    model.subscribe(events.append)
    model.remove_nodes(["edge"])
    removed = [c for c in events if c.kind in ("wire_removed", "node_removed")]
    events.clear()
    model.undo()
    added = [c for c in events if c.kind in ("wire_added", "node_added")]
    assert [c.kind for c in added] == ["node_added"] + ["wire_added"] * 3
    assert sorted((c.node, c.port) for c in added if c.kind == "wire_added") == sorted(
        (c.node, c.port) for c in removed if c.kind == "wire_removed")


def test_undo_of_a_rename_is_a_rename(model: EditorModel) -> None:
    model.rename_node("segment", "threshold")
    events: list[Change] = []
    model.subscribe(events.append)
    model.undo()
    assert events[0] == Change("node_renamed", "segment", detail={"old": "threshold", "new": "segment"})
    assert model.wire_into("separate", "mask") == ("segment", "mask")


def test_moves_of_one_drag_merge_into_one_step(model: EditorModel) -> None:
    steps = len(model._history.undo_steps)
    for x in range(10):
        model.move("segment", x * 10, 0)
    model.end_move()
    model.move("segment", 500, 500)  # a second drag
    model.move_many({"segment": (1, 1), "load": (2, 2)})  # other nodes: a new step
    assert len(model._history.undo_steps) == steps + 3
    model.undo()
    model.undo()
    assert model.position("segment") == (90.0, 0.0)
    model.undo()
    assert model.position("segment") is None


def test_dirty_follows_the_saved_state(model: EditorModel) -> None:
    events: list[Change] = []
    model.save()
    model.subscribe(events.append)
    assert not model.dirty
    model.set_param("segment", "method", "otsu")
    assert model.dirty and events[-1] == Change("dirty_changed")
    model.undo()
    assert not model.dirty and events[-1] == Change("dirty_changed")
    model.undo()  # before the save: the file does not hold this
    assert model.dirty


def test_a_new_edit_clears_redo(model: EditorModel) -> None:
    model.set_param("segment", "method", "otsu")
    model.undo()
    assert model.can_redo
    model.set_param("segment", "method", "yen")
    assert not model.can_redo and model.redo_text == ""


def test_a_refused_edit_is_no_step(model: EditorModel) -> None:
    steps, text = len(model._history.undo_steps), model.text()
    with pytest.raises(ValueError):
        model.rename_node("segment", "load")
    with pytest.raises(ValueError):
        model.add_group("g", ["nothing"])
    with pytest.raises(ValueError, match="'red' is not a colour"):
        model.add_group("g", ["load"], color="red")
    assert len(model._history.undo_steps) == steps and model.text() == text
