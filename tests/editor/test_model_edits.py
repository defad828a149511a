"""Editing through the model: nodes, ids, wires (typed, no cycles), parameters, events."""

from __future__ import annotations

import pytest

from lamella.core.catalog import Catalog
from lamella.core.workflow import load_workflow
from lamella.editor.model import Change, EditorModel, PortInfo


def record(model: EditorModel) -> list[Change]:
    events: list[Change] = []
    model.subscribe(events.append)
    return events


def test_new_model_is_an_empty_untitled_workflow(catalog: Catalog) -> None:
    model = EditorModel(catalog)
    assert (model.name, model.node_ids(), model.path, model.dirty) == ("untitled", [], None, False)
    assert [p.message for p in model.problems()] == [
        "a workflow needs at least one node, e.g. load: {module: lamella/load-image@1}"]


def test_ids_come_from_the_module_name(catalog: Catalog) -> None:
    model = EditorModel(catalog)
    ids = [model.add_node("lamella/threshold@1") for _ in range(3)]
    assert ids == ["threshold", "threshold-2", "threshold-3"]
    assert model.add_node("lamella/threshold", node_id="seg") == "seg"
    assert model.module_ref("seg") == "lamella/threshold@1"  # pinned to the major version found
    with pytest.raises(ValueError, match="there is already a node 'seg'"):
        model.add_node("lamella/threshold@1", node_id="seg")
    with pytest.raises(ValueError, match="'Seg 2' is not a valid node id"):
        model.add_node("lamella/threshold@1", node_id="Seg 2")
    with pytest.raises(ValueError, match="is not a module reference"):
        model.add_node("threshold")


def test_ports_and_params_come_from_the_manifest(model: EditorModel) -> None:
    assert model.inputs_of("measure") == [
        PortInfo("labels", "labels", model.manifest("measure").inputs["labels"].description, True),
        PortInfo("image", "image", model.manifest("measure").inputs["image"].description, False)]
    assert [p.name for p in model.outputs_of("segment")] == ["mask", "classes"]
    assert [(p.name, p.type) for p in model.outputs_of("$inputs")] == [("image", "image")]
    assert model.params("segment") == {"smooth": "auto", "method": "li", "refine_edges": "auto",
                                       "min_area": "auto"}
    assert model.wire_into("measure", "labels") == ("edge", "labels")
    assert model.position("load") is None


def test_a_refused_wire_says_why_and_changes_nothing(model: EditorModel) -> None:
    before = model.text()
    assert model.connect("load", "image", "measure", "labels") == (
        "type mismatch: image cannot feed labels (an image holds intensities, not object ids; "
        "segment it first (e.g. 'threshold' then 'watershed'))")
    assert model.connect("edge", "labels", "separate", "mask") == (
        "would make a cycle: edge -> separate -> edge")
    assert model.connect("overlay", "plot", "load", "path") == (
        "would make a cycle: overlay -> load -> overlay")
    assert model.connect("load", "image", "load", "path") == "cannot wire node 'load' to itself"
    assert model.connect("load", "imag", "segment", "image") == (
        "node 'load' (lamella/load-image) has no output 'imag' (did you mean 'image'?); its "
        "outputs: image")
    assert model.connect("load", "image", "segment", "mask") == (
        "node 'segment' (lamella/threshold) has no input 'mask'; its inputs: image")
    assert model.connect("$inputs", "picture", "load", "path") == (
        "no workflow input 'picture'; add it to the workflow inputs first")
    assert model.text() == before and not model.dirty and not model.can_undo


def test_connect_replaces_the_wire_on_an_input(model: EditorModel) -> None:
    events = record(model)
    assert model.connect("segment", "classes", "measure", "labels") is None
    assert model.wire_into("measure", "labels") == ("segment", "classes")
    assert events[:2] == [
        Change("wire_removed", "measure", "labels", {"src_node": "edge", "src_port": "labels"}),
        Change("wire_added", "measure", "labels", {"src_node": "segment", "src_port": "classes"})]
    assert model.undo_text == "Connect 'segment.classes' to 'measure.labels'"
    model.undo()
    assert model.wire_into("measure", "labels") == ("edge", "labels")


def test_a_wire_that_replaces_the_one_closing_a_cycle_is_allowed(model: EditorModel) -> None:
    # segment -> separate -> edge: rewiring separate's mask from load is no cycle.
    assert model.connection_problem("load", "image", "separate", "image") is None


