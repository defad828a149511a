"""Copy and paste of nodes as YAML text (so a paste works across windows and files)."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from lamella.core.workflow import parse_wire_ref
from lamella.editor.model._doc import delete_key, mapping_at, section
from lamella.editor.model._layout import LayoutMixin
from lamella.editor.model._nodes import set_position, unique_id
from lamella.editor.model._yamlio import read_document, write_document

__all__ = ["CLIPBOARD_KEY", "ClipboardMixin"]

CLIPBOARD_KEY = "lamella-clipboard"  # marks the text as copied nodes, not a whole workflow


def _keep_wires(node: object, keep: set[str]) -> None:
    """Drop the node's wires from nodes outside ``keep`` (workflow inputs stay wired)."""
    wires = mapping_at(node, "in")
    if wires is None:
        return
    for port, text in list(wires.items()):
        try:
            source = parse_wire_ref(str(text)).node
        except ValueError:
            continue  # not a wire at all: kept as the file had it, and reported
        if source is not None and source not in keep:
            delete_key(wires, port)
    if not wires and isinstance(node, CommentedMap):
        delete_key(node, "in")


class ClipboardMixin(LayoutMixin):
    """Copy nodes to text and paste them back under new ids."""

    def copy(self, ids: Iterable[str]) -> str:
        """YAML text of the nodes with their parameters, notes, positions and the wires between them."""
        ids = list(dict.fromkeys(ids))
        for node in ids:
            self._node_view(node)
        nodes = mapping_at(self._document, "nodes") or CommentedMap()  # reading: never adds a section
        clip = CommentedMap([(CLIPBOARD_KEY, 1), ("nodes", CommentedMap())])
        for node in ids:
            clip["nodes"][node] = copy.deepcopy(nodes[node])
            _keep_wires(clip["nodes"][node], set(ids))
        placed = {node: self._summary.positions[node] for node in ids if node in self._summary.positions}
        if placed:
            clip["layout"] = CommentedMap()
            for node, (x, y) in placed.items():
                set_position(clip, node, x, y)
        return write_document(clip, self._format)

    def paste(self, text: str, offset: tuple[float, float] = (40, 40)) -> list[str]:
        """Add the nodes in copied text under new unique ids; returns the ids, in order.

        Wires among the pasted nodes are kept (renamed), wires from workflow inputs too; the
        text may also be a whole workflow. One undo step.
        """
        try:
            clip, _ = read_document(text)
        except YAMLError:
            clip = None
        pasted = mapping_at(clip, "nodes")
        if not pasted:
            raise ValueError("the clipboard holds no Lamella nodes (copy nodes from a workflow first)")
        taken = set(self._summary.nodes)
        new_ids: dict[str, str] = {}
        for old in pasted:
            new_ids[str(old)] = unique_id(str(old), taken)
            taken.add(new_ids[str(old)])
        layout = mapping_at(clip, "layout") or CommentedMap()

        def mutate(document: CommentedMap) -> None:
            nodes = section(document, "nodes")
            for old, new in new_ids.items():
                node = pasted[old]
                _keep_wires(node, set(new_ids))
                for port, wire in list((mapping_at(node, "in") or {}).items()):
                    ref = _ref(wire)
                    if ref is not None and ref[0] in new_ids:
                        node["in"][port] = f"{new_ids[ref[0]]}.{ref[1]}"
                nodes[new] = node
                place = layout.get(old)
                if isinstance(place, list) and len(place) == 2 and all(
                        isinstance(v, int | float) and not isinstance(v, bool) for v in place):
                    set_position(document, new, place[0] + offset[0], place[1] + offset[1])

        ids = list(new_ids.values())
        self._edit(f"Paste node '{ids[0]}'" if len(ids) == 1 else f"Paste {len(ids)} nodes", mutate)
        return ids


def _ref(text: object) -> tuple[str, str] | None:
    try:
        wire = parse_wire_ref(str(text))
    except ValueError:
        return None
    return (wire.node, wire.port) if wire.node is not None else None
