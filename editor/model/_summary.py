"""What the views see of a document, and the changes between two such views.

Every edit, undo and redo is a document before and after; the changes the views get are
computed from the two, so an undo emits exactly the inverse of what its edit emitted.

A summary is made once per document state and never changes: what is derived from it (the
wires, which wire feeds an input, which ports of a node are read) is worked out on first use
and kept, so a view asking about each of a large workflow's nodes in turn pays for the wires
once, not once per node.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lamella.core.workflow import parse_wire_ref
from lamella.editor.model._types import INPUTS_NODE, Change

__all__ = ["NodeView", "Summary", "Wire", "diff", "summarize"]

Wire = tuple[str, str, str, str]  # source node ('$inputs' for a workflow input), port, node, port


@dataclass(frozen=True)
class NodeView:
    """One node as written: module reference, parameters, input wires (text) and note."""

    module: str
    params: dict[str, Any]
    inputs: dict[str, str]
    note: str = ""


@dataclass(frozen=True)
class Summary:
    """The document's content in plain values (see :func:`summarize`)."""

    nodes: dict[str, NodeView]
    positions: dict[str, tuple[float, float]]
    inputs: dict[str, dict[str, Any]]
    outputs: dict[str, str]
    groups: dict[str, dict[str, Any]]
    rest: dict[str, Any]  # name, description, version and any unknown key

    def wires(self) -> list[Wire]:
        """Every input wire that parses, in node then port order."""
        return list(self._wires)

    def wire_into(self, node: str, port: str) -> tuple[str, str] | None:
        """``(src_node, src_port)`` of the wire on an input, or None."""
        return self._sources.get((node, port))

    def ports_wired_from(self, node: str) -> list[str]:
        """The node's output ports that wires read, in wire order, each once."""
        return list(self._wired_from.get(node, {}))

    def ports_published_from(self, node: str) -> list[str]:
        """What follows ``node.`` in the named outputs that start so, in their order."""
        return list(self._published_from.get(node, {}))

    @cached_property
    def _wires(self) -> tuple[Wire, ...]:
        found = []
        for node_id, node in self.nodes.items():
            for port, text in node.inputs.items():
                source = _source(text)
                if source is not None:
                    found.append((*source, node_id, port))
        return tuple(found)

    @cached_property
    def _sources(self) -> dict[tuple[str, str], tuple[str, str]]:
        return {(dst, dst_port): (src, src_port) for src, src_port, dst, dst_port in self._wires}

    @cached_property
    def _wired_from(self) -> dict[str, dict[str, None]]:
        ports: dict[str, dict[str, None]] = {}
        for src, src_port, _, _ in self._wires:
            ports.setdefault(src, {})[src_port] = None
        return ports

    @cached_property
    def _published_from(self) -> dict[str, dict[str, None]]:
        # Every prefix up to a '.' is a node the output may name ('a.b.c': node 'a' or 'a.b').
        ports: dict[str, dict[str, None]] = {}
        for text in self.outputs.values():
            for index, char in enumerate(text):
                if char == ".":
                    ports.setdefault(text[:index], {})[text.split(".", 1)[1]] = None
        return ports

    def same_content(self, other: Summary) -> bool:
        """True if only positions differ (validation cannot change)."""
        return (self.nodes, self.inputs, self.outputs, self.groups, self.rest) == (
            other.nodes, other.inputs, other.outputs, other.groups, other.rest)


def _source(text: str) -> tuple[str, str] | None:
    try:
        wire = parse_wire_ref(text)
    except ValueError:
        return None
    return (INPUTS_NODE if wire.node is None else wire.node), wire.port


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def summarize(data: dict[str, Any]) -> Summary:
    """The view of plain document data (as :func:`plain` gives it); tolerates any content."""
    nodes = {}
    for node_id, node in _mapping(data.get("nodes")).items():
        node = _mapping(node)
        module = node.get("module")
        inputs = {str(k): v for k, v in _mapping(node.get("in")).items() if isinstance(v, str)}
        note = node.get("note")
        nodes[node_id] = NodeView(module if isinstance(module, str) else "",
                                  _mapping(node.get("params")), inputs,
                                  note if isinstance(note, str) else "")
    sections = ("nodes", "layout", "inputs", "outputs", "groups")
    return Summary(
        nodes=nodes,
        positions={k: p for k, v in _mapping(data.get("layout")).items()
                   if (p := _position(v)) is not None},
        inputs={k: _mapping(v) for k, v in _mapping(data.get("inputs")).items()},
        outputs={k: v for k, v in _mapping(data.get("outputs")).items() if isinstance(v, str)},
        groups={k: _mapping(v) for k, v in _mapping(data.get("groups")).items()},
        rest={k: v for k, v in data.items() if k not in sections},
    )


