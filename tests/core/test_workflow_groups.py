"""Workflow groups: the optional section the editor draws as backdrops; schema version stays 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.errors import WorkflowError
from lamella.core.workflow import Group, dump_workflow, load_workflow, parse_workflow, save_workflow

BASE = """\
lamella: 1
name: x
nodes:
  load: {module: lamella/load-image@1}
  segment: {module: lamella/threshold@1, in: {image: load.image}}
"""


def test_groups_parse_with_their_fields() -> None:
    workflow = parse_workflow(BASE + "groups:\n  find: {nodes: [load, segment], note: Find particles, "
                              "color: '#3a6ea5'}\n  empty: {}\n")
    assert workflow.groups["find"] == Group(nodes=["load", "segment"], note="Find particles",
                                            color="#3a6ea5")
    assert workflow.groups["empty"] == Group()
    assert workflow.lamella == 1


def test_a_workflow_without_groups_has_none() -> None:
    assert parse_workflow(BASE).groups == {}


def test_groups_survive_save_and_load(tmp_path: Path) -> None:
    first = parse_workflow(BASE + "groups:\n  find: {nodes: [segment], note: Edges}\n")
    second = load_workflow(save_workflow(first, tmp_path / "wf.yaml"))
    assert second == first
    assert "groups:\n  find: {nodes: [segment], note: Edges}\n" in dump_workflow(second)


@pytest.mark.parametrize(("groups", "problem"), [
    ("  find: {nodes: [load, segmnet]}\n",
     "groups: group 'find' names no node 'segmnet' (did you mean 'segment'?); remove the id from "
     "the group or add the node"),
    ("  a: {nodes: [x]}\n  b: {nodes: [y]}\n",
     "groups: group 'a' names no node 'x'; group 'b' names no node 'y'; remove the id from the "
     "group or add the node"),
    ("  find: {nodes: [load], color: red}\n",
     "groups.find.color: 'red' is not a colour; write '#rrggbb', e.g. '#3a6ea5'"),
    ("  find: {nodes: [load], colour: '#ffffff'}\n",
     "groups.find.colour: unknown field (did you mean 'color'?)"),
])
def test_bad_groups_are_located(groups: str, problem: str) -> None:
    with pytest.raises(WorkflowError) as info:
        parse_workflow(BASE + "groups:\n" + groups, source=Path("wf.yaml"))
    assert [str(p) for p in info.value.problems] == [problem]


def test_a_workflow_without_groups_dumps_as_before_groups_existed() -> None:
    # Run records hash this dump; adding the optional section must not change old workflows' hash.
    assert "groups" not in parse_workflow(BASE).model_dump(mode="json", by_alias=True, exclude={"layout"})
    grouped = parse_workflow(BASE + "groups:\n  find: {nodes: [load]}\n")
    assert grouped.model_dump()["groups"] == {"find": {"nodes": ["load"], "note": "", "color": None}}
