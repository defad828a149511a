"""The checkable part of a schema-invalid document, so its graph problems show too.

Each part the schema refuses is set aside (a bad wire, parameter section or node; a bad
optional section) or given a neutral value (a missing name), and the rest is validated again.
The document itself is never changed: this works on a copy of its plain data.
"""

from __future__ import annotations

import copy
from typing import Any

import pydantic

from lamella.core.errors import Problem
from lamella.core.manifest import pydantic_problems
from lamella.core.workflow import SCHEMA_VERSION, Workflow

__all__ = ["salvage"]

_ROUNDS = 8  # each round sets aside everything refused in it; a few rounds always suffice
_NEUTRAL = {"lamella": SCHEMA_VERSION, "name": "untitled"}


def salvage(data: dict[str, Any]) -> tuple[Workflow | None, set[str], list[Problem]]:
    """A valid workflow made of what is valid in ``data``, and what was set aside for it.

    Also returns the node ids set aside, and the problems found only once the first ones
    were set aside (a group naming a broken node). The workflow is None if nothing checkable
    is left (no nodes, or a broken nodes section).
    """
    data = copy.deepcopy(data)
    set_aside: set[str] = set()
    later: list[Problem] = []
    for round_number in range(_ROUNDS):
        data.update({k: v for k, v in _NEUTRAL.items() if data.get(k) != v})
        try:
            return Workflow.model_validate(data), set_aside, later
        except pydantic.ValidationError as exc:
            locations = [tuple(str(p) for p in e["loc"]) for e in exc.errors()]
            if round_number:  # the first round's problems are the ones already reported
                later += pydantic_problems(exc, root=Workflow, schema="workflow")
        if not all(_set_aside(data, loc, set_aside) for loc in locations):
            return None, set_aside, later
    return None, set_aside, later


def _set_aside(data: dict[str, Any], loc: tuple[str, ...], set_aside: set[str]) -> bool:
    """Remove the refused part at ``loc``; False if the document cannot be checked without it."""
    if not loc or loc[0] in _NEUTRAL:
        return bool(loc)
    if loc[0] == "nodes":
        return len(loc) > 1 and _set_aside_in_node(data["nodes"], loc[1:], set_aside)
    if len(loc) > 1 and isinstance(data.get(loc[0]), dict) and loc[1] != "[key]":
        data[loc[0]].pop(loc[1], None)  # one bad entry of inputs, outputs, layout or groups
    else:
        data.pop(loc[0], None)  # a broken optional section, or an unknown key
    return True


def _set_aside_in_node(nodes: Any, loc: tuple[str, ...], set_aside: set[str]) -> bool:
    node_id = loc[0]
    node = nodes.get(node_id) if isinstance(nodes, dict) else None
    if not isinstance(node, dict) or len(loc) < 2 or loc[1] == "[key]" or loc[1] == "module":
        if isinstance(nodes, dict):
            nodes.pop(node_id, None)
        set_aside.add(node_id)
        return bool(nodes)
    section = node.get(loc[1])
    if loc[1] in ("in", "params") and len(loc) > 2 and isinstance(section, dict):
        section.pop(loc[2], None)
    else:
        node.pop(loc[1], None)  # a broken section, or an unknown key of the node
    return True
