"""Workflow YAML: safe loading, exact errors, and load -> save -> load round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.errors import WorkflowError, WorkflowFileError
from lamella.core.workflow import dump_workflow, load_workflow, parse_workflow, save_workflow

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
lamella: 1
name: nanoparticle-size-distribution
description: Sizes of SEM nanoparticles.
inputs:
  image: {type: image, default: ../data/particles.tif}
nodes:
  load: {module: lamella/load-image@1, params: {crop_info_bar: auto}, in: {path: $inputs.image}}
  segment: {module: lamella/threshold@1, params: {method: otsu, min_area: 50 nm^2}, in: {image: load.image}}
  measure: {module: lamella/measure@1, in: {labels: segment.mask, image: load.image}}
outputs: {sizes: measure.table}
layout: {load: [0, 0], segment: [220, 0]}
"""


def test_parse_fields() -> None:
    workflow = parse_workflow(GOOD, source=Path("/data/wf/a.yaml"))
    assert workflow.name == "nanoparticle-size-distribution"
    assert workflow.nodes["segment"].params == {"method": "otsu", "min_area": "50 nm^2"}
    assert str(workflow.nodes["measure"].wires()["labels"]) == "segment.mask"
    assert workflow.nodes["load"].wires()["path"].is_workflow_input
    assert workflow.nodes["load"].module_ref.version == "1"
    assert workflow.layout["segment"] == (220.0, 0.0)
    assert workflow.resolve_path("../data/particles.tif") == Path("/data/data/particles.tif")


def test_load_save_load_is_identity(tmp_path: Path) -> None:
    first = parse_workflow(GOOD)
    path = save_workflow(first, tmp_path / "wf.yaml")
    second = load_workflow(path)
    assert second == first
    assert dump_workflow(second) == path.read_text()
    assert path.read_text().startswith("lamella: 1\nname: nanoparticle-size-distribution\n")


@pytest.mark.parametrize("example", sorted((REPO / "examples" / "workflows").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_examples_round_trip(example: Path, tmp_path: Path) -> None:
    workflow = load_workflow(example)
    assert load_workflow(save_workflow(workflow, tmp_path / example.name)) == workflow


def test_python_tag_refused() -> None:
    text = "lamella: 1\nname: x\nnodes:\n  a: !!python/object/apply:os.system ['echo hacked']\n"
    with pytest.raises(WorkflowFileError) as info:
        parse_workflow(text, source=Path("wf.yaml"))
    assert str(info.value) == (
        "wf.yaml line 4: the YAML tag '!!python/object/apply:os.system' is not allowed; workflows "
        "hold plain data only (remove the tag)")


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nnodes: {}\n", "wf.yaml: 'lamella: 1' is missing; a workflow starts with the schema "
     "version it is written for"),
    ("lamella: 2\nname: x\n", "wf.yaml: workflow schema version 2 is not supported; this Lamella "
     "reads version 1"),
    ("- a\n- b\n", "wf.yaml: a workflow is a YAML mapping with 'lamella', 'name' and 'nodes' keys"),
    ("lamella: 1\nname: [x\n", "wf.yaml line 3: not valid YAML (did not find expected ',' or ']')"),
    ("lamella: 1\nname: x\nnodes:\n  gen: {module: a/b@1}\n  gen: {module: a/c@1}\n",
     "wf.yaml line 5: 'gen' appears twice; give each key once"),
])
def test_unreadable_workflows(text: str, message: str) -> None:
    with pytest.raises(WorkflowFileError) as info:
        parse_workflow(text, source=Path("wf.yaml"))
    assert str(info.value) == message


