"""Workflow graphs: resolve modules, check wiring, order the steps."""

from lamella.core.graph._build import build_graph
from lamella.core.graph._model import ResolvedNode, WorkflowGraph

__all__ = ["ResolvedNode", "WorkflowGraph", "build_graph"]