def test_disconnect_makes_a_required_input_a_problem(model: EditorModel) -> None:
    model.disconnect("measure", "labels")
    assert ("measure", "labels") not in {(d, p) for _, _, d, p in model.wires()}
    assert [(p.node, p.message) for p in model.problems()] == [
        ("measure", "required input 'labels' (labels) is not connected")]


def test_remove_nodes_takes_their_wires_outputs_positions_and_groups(model: EditorModel) -> None:
    model.move("measure", 100, 50)
    model.add_group("sizes", ["measure", "histogram"], note="Measure and plot")
    events = record(model)
    model.remove_nodes(["measure"])
    assert "measure" not in model.node_ids()
    assert not [w for w in model.wires() if "measure" in (w[0], w[2])]
    assert model.outputs() == {"histogram": "histogram.plot", "overlay": "overlay.plot"}
    assert model.groups() == {"sizes": {"nodes": ["histogram"], "note": "Measure and plot", "color": None}}
    assert model.position("measure") is None
    kinds = [c.kind for c in events]
    assert kinds[:3] == ["wire_removed"] * 3 and "node_removed" in kinds
    assert kinds.index("node_removed") > kinds.index("wire_removed")
    assert {"outputs_changed", "groups_changed", "problems_changed"} <= set(kinds)


def test_rename_rewires_every_reference(model: EditorModel) -> None:
    model.move("segment", 10, 10)
    model.add_group("find", ["segment"])
    events = record(model)
    model.rename_node("segment", "threshold")
    assert model.node_ids()[:3] == ["load", "threshold", "separate"]
    assert model.wire_into("separate", "mask") == ("threshold", "mask")
    assert model.position("threshold") == (10.0, 10.0)
    assert model.groups()["find"]["nodes"] == ["threshold"]
    assert events[0] == Change("node_renamed", "threshold", detail={"old": "segment", "new": "threshold"})
    assert not [c for c in events if c.kind.startswith("wire")]
    with pytest.raises(ValueError, match="there is already a node 'load'"):
        model.rename_node("threshold", "load")
    with pytest.raises(ValueError, match="'Bad id' is not a valid node id"):
        model.rename_node("threshold", "Bad id")
    workflow = load_workflow(model.save())
    assert workflow.nodes["separate"].inputs["mask"] == "threshold.mask"


def test_params_set_and_reset(model: EditorModel) -> None:
    events = record(model)
    model.set_param("segment", "classes", 9)
    assert events[0] == Change("param_changed", "segment", detail={"name": "classes"})
    assert [(p.node, p.field) for p in model.problems()] == [("segment", "classes")]
    model.reset_param("segment", "classes")
    assert "classes" not in model.params("segment") and model.problems() == []
    model.set_param("segment", "smooth", "1:30")  # a number to the runner's YAML 1.1 unless quoted
    assert load_workflow(model.save()).nodes["segment"].params["smooth"] == "1:30"
    assert model.undo_text == "Set 'smooth' of 'segment'"


def test_setting_the_same_value_is_no_step(model: EditorModel) -> None:
    model.set_param("segment", "method", "li")
    model.move("load", 0, 0)
    model.end_move()
    model.move("load", 0, 0)
    assert model.undo_text == "Move 'load'"
    model.undo()
    assert not model.can_undo


def test_notes(model: EditorModel) -> None:
    events = record(model)
    model.set_note("segment", "Li keeps small particles")
    assert model.note("segment") == "Li keeps small particles"
    assert events[0] == Change("note_changed", "segment")
    assert load_workflow(model.save()).nodes["segment"].note == "Li keeps small particles"
    model.set_note("segment", "")
    assert "note" not in model.text().split("segment:")[1].split("separate:")[0]


def test_an_observer_that_fails_does_not_stop_the_others(model: EditorModel) -> None:
    seen: list[str] = []

    def broken(change: Change) -> None:
        raise RuntimeError("view bug")

    model.subscribe(broken)
    unsubscribe = model.subscribe(lambda change: seen.append(change.kind))
    with pytest.raises(RuntimeError, match="view bug"):
        model.set_param("segment", "method", "otsu")
    assert seen == ["param_changed", "dirty_changed"]
    assert model.params("segment")["method"] == "otsu"
    unsubscribe()
    with pytest.raises(RuntimeError):
        model.set_param("segment", "method", "li")
    assert seen == ["param_changed", "dirty_changed"]
