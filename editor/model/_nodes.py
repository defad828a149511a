"""Node edits: add, remove, rename, parameters, notes and positions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ruamel.yaml.comments import CommentedMap

from lamella.core.errors import LamellaError
from lamella.core.workflow import check_node_id, parse_module_ref, parse_wire_ref
from lamella.editor.model._doc import (
    NODE_KEYS,
    delete_inner,
    delete_key,
    ensure_mapping,
    flow_seq,
    insert_ordered,
    mapping_at,
    node_map,
    rename_key,
    section,
)
from lamella.editor.model._types import INPUTS_NODE
from lamella.editor.model._wiring import WiringMixin
from lamella.editor.model._yamlio import yaml_value

__all__ = ["NodesMixin", "unique_id"]

_MAX_BASE = 56  # leaves room for '-NNN' within the 64 characters a node id may have
_NUMBERED = re.compile(r"^(?P<base>.+)-\d+$")


def unique_id(base: str, taken: Iterable[str]) -> str:
    """A node id from ``base`` not in ``taken``: 'threshold', then 'threshold-2', ..."""
    taken = set(taken)
    base = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-_")
    base = re.sub(r"^[^a-z]+", "", base)[:_MAX_BASE].rstrip("-_") or "node"
    numbered = _NUMBERED.match(base)
    if base in taken and numbered:
        base = numbered["base"]
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def set_position(document: CommentedMap, node: str, x: float, y: float) -> None:
    """Write a position into ``layout`` in whole scene units (finer is noise in a file)."""
    section(document, "layout")[node] = flow_seq([round(x), round(y)])


def forget_nodes(document: CommentedMap, ids: set[str]) -> None:
    """Remove the nodes' wires, outputs, layout entries and group memberships."""
    for node in section(document, "nodes").values():
        wires = mapping_at(node, "in")
        if wires is None:
            continue
        for port, text in list(wires.items()):
            if _wire_source(text) in ids:
                delete_key(wires, port)
        if not wires:
            delete_key(node, "in")
    outputs, layout = mapping_at(document, "outputs"), mapping_at(document, "layout")
    if outputs is not None:
        for name, text in list(outputs.items()):
            if _wire_source(text) in ids:
                delete_key(outputs, name)
    if layout is not None:
        for node_id in [k for k in layout if k in ids]:
            delete_key(layout, node_id)
    for members in _group_lists(document):
        for index in reversed(range(len(members))):
            if members[index] in ids:
                del members[index]
    # An emptied layout goes (the editor owns it); an emptied 'outputs:' stays with its comments.
    if layout is not None and not layout:
        delete_key(document, "layout")


def _group_lists(document: CommentedMap) -> list[list[object]]:
    """The node lists of the groups (the ones that are lists)."""
    groups = (mapping_at(document, "groups") or CommentedMap()).values()
    lists = [group.get("nodes") for group in groups if isinstance(group, dict)]
    return [members for members in lists if isinstance(members, list)]


def _wire_source(text: object) -> str | None:
    try:
        return parse_wire_ref(str(text)).node
    except ValueError:
        return None


def _rename_references(document: CommentedMap, old: str, new: str) -> None:
    for node in section(document, "nodes").values():
        wires = mapping_at(node, "in") or CommentedMap()
        for port, text in wires.items():
            if _wire_source(text) == old:
                wires[port] = f"{new}.{parse_wire_ref(str(text)).port}"
    outputs = mapping_at(document, "outputs") or CommentedMap()
    for name, text in outputs.items():
        if _wire_source(text) == old:
            outputs[name] = f"{new}.{parse_wire_ref(str(text)).port}"
    layout = mapping_at(document, "layout")
    if layout is not None and old in layout:
        rename_key(layout, old, new)
    for members in _group_lists(document):
        for index, member in enumerate(members):
            if member == old:
                members[index] = new


