"""Invalid workflows open, list every problem located by node and field, and save back whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.catalog import Catalog
from lamella.core.errors import WorkflowError
from lamella.core.workflow import load_workflow
from lamella.editor.model import EditorModel, EditorProblem, OpenError, PortInfo

BROKEN = """\
lamella: 1
name: broken
inputs:
  image: {type: image}
nodes:
  load: {module: lamella/load-image@1, in: {path: $inputs.image}}
  segment: {module: lamella/treshold@1, params: {method: li, level: 3}, in: {image: load.image}}
  classify: {module: lamella/threshold@1, params: {method: multi-otsu, classes: 9}, in: {image: load.image}}
  separate: {module: lamella/watershed@1, params: {min_distance: 5 px}}
  measure: {module: lamella/measure@1, in: {labels: load.image}}
  smooth: {module: lamella/denoise@1, in: {image: blur.image}}
  blur: {module: lamella/denoise@1, in: {image: smooth.image}}
  sizes: {module: lamella/histogram@1, in: {table: segment.table}}
outputs: {sizes: measure.table, edges: segment.edges}
"""

SCHEMA_INVALID = """\
lamella: 1
nodes:
  load: {module: lamella/load-image@1, colour: red, in: {path: $inputs.image}}
  segment: {module: threshold, in: {image: load.image}}
  measure: {module: lamella/measure@1, params: {labels_are: class}, in: {labels: segment.mask}}
