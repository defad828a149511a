"""Workflow inputs, outputs, groups, auto-layout and copy/paste in the editor model."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.catalog import Catalog
from lamella.core.workflow import load_workflow
from lamella.editor.model import Change, EditorModel, layered_positions
from tests.editor.builtin import NANO


def test_an_input_chosen_in_the_window_is_saved_relative(tmp_path: Path, model: EditorModel) -> None:
    image = tmp_path / "data" / "sem.tif"
    model.set_workflow_input("image", default=str(image))
    assert model.workflow_inputs()["image"]["default"] == "data/sem.tif"
    assert model.workflow_inputs()["image"]["description"].startswith("SEM image (TIFF)")
    workflow = load_workflow(model.save())
    assert workflow.resolve_path(workflow.inputs["image"].default or "") == image


def test_an_input_of_a_new_workflow_becomes_relative_on_first_save(tmp_path: Path,
                                                                   catalog: Catalog) -> None:
    model = EditorModel(catalog)
    folder = tmp_path / "images"
    model.set_workflow_input("images", default=str(folder))
    assert model.workflow_inputs()["images"] == {"type": "image", "default": str(folder)}
    (tmp_path / "wf").mkdir()
    model.add_node("lamella/load-image@1")
    model.save(tmp_path / "wf" / "a.yaml")
    assert model.workflow_inputs()["images"]["default"] == "../images"
    assert "images: {type: image, default: ../images}" in (tmp_path / "wf" / "a.yaml").read_text()


def test_input_checks_and_removal(model: EditorModel) -> None:
    with pytest.raises(ValueError, match="'Image' is not a valid name"):
        model.set_workflow_input("Image")
    with pytest.raises(ValueError, match="'picture' is not a port type"):
        model.set_workflow_input("image", "picture")
    model.remove_workflow_input("image")
    assert model.workflow_inputs() == {} and model.wire_into("load", "path") is None
    assert [(p.node, p.message) for p in model.problems()] == [
        ("load", "required input 'path' (file) is not connected")]


def test_outputs(model: EditorModel) -> None:
    events: list[Change] = []
    model.subscribe(events.append)
    model.set_output("labels", "edge.labels")
    assert model.outputs()["labels"] == "edge.labels" and events[0] == Change("outputs_changed")
    with pytest.raises(ValueError, match="an output comes from a node"):
        model.set_output("raw", "$inputs.image")
    with pytest.raises(ValueError, match="is not a connection"):
        model.set_output("raw", "edge")
    model.remove_output("sizes")
    assert list(model.outputs()) == ["summary", "histogram", "overlay", "labels"]
    assert load_workflow(model.save()).outputs["labels"] == "edge.labels"


def test_groups(model: EditorModel) -> None:
    model.add_group("find", ["segment", "separate"], note="Find particles")
    model.set_group("find", nodes=["segment", "separate", "edge"], color="#aabbcc", new_name="segmentation")
    assert model.groups() == {"segmentation": {"nodes": ["segment", "separate", "edge"],
                                               "note": "Find particles", "color": "#aabbcc"}}
    model.set_group("segmentation", note="", color=None)
    assert model.groups()["segmentation"] == {"nodes": ["segment", "separate", "edge"], "note": "",
                                              "color": None}
    with pytest.raises(ValueError, match="there is already a group 'segmentation'"):
        model.add_group("segmentation", [])
    workflow = load_workflow(model.save())
    assert workflow.groups["segmentation"].nodes == ["segment", "separate", "edge"]
    model.remove_group("segmentation")
    assert model.groups() == {} and "groups" not in model.text()


def test_auto_layout_puts_columns_by_generation(model: EditorModel) -> None:
    model.auto_layout()
    assert {n: model.position(n) for n in model.node_ids()} == {
        "load": (0.0, 0.0), "segment": (260.0, 0.0), "separate": (520.0, 0.0), "edge": (780.0, 0.0),
        "measure": (1040.0, -70.0), "overlay": (1040.0, 70.0), "histogram": (1300.0, 0.0)}
    assert model.undo_text == "Auto layout"


def test_layered_positions_survive_a_cycle() -> None:
    wires = [("a", "x", "b", "y"), ("b", "x", "a", "y"), ("b", "x", "c", "y"), ("$inputs", "i", "a", "z")]
    assert layered_positions(["a", "b", "c"], wires) == {
        "a": (0.0, -70.0), "b": (0.0, 70.0), "c": (260.0, 0.0)}


def test_copy_and_paste_keeps_parameters_and_the_wires_between(model: EditorModel) -> None:
    model.move_many({"segment": (100, 0), "separate": (300, 0)})
    text = model.copy(["segment", "separate"])
    assert "load.image" not in text and "segment.mask" in text
    ids = model.paste(text)
    assert ids == ["segment-2", "separate-2"]
    assert model.params("segment-2") == model.params("segment")
    assert model.wire_into("separate-2", "mask") == ("segment-2", "mask")
    assert model.wire_into("segment-2", "image") is None
    assert (model.position("segment-2"), model.position("separate-2")) == ((140.0, 40.0), (340.0, 40.0))
    assert model.paste(text, offset=(0, 0)) == ["segment-3", "separate-3"]
    model.undo()
    assert "segment-3" not in model.node_ids()


def test_paste_of_a_workflow_keeps_its_input_wires(model: EditorModel) -> None:
    ids = model.paste(NANO.read_text())
    assert ids[0] == "load-2" and model.wire_into("load-2", "path") == ("$inputs", "image")
    assert model.wire_into("measure-2", "labels") == ("edge-2", "labels")


def test_paste_of_other_text_is_refused(model: EditorModel) -> None:
    for text in ["just words", "a: [", "nodes: 3"]:
        with pytest.raises(ValueError, match="the clipboard holds no Lamella nodes"):
            model.paste(text)
    assert not model.can_undo