def _position(value: Any) -> tuple[float, float] | None:
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        return float(value[0]), float(value[1])
    return None


def diff(before: Summary, after: Summary, renames: dict[str, str] | None = None) -> list[Change]:
    """The changes from ``before`` to ``after``; ``renames`` maps old node ids to new ones.

    Wires are removed before nodes and added after them, so a view never draws a wire to a
    node it does not have. A node whose module changed is removed and added again.
    """
    renames = {old: new for old, new in (renames or {}).items()
               if old in before.nodes and new in after.nodes and old not in after.nodes}
    replaced = {n for n in before.nodes if n in after.nodes and n not in renames
                and before.nodes[n].module != after.nodes[n].module}
    renamed = {**{k: k for k in before.nodes}, **renames}
    wires = _wire_changes(before, after, renamed, replaced)
    removed = [n for n in before.nodes
               if (n not in after.nodes and n not in renames) or n in replaced]
    added = [n for n in after.nodes
             if (n not in before.nodes and n not in renames.values()) or n in replaced]
    nodes = [Change("node_removed", n) for n in removed]
    nodes += [Change("node_renamed", new, detail={"old": old, "new": new})
              for old, new in renames.items()]
    nodes += [Change("node_added", n) for n in added]
    return ([c for c in wires if c.kind == "wire_removed"] + nodes
            + [c for c in wires if c.kind == "wire_added"]
            + _node_changes(before, after, {k: v for k, v in renamed.items() if k not in replaced})
            + _section_changes(before, after))


def _wire_changes(before: Summary, after: Summary, renamed: dict[str, str],
                  replaced: set[str]) -> list[Change]:
    """Removed wires named as before the edit (views drop them first), added ones as after."""
    def key(wire: Wire, renamed: dict[str, str]) -> tuple[Wire, bool]:
        src, src_port, dst, dst_port = wire
        return (renamed.get(src, src), src_port, renamed.get(dst, dst), dst_port), bool(
            {src, dst} & replaced)

    old = {key(w, renamed): w for w in before.wires()}
    new = {key(w, {}): w for w in after.wires()}
    gone = [w for k, w in old.items() if k not in new or k[1]]
    came = [w for k, w in new.items() if k not in old or k[1]]
    return [_wire_change("wire_removed", w) for w in gone] + [
        _wire_change("wire_added", w) for w in came]


def _wire_change(kind: str, wire: Wire) -> Change:
    return Change(kind, wire[2], wire[3], {"src_node": wire[0], "src_port": wire[1]})


def _node_changes(before: Summary, after: Summary, renamed: dict[str, str]) -> list[Change]:
    changes = []
    for old_id, new_id in renamed.items():
        if new_id not in after.nodes:
            continue
        old_params, new_params = before.nodes[old_id].params, after.nodes[new_id].params
        for name in [*old_params, *(n for n in new_params if n not in old_params)]:
            if old_params.get(name, _ABSENT) != new_params.get(name, _ABSENT):
                changes.append(Change("param_changed", new_id, detail={"name": name}))
        if before.nodes[old_id].note != after.nodes[new_id].note:
            changes.append(Change("note_changed", new_id))
    old_positions = {renamed.get(k, k): v for k, v in before.positions.items()}
    for node_id in [*old_positions, *(k for k in after.positions if k not in old_positions)]:
        if old_positions.get(node_id) != after.positions.get(node_id) and (
                node_id in after.nodes or node_id == INPUTS_NODE):
            changes.append(Change("moved", node_id))
    return changes


_ABSENT = object()


def _section_changes(before: Summary, after: Summary) -> list[Change]:
    pairs = [("inputs_changed", before.inputs, after.inputs),
             ("outputs_changed", before.outputs, after.outputs),
             ("groups_changed", before.groups, after.groups)]
    return [Change(kind) for kind, old, new in pairs if old != new]