@pytest.mark.parametrize(("text", "problem"), [
    ("lamella: 1\nname: x\nnodes:\n  Seg ment: {module: a/b@1}\n",
     "nodes.Seg ment: 'Seg ment' is not a valid node id. A node id is a lower-case name of letters, "
     "digits, '-' and '_', starting with a letter, e.g. 'segment'."),
    ("lamella: 1\nname: x\nnodes:\n  a: {module: threshold}\n",
     "nodes.a.module: 'threshold' is not a module reference; write 'owner/name@version', e.g. "
     "'lamella/threshold@1'"),
    ("lamella: 1\nname: x\nnodes:\n  a: {module: lamella/threshold}\n",
     "nodes.a.module: 'lamella/threshold' does not say which version; pin one, e.g. "
     "'lamella/threshold@1' (`lamella modules show lamella/threshold` shows the versions found)"),
    ("lamella: 1\nname: x\nnodes:\n  a: {module: a/b@1, in: {image: load image}}\n",
     "nodes.a.in.image: 'load image' is not a connection; write 'node.port' (e.g. 'load.image') or "
     "'$inputs.name' (e.g. '$inputs.image')"),
    ("lamella: 1\nname: x\nnodes:\n  a: {module: a/b@1, parms: {}}\n",
     "nodes.a.parms: unknown field (did you mean 'params'?)"),
    ("lamella: 1\nname: x\nnodes:\n  a: {module: a/b@1, colour: red}\n",
     "nodes.a.colour: unknown field (remove it, or check its spelling against the workflow schema, "
     "core/schema/workflow.schema.json); accepted here: module, params, in, note, resources"),
    ("lamella: 1\nname: x\ninputs:\n  image: {type: image, defualt: a.tif}\nnodes:\n  a: {module: a/b@1}\n",
     "inputs.image.defualt: unknown field (did you mean 'default'?)"),
    ("lamella: 1\nname: x\nnodes: {}\n",
     "nodes: a workflow needs at least one node, e.g. load: {module: lamella/load-image@1}"),
    ("lamella: 1\nname: x\nnodes:\n  a:\n",
     "nodes.a: a node is a mapping with a 'module' (and its 'params' and 'in'), got nothing; "
     "e.g. segment: {module: lamella/threshold@1, in: {image: load.image}}"),
    ("lamella: 1\nname: x\nnodes:\n  a: {module: a/b@1, params: [1, 2]}\n",
     "nodes.a.params: must be a mapping of names to values (name: value), got [1, 2]"),
    ("lamella: 1\nname: 5\nnodes:\n  a: {module: a/b@1}\n", "name: must be text, got 5"),
])
def test_schema_problems_located(text: str, problem: str) -> None:
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, source=Path("wf.yaml"))
    assert [str(p) for p in info.value.problems] == [problem]


def test_missing_file() -> None:
    with pytest.raises(WorkflowFileError) as info:
        load_workflow(Path("/nonexistent/wf.yaml"))
    assert str(info.value) == "/nonexistent/wf.yaml: workflow file not found (check the path)"


def test_save_is_atomic_and_leaves_no_temporary(tmp_path: Path) -> None:
    save_workflow(parse_workflow(GOOD), tmp_path / "wf.yaml")
    assert [p.name for p in tmp_path.iterdir()] == ["wf.yaml"]


def test_empty_sections_mean_none() -> None:
    workflow = parse_workflow("lamella: 1\nname: x\nnodes:\n  a: {module: a/b@1, params: , in: }\n"
                              "outputs:\n")
    assert workflow.nodes["a"].params == {} and workflow.nodes["a"].inputs == {}
    assert workflow.outputs == {}


@pytest.mark.parametrize("word", ["off", "on", "yes", "no", "Off", "NO"])
def test_yaml_1_1_switch_words_stay_text(word: str) -> None:
    workflow = parse_workflow(f"lamella: 1\nname: x\nnodes:\n  a: {{module: a/b@1, params: {{v: {word}}}}}\n")
    assert workflow.nodes["a"].params == {"v": word}


@pytest.mark.parametrize(("word", "value"), [("true", True), ("False", False), ("TRUE", True)])
def test_true_and_false_are_booleans(word: str, value: bool) -> None:
    workflow = parse_workflow(f"lamella: 1\nname: x\nnodes:\n  a: {{module: a/b@1, params: {{v: {word}}}}}\n")
    assert workflow.nodes["a"].params == {"v": value}
