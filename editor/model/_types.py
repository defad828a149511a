"""The values the editor model hands to its views: changes, ports, problems, open errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core.errors import LamellaError

__all__ = ["CHANGE_KINDS", "INPUTS_NODE", "Change", "EditorProblem", "OpenError", "PortInfo"]

# The source node of a wire from a workflow input ('$inputs.image' in the file).
INPUTS_NODE = "$inputs"

CHANGE_KINDS = frozenset({
    "reset",            # the whole document was replaced: rebuild every view
    "node_added", "node_removed",
    "node_renamed",     # detail: old, new; node is the new id
    "wire_added", "wire_removed",  # node/port: the destination input; detail: src_node, src_port
    "param_changed",    # node; detail: name
    "note_changed",     # node
    "moved",            # node (or '$inputs')
    "inputs_changed", "outputs_changed", "groups_changed",
    "dirty_changed",    # the document now differs from the file, or no longer does
    "problems_changed",  # the validation result differs after a change: read problems() again
})


@dataclass(frozen=True)
class Change:
    """One thing that changed in the model, for views to update themselves."""

    kind: str
    node: str | None = None
    port: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PortInfo:
    """An input or output port of a node as the canvas draws it."""

    name: str
    type: str
    description: str
    required: bool


@dataclass(frozen=True)
class EditorProblem:
    """A validation problem located for the window.

    ``node`` and ``field`` (a parameter or input port name) say what to select and focus;
    ``where`` is the core's own location text and ``nodes`` every node involved (a cycle).
    """

    node: str | None
    field: str | None
    message: str
    where: str = ""
    nodes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class OpenError(LamellaError):
    """A workflow file the editor cannot edit (not YAML, or not a workflow's structure).

    ``text`` is the file's text, so the window can still show it.
    """

    def __init__(self, path: Path | str, message: str, text: str) -> None:
        self.path = Path(path)
        self.message = message
        self.text = text
        super().__init__(f"{path}: {message}")
