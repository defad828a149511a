"""Typed wiring: which wires are refused and why, connecting and disconnecting.

A refused wire changes nothing and says why in one line, the core's compatibility table
wording for a type mismatch. A module that is not installed has ports of unknown type, so
its wires are not type-checked (the problem is the missing module, reported already).
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from lamella.core._suggest import did_you_mean
from lamella.core.ports import connection_problem as type_problem
from lamella.editor.model._doc import (
    NODE_KEYS,
    delete_inner,
    ensure_mapping,
    node_map,
)
from lamella.editor.model._reading import ReadingMixin
from lamella.editor.model._types import INPUTS_NODE

__all__ = ["WiringMixin", "wire_text"]


def wire_text(src_node: str, src_port: str) -> str:
    """How the file writes the source end of a wire: 'load.image' or '$inputs.image'."""
    return f"$inputs.{src_port}" if src_node == INPUTS_NODE else f"{src_node}.{src_port}"


class WiringMixin(ReadingMixin):
    """Connecting outputs to inputs, refusing what the workflow could not run."""

    def connection_problem(self, src_node: str, src_port: str, dst_node: str,
                           dst_port: str) -> str | None:
        """Why the wire ``src_node.src_port -> dst_node.dst_port`` is refused; None if allowed."""
        if dst_node == INPUTS_NODE:
            return "workflow inputs take no wires; wire a node's input instead"
        for node in (src_node, dst_node):
            if node != INPUTS_NODE and node not in self._summary.nodes:
                return f"no node '{node}' in the workflow"
        if src_node == dst_node:
            return f"cannot wire node '{src_node}' to itself"
        src_type, problem = self._port_type(src_node, src_port, "output")
        if problem:
            return problem
        dst_type, problem = self._port_type(dst_node, dst_port, "input")
        if problem:
            return problem
        if src_type is not None and dst_type is not None:
            reason = type_problem(src_type, dst_type)
            if reason:
                return reason
        return self._cycle_problem(src_node, dst_node, dst_port)

    def _port_type(self, node: str, port: str, kind: str) -> tuple[str | None, str | None]:
        """The port's type (None: unknown, not checked) or why there is no such port."""
        if node == INPUTS_NODE:
            spec = self._summary.inputs.get(port)
            if spec is None:
                return None, (f"no workflow input '{port}'{did_you_mean(port, self._summary.inputs)}; "
                              "add it to the workflow inputs first")
            return str(spec.get("type")), None
        manifest = self.manifest(node)
        if manifest is None:  # not installed: any port its wires name, of unknown type
            known = [p.name for p in (self.outputs_of(node) if kind == "output" else self.inputs_of(node))]
            if port in known or kind == "output":
                return None, None
            return None, f"node '{node}' ({self.module_ref(node)}, not installed) has no known input '{port}'"
        ports = manifest.outputs if kind == "output" else manifest.inputs
        if port not in ports:
            return None, (f"node '{node}' ({manifest.id}) has no {kind} '{port}'"
                          f"{did_you_mean(port, ports)}; its {kind}s: {', '.join(ports) or 'none'}")
        return ports[port].type, None

    def _cycle_problem(self, src_node: str, dst_node: str, dst_port: str) -> str | None:
        if src_node == INPUTS_NODE:
            return None
        import networkx as nx  # the editor's graph library; only the editor imports it

        graph = nx.DiGraph()
        graph.add_nodes_from(self._summary.nodes)
        graph.add_edges_from((s, d) for s, _, d, p in self._summary.wires()
                             if s in self._summary.nodes and (d, p) != (dst_node, dst_port))
        if not nx.has_path(graph, dst_node, src_node):
            return None
        path = nx.shortest_path(graph, dst_node, src_node)
        return f"would make a cycle: {' -> '.join([src_node, *path])}"

    def connect(self, src_node: str, src_port: str, dst_node: str, dst_port: str) -> str | None:
        """Wire an output to an input, replacing the input's wire; returns a refusal reason.

        A refused wire changes nothing. Connecting is one undo step, replacement included.
        """
        problem = self.connection_problem(src_node, src_port, dst_node, dst_port)
        if problem:
            return problem

        def mutate(document: CommentedMap) -> None:
            wires = ensure_mapping(node_map(document, dst_node), "in", NODE_KEYS, flow=True)
            wires[dst_port] = wire_text(src_node, src_port)

        self._edit(f"Connect '{wire_text(src_node, src_port)}' to '{dst_node}.{dst_port}'", mutate)
        return None

    def disconnect(self, dst_node: str, dst_port: str) -> None:
        """Remove the wire on an input (no-op if it has none)."""
        def mutate(document: CommentedMap) -> None:
            delete_inner(node_map(document, dst_node), "in", dst_port)

        self._node_view(dst_node)
        self._edit(f"Disconnect '{dst_node}.{dst_port}'", mutate)
