"""A node's ports: from its module's manifest, plus the ones its wires name.

A wire the file names keeps its port on the canvas even when the module has no such port
(a misspelt port, or a module that is not installed, whose ports are known only from the
wires), so the user sees the wire, and the problem, instead of losing it.
"""

from __future__ import annotations

from lamella.core.manifest import Manifest
from lamella.editor.model._summary import Summary
from lamella.editor.model._types import INPUTS_NODE, PortInfo

__all__ = ["UNKNOWN_TYPE", "input_ports", "output_ports", "workflow_input_ports"]

# The type shown for a port known only from a wire; its real type is not known.
UNKNOWN_TYPE = "file"


def input_ports(summary: Summary, node: str, manifest: Manifest | None) -> list[PortInfo]:
    """The node's input ports: its module's, then any other its wires name."""
    ports = [] if manifest is None else [
        PortInfo(name, spec.type, spec.description, spec.required)
        for name, spec in manifest.inputs.items()]
    known = {p.name for p in ports}
    extra = [port for port in summary.nodes[node].inputs if port not in known]
    return ports + [_extra(port, manifest, "input") for port in extra]


def output_ports(summary: Summary, node: str, manifest: Manifest | None) -> list[PortInfo]:
    """The node's output ports: its module's, then any other a wire or output reads."""
    ports = [] if manifest is None else [
        PortInfo(name, spec.type, spec.description, False)
        for name, spec in manifest.outputs.items()]
    known = {p.name for p in ports}
    read = summary.ports_wired_from(node) + summary.ports_published_from(node)
    extra = [port for port in dict.fromkeys(read) if port not in known]
    return ports + [_extra(port, manifest, "output") for port in extra]


def workflow_input_ports(summary: Summary) -> list[PortInfo]:
    """The workflow inputs as the output ports of the '$inputs' node."""
    ports = [PortInfo(name, str(spec.get("type", UNKNOWN_TYPE)), str(spec.get("description", "")),
                      False) for name, spec in summary.inputs.items()]
    known = {p.name for p in ports}
    used = [port for port in summary.ports_wired_from(INPUTS_NODE) if port not in known]
    return ports + [PortInfo(port, UNKNOWN_TYPE, "not declared under 'inputs'", False)
                    for port in used]


def _extra(port: str, manifest: Manifest | None, kind: str) -> PortInfo:
    if manifest is None:
        return PortInfo(port, UNKNOWN_TYPE, "module not installed: port known from a wire", False)
    return PortInfo(port, UNKNOWN_TYPE,
                    f"{manifest.id} has no {kind} '{port}'; the wire is kept until you remove it",
                    False)
