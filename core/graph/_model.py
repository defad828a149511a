"""A validated workflow: every node resolved to a module, wires typed, order fixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamella.core.catalog import ModuleEntry
from lamella.core.graph._dag import DependencyGraph
from lamella.core.workflow import WireRef, Workflow

__all__ = ["ResolvedNode", "WorkflowGraph"]


@dataclass
class ResolvedNode:
    """A workflow node bound to the module that runs it and its full parameter values."""

    id: str
    entry: ModuleEntry
    params: dict[str, Any]
    wires: dict[str, WireRef]

    @property
    def module_ref(self) -> str:
        """``id@version`` of the module, exactly."""
        return self.entry.manifest.ref


@dataclass
class WorkflowGraph:
    """The runnable form of a workflow. Build it with :func:`build_graph`."""

    workflow: Workflow
    nodes: dict[str, ResolvedNode]
    graph: DependencyGraph
    order: list[str]
    outputs: dict[str, WireRef]

    def upstream(self, node_id: str) -> list[str]:
        """Nodes whose outputs ``node_id`` reads directly."""
        return sorted(self.graph.predecessors(node_id))

    def needed_for(self, targets: list[str]) -> set[str]:
        """``targets`` and every node they read from, directly or not."""
        needed: set[str] = set()
        stack = list(targets)
        while stack:
            current = stack.pop()
            if current not in needed:
                needed.add(current)
                stack.extend(self.graph.predecessors(current))
        return needed

    def downstream(self, node_id: str) -> set[str]:
        """Every node that depends on ``node_id``, directly or not."""
        return self.graph.descendants(node_id)