class NodesMixin(WiringMixin):
    """Adding, removing and changing nodes."""

    def add_node(self, module_ref: str, position: tuple[float, float] = (0, 0),
                 node_id: str | None = None) -> str:
        """Add a node running ``module_ref``; its id comes from the module name unless given."""
        module_ref = self._pinned(module_ref)
        if node_id is None:
            node_id = unique_id(module_ref.split("@")[0].rsplit("/", 1)[-1], self._summary.nodes)
        check_node_id(node_id)
        if node_id in self._summary.nodes:
            raise ValueError(f"there is already a node '{node_id}'; choose another id")

        def mutate(document: CommentedMap) -> None:
            section(document, "nodes")[node_id] = CommentedMap([("module", module_ref)])
            set_position(document, node_id, *position)

        self._edit(f"Add node '{node_id}'", mutate)
        return node_id

    def _pinned(self, module_ref: str) -> str:
        """The reference with its major version when given without one (the file must pin one)."""
        ref = parse_module_ref(module_ref)  # ValueError with an example if not a reference
        if ref.version is not None:
            return module_ref.strip()
        try:
            return f"{ref.id}@{self.catalog.resolve(ref).manifest.version.split('.')[0]}"
        except LamellaError:
            return module_ref.strip()  # not installed: kept, and reported as a problem

    def remove_nodes(self, ids: Iterable[str]) -> None:
        """Remove nodes with their wires, outputs, layout entries and group memberships."""
        ids = list(dict.fromkeys(ids))
        for node in ids:
            self._node_view(node)
        if not ids:
            return

        def mutate(document: CommentedMap) -> None:
            nodes = section(document, "nodes")
            for node in ids:
                delete_key(nodes, node)
            forget_nodes(document, set(ids))

        self._edit(f"Remove node '{ids[0]}'" if len(ids) == 1 else f"Remove {len(ids)} nodes", mutate)

    def rename_node(self, old: str, new: str) -> None:
        """Give a node a new id; every wire, output, position and group follows it."""
        self._node_view(old)
        if new == old:
            return
        check_node_id(new)
        if new in self._summary.nodes:
            raise ValueError(f"there is already a node '{new}'; choose another id")

        def mutate(document: CommentedMap) -> None:
            rename_key(section(document, "nodes"), old, new)
            _rename_references(document, old, new)

        self._edit(f"Rename '{old}' to '{new}'", mutate, renames={old: new})

    def set_param(self, node: str, name: str, value: object) -> None:
        """Set a parameter as the file will hold it (checked by validation, not refused here)."""
        self._node_view(node)

        def mutate(document: CommentedMap) -> None:
            params = ensure_mapping(node_map(document, node), "params", NODE_KEYS, flow=True)
            params[name] = yaml_value(value)

        self._edit(f"Set '{name}' of '{node}'", mutate)

    def reset_param(self, node: str, name: str) -> None:
        """Remove a parameter from the file, so the module's default applies."""
        self._node_view(node)

        def mutate(document: CommentedMap) -> None:
            delete_inner(node_map(document, node), "params", name)

        self._edit(f"Reset '{name}' of '{node}'", mutate)

    def set_note(self, node: str, text: str) -> None:
        """Set the node's free-text note ('' removes it)."""
        self._node_view(node)

        def mutate(document: CommentedMap) -> None:
            node_mapping = node_map(document, node)
            if not text:
                if "note" in node_mapping:
                    delete_key(node_mapping, "note")
            elif "note" in node_mapping:
                node_mapping["note"] = yaml_value(text)
            else:
                insert_ordered(node_mapping, "note", yaml_value(text), NODE_KEYS)

        self._edit(f"Set the note of '{node}'", mutate)

    def move(self, node: str, x: float, y: float) -> None:
        """Place a node; moves of the same node until :meth:`end_move` are one undo step."""
        self.move_many({node: (x, y)})

    def move_many(self, positions: Mapping[str, tuple[float, float]]) -> None:
        """Place several nodes at once ('$inputs' too); one undo step per drag, as :meth:`move`."""
        for node in positions:
            if node != INPUTS_NODE:
                self._node_view(node)
        if not positions:
            return

        def mutate(document: CommentedMap) -> None:
            for node, (x, y) in positions.items():
                set_position(document, node, x, y)

        names = list(positions)
        label = f"Move '{names[0]}'" if len(names) == 1 else f"Move {len(names)} nodes"
        self._edit(label, mutate, merge=("move", frozenset(names)))
