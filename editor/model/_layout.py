"""Automatic layout: layered, left to right, one column per topological generation."""

from __future__ import annotations

from collections.abc import Sequence

from ruamel.yaml.comments import CommentedMap

from lamella.editor.model._nodes import set_position
from lamella.editor.model._sections import SectionsMixin
from lamella.editor.model._summary import Summary, Wire
from lamella.editor.model._types import INPUTS_NODE

__all__ = ["COLUMN_SPACING", "ROW_SPACING", "LayoutMixin", "layered_positions"]

COLUMN_SPACING = 260.0  # a node is about 180 scene units wide: room for the wires between
ROW_SPACING = 140.0


def layered_positions(nodes: Sequence[str], wires: Sequence[Wire]) -> dict[str, tuple[float, float]]:
    """Positions with every node right of the nodes it reads from.

    Column ``k`` holds the nodes ``k`` wires away from a source (networkx's topological
    generations; a cycle's nodes share a column). Within a column, nodes sit in the order of
    the mean height of what feeds them, so wires cross less; ties keep the file order.
    """
    import networkx as nx  # the editor's graph library; only the editor imports it

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((s, d) for s, _, d, _ in wires if s in graph and d in graph and s != d)
    condensed = nx.condensation(graph)  # a workflow with a cycle still gets a layout
    members = condensed.graph["mapping"]
    file_order = {node: index for index, node in enumerate(nodes)}
    generation_of = {component: index for index, generation in
                     enumerate(nx.topological_generations(condensed)) for component in generation}
    columns: dict[int, list[str]] = {}
    for node in nodes:
        columns.setdefault(generation_of[members[node]], []).append(node)
    positions: dict[str, tuple[float, float]] = {}
    for column in sorted(columns):
        def height(node: str) -> tuple[float, int]:
            fed_by = [positions[p][1] for p in graph.predecessors(node) if p in positions]
            return (sum(fed_by) / len(fed_by) if fed_by else 0.0), file_order[node]

        ordered = sorted(columns[column], key=height)
        for row, node in enumerate(ordered):
            positions[node] = (column * COLUMN_SPACING, (row - (len(ordered) - 1) / 2) * ROW_SPACING)
    return positions


class LayoutMixin(SectionsMixin):
    """Placing nodes automatically."""

    _layered: tuple[Summary, dict[str, tuple[float, float]]] | None = None  # for one state

    def layered_positions(self) -> dict[str, tuple[float, float]]:
        """Where :meth:`auto_layout` would put each node, without changing anything.

        A view can place nodes the file gives no position this way without marking the
        workflow changed. Worked out once per document state.
        """
        if self._layered is None or self._layered[0] is not self._summary:
            positions = layered_positions(list(self._summary.nodes), self._summary.wires())
            self._layered = (self._summary, positions)
        return dict(self._layered[1])

    def auto_layout(self) -> None:
        """Lay every node out in columns by topological generation (one undo step)."""
        positions = self.layered_positions()
        if INPUTS_NODE in self._summary.positions:  # the inputs sit left of everything
            positions[INPUTS_NODE] = (-COLUMN_SPACING, 0.0)

        def mutate(document: CommentedMap) -> None:
            for node, (x, y) in positions.items():
                set_position(document, node, x, y)

        self._edit("Auto layout", mutate)
