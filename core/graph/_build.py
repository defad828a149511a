"""Build the runnable graph of a workflow, reporting every problem at once.

Checks: each module reference resolves; each wire names a known node/workflow input and
port; wired types are compatible; required inputs are connected; parameters are known and in
range; the graph has no cycles; workflow outputs name real node outputs.
"""

from __future__ import annotations

import dataclasses

from lamella.core._suggest import did_you_mean
from lamella.core.catalog import Catalog, ModuleEntry
from lamella.core.errors import ModuleNotFound, Problem, WorkflowValidationError
from lamella.core.graph._dag import DependencyGraph
from lamella.core.graph._model import ResolvedNode, WorkflowGraph
from lamella.core.manifest import param_problems, resolve_params
from lamella.core.ports import connection_problem
from lamella.core.workflow import Node, WireRef, Workflow, parse_wire_ref

__all__ = ["build_graph"]


def build_graph(workflow: Workflow, catalog: Catalog) -> WorkflowGraph:
    """Resolve and check ``workflow``; raise :class:`WorkflowValidationError` listing all problems."""
    problems: list[Problem] = []
    entries = _resolve_modules(workflow, catalog, problems)
    for node_id, node in workflow.nodes.items():
        entry = entries.get(node_id)
        if entry is not None:
            _check_node(node_id, node, entry, problems)
        _check_wires(workflow, node_id, node, entry, entries, problems)
    _check_outputs(workflow, entries, problems)
    graph = _dependency_graph(workflow)
    problems += _cycle_problems(graph)
    if problems:
        raise WorkflowValidationError(_name(workflow), problems)
    nodes = {
        node_id: ResolvedNode(node_id, _with_resources(entries[node_id], node),
                              resolve_params(entries[node_id].manifest, node.params), node.wires())
        for node_id, node in workflow.nodes.items()
    }
    outputs = {name: _wire(text) for name, text in workflow.outputs.items()}
    return WorkflowGraph(workflow, nodes, graph, graph.topological_order(), outputs)


def _with_resources(entry: ModuleEntry, node: Node) -> ModuleEntry:
    """``entry`` with the node's own ``resources`` over its manifest's (same code, same digest)."""
    if node.resources is None:
        return entry
    given = node.resources.model_dump(exclude_none=True)
    if not given:
        return entry
    manifest = entry.manifest
    changed = manifest.model_copy(update={"resources": manifest.resources.model_copy(update=given)})
    replaced = dataclasses.replace(entry, manifest=changed)
    replaced.__dict__["digest"] = entry.digest  # resources say where it runs, not what it computes
    return replaced


def _name(workflow: Workflow) -> str:
    return str(workflow.source) if workflow.source else f"workflow '{workflow.name}'"


def _wire(text: str) -> WireRef:
    return parse_wire_ref(text)


def _resolve_modules(workflow: Workflow, catalog: Catalog,
                     problems: list[Problem]) -> dict[str, ModuleEntry]:
    entries = {}
    for node_id, node in workflow.nodes.items():
        try:
            entries[node_id] = catalog.resolve(node.module_ref)
        except ModuleNotFound as exc:
            problems.append(Problem(f"node '{node_id}'", str(exc)))
            continue
        if entries[node_id].entrypoint_problem:
            problems.append(Problem(f"node '{node_id}'", str(entries[node_id].entrypoint_problem)))
    return entries


def _check_node(node_id: str, node: Node, entry: ModuleEntry, problems: list[Problem]) -> None:
    manifest = entry.manifest
    for name, message in param_problems(manifest, node.params):
        problems.append(Problem(f"node '{node_id}', parameter '{name}'", message))
    misspelled = set()
    for port in node.inputs:
        if port not in manifest.inputs:
            hint = did_you_mean(port, manifest.inputs)
            misspelled.add(hint.split("'")[1] if hint else "")
            problems.append(Problem(f"node '{node_id}', input '{port}'",
                                    f"{manifest.id} has no input '{port}'{hint}; its inputs: "
                                    f"{', '.join(manifest.inputs) or 'none'}"))
    for port, spec in manifest.inputs.items():
        # A misspelled port is reported once, above, not again as a missing input.
        if spec.required and port not in node.inputs and port not in misspelled:
            problems.append(Problem(f"node '{node_id}'",
                                    f"required input '{port}' ({spec.type}) is not connected"))


def _check_wires(workflow: Workflow, node_id: str, node: Node, entry: ModuleEntry | None,
                 entries: dict[str, ModuleEntry], problems: list[Problem]) -> None:
    for port, wire in node.wires().items():
        where = f"node '{node_id}', input '{port}'"
        source_type = _source_type(workflow, wire, entries, where, problems)
        if source_type is None or entry is None or port not in entry.manifest.inputs:
            continue
        reason = connection_problem(source_type, entry.manifest.inputs[port].type)
        if reason:
            problems.append(Problem(where, f"{reason} (from {wire})"))


def _source_type(workflow: Workflow, wire: WireRef, entries: dict[str, ModuleEntry], where: str,
                 problems: list[Problem]) -> str | None:
    """The port type at the source end of a wire, or None after reporting why it is unknown."""
    if wire.is_workflow_input:
        if wire.port in workflow.inputs:
            return workflow.inputs[wire.port].type
        problems.append(Problem(where, f"no workflow input '{wire.port}'"
                                f"{did_you_mean(wire.port, workflow.inputs)}; declare it under "
                                "'inputs:'"))
        return None
    assert wire.node is not None
    if wire.node not in workflow.nodes:
        problems.append(Problem(where, f"no node named '{wire.node}'"
                                f"{did_you_mean(wire.node, workflow.nodes)}"))
        return None
    source = entries.get(wire.node)
    if source is None:
        return None  # its unknown module is already reported
    outputs = source.manifest.outputs
    if wire.port not in outputs:
        problems.append(Problem(where, f"node '{wire.node}' ({source.manifest.id}) has no output "
                                f"'{wire.port}'{did_you_mean(wire.port, outputs)}; its outputs: "
                                f"{', '.join(outputs)}"))
        return None
    return outputs[wire.port].type


def _check_outputs(workflow: Workflow, entries: dict[str, ModuleEntry],
                   problems: list[Problem]) -> None:
    for name, text in workflow.outputs.items():
        wire = _wire(text)
        where = f"output '{name}'"
        if wire.is_workflow_input:
            problems.append(Problem(where, "a workflow output must come from a node ('node.port')"))
            continue
        _source_type(workflow, wire, entries, where, problems)


def _dependency_graph(workflow: Workflow) -> DependencyGraph:
    graph = DependencyGraph(workflow.nodes)
    for node_id, node in workflow.nodes.items():
        for wire in node.wires().values():
            if wire.node is not None and wire.node in workflow.nodes:
                graph.add_edge(wire.node, node_id)
    return graph


def _cycle_problems(graph: DependencyGraph) -> list[Problem]:
    problems = []
    for cycle in graph.cycles():
        path = " -> ".join([*cycle, cycle[0]])
        problems.append(Problem("graph", f"cycle {path}; a workflow must not loop back on itself"))
    return problems