groups: {g: {nodes: [nothing]}}
"""


def write(tmp_path: Path, text: str, name: str = "wf.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_graph_problems_are_located_by_node_and_field(tmp_path: Path, catalog: Catalog) -> None:
    model = EditorModel.open(write(tmp_path, BROKEN), catalog)
    assert [(p.node, p.field, p.message) for p in model.problems()] == [
        ("segment", None, "unknown module 'lamella/treshold' (did you mean 'lamella/threshold'?); "
         "`lamella modules list` shows the modules found (add folders with --modules or "
         "LAMELLA_MODULE_PATH)"),
        ("classify", "classes", "must be between 2 and 5, got 9"),
        ("separate", None, "required input 'mask' (mask) is not connected"),
        ("measure", "labels", "type mismatch: image cannot feed labels (an image holds "
         "intensities, not object ids; segment it first (e.g. 'threshold' then 'watershed')) "
         "(from load.image)"),
        ("blur", None, "cycle blur -> smooth -> blur; a workflow must not loop back on itself"),
    ]
    cycle = model.problems()[-1]
    assert (cycle.where, cycle.nodes) == ("graph", ("blur", "smooth"))
    assert str(model.problems()[1]) == "node 'classify', parameter 'classes': must be between 2 and 5, got 9"


def test_a_missing_module_is_a_placeholder_that_keeps_everything(tmp_path: Path,
                                                                 catalog: Catalog) -> None:
    path = write(tmp_path, BROKEN)
    model = EditorModel.open(path, catalog)
    assert model.manifest("segment") is None
    assert model.params("segment") == {"method": "li", "level": 3}
    missing = "module not installed: port known from a wire"
    assert model.inputs_of("segment") == [PortInfo("image", "file", missing, False)]
    assert model.outputs_of("segment") == [PortInfo("table", "file", missing, False),
                                           PortInfo("edges", "file", missing, False)]
    # Its ports have no known type: wires to and from it are not type-checked.
    assert model.connection_problem("segment", "table", "measure", "image") is None
    model.set_param("classify", "classes", 3)
    model.move("segment", 40, 40)
    saved = load_workflow(model.save())
    original = load_workflow(write(tmp_path, BROKEN, "original.yaml"))
    assert saved.nodes["segment"] == original.nodes["segment"]
    assert saved.outputs == original.outputs and saved.layout == {"segment": (40.0, 40.0)}


def test_a_fixed_problem_leaves_the_list(tmp_path: Path, catalog: Catalog) -> None:
    model = EditorModel.open(write(tmp_path, BROKEN), catalog)
    events: list[str] = []
    model.subscribe(lambda change: events.append(change.kind))
    model.remove_nodes(["smooth", "blur", "segment", "sizes"])
    model.set_param("classify", "classes", 4)
    model.connect("classify", "mask", "separate", "mask")
    model.connect("separate", "labels", "measure", "labels")
    assert model.problems() == [] and events.count("problems_changed") == 4
    assert model.to_workflow().nodes["measure"].inputs == {"labels": "separate.labels"}


def test_schema_problems_and_the_graph_problems_behind_them(tmp_path: Path, catalog: Catalog) -> None:
    model = EditorModel.open(write(tmp_path, SCHEMA_INVALID), catalog)
    assert [str(p) for p in model.problems()] == [
        "name: required field is missing",
        "nodes.load.colour: unknown field (remove it, or check its spelling against the workflow "
        "schema, core/schema/workflow.schema.json); accepted here: module, params, in, note, resources",
        "nodes.segment.module: 'threshold' is not a module reference; write 'owner/name@version', "
        "e.g. 'lamella/threshold@1'",
        "groups: group 'g' names no node 'nothing'; remove the id from the group or add the node",
        "node 'load', input 'path': no workflow input 'image'; declare it under 'inputs:'",
        "node 'measure', parameter 'labels_are': 'class' is not one of 'instances', 'classes' "
        "(did you mean 'classes'?)",
    ]
    assert [(p.node, p.field) for p in model.problems()][1:3] == [("load", None), ("segment", None)]
    with pytest.raises(WorkflowError) as info:
        model.to_workflow()
    assert info.value.source == str(tmp_path / "wf.yaml") and len(info.value.problems) == 3
    model.set_param("measure", "labels_are", "classes")
    assert model.save().read_text() == SCHEMA_INVALID.replace("labels_are: class}", "labels_are: classes}")


def test_an_unsupported_version_is_a_problem_not_a_refusal(tmp_path: Path, catalog: Catalog) -> None:
    text = "lamella: 2\nname: x\nnodes:\n  a: {module: lamella/load-image@1}\n"
    model = EditorModel.open(write(tmp_path, text), catalog)
    assert model.problems()[0] == EditorProblem(
        None, None, "workflow schema version 2 is not supported; this Lamella reads version 1")


@pytest.mark.parametrize(("text", "message"), [
    ("lamella: 1\nname: [x\n", "line 3: not valid YAML (expected ',' or ']', but got '<stream end>')"),
    ("- a\n- b\n", "not a workflow: a workflow is a YAML mapping with 'lamella', 'name' and 'nodes' keys"),
    ("", "not a workflow: a workflow is a YAML mapping with 'lamella', 'name' and 'nodes' keys"),
    ("lamella: 1\nname: x\nnodes:\n  a: !!python/object/apply:os.system ['echo hacked']\n",
     "the YAML tag '!!python/object/apply:os.system' is not allowed; workflows hold plain data only "
     "(remove the tag)"),
])
def test_text_that_is_no_workflow_is_offered_as_text(tmp_path: Path, catalog: Catalog, text: str,
                                                     message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(OpenError) as info:
        EditorModel.open(path, catalog)
    assert (info.value.message, info.value.text, info.value.path) == (message, text, path)
    assert str(info.value) == f"{path}: {message}"


def test_a_repeated_key_is_refused_with_its_line(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, "lamella: 1\nname: x\nnodes:\n  a: {module: a/b@1}\n  a: {module: a/c@1}\n")
    with pytest.raises(OpenError, match="line 5: not valid YAML"):
        EditorModel.open(path, catalog)


def test_missing_and_binary_files(tmp_path: Path, catalog: Catalog) -> None:
    with pytest.raises(OpenError, match="workflow file not found"):
        EditorModel.open(tmp_path / "none.yaml", catalog)
    (tmp_path / "image.yaml").write_bytes(b"\xff\xd8\xff\xe0 JFIF")
    with pytest.raises(OpenError, match="not a text file") as info:
        EditorModel.open(tmp_path / "image.yaml", catalog)
    assert info.value.text.endswith(" JFIF")


def test_revert_reads_the_file_again(tmp_path: Path, catalog: Catalog) -> None:
    model = EditorModel.open(write(tmp_path, BROKEN), catalog)
    events: list[str] = []
    model.set_param("classify", "classes", 3)
    model.subscribe(lambda change: events.append(change.kind))
    model.revert()
    assert events == ["reset", "dirty_changed"]
    assert model.params("classify")["classes"] == 9 and not model.can_undo and not model.dirty
