"""What the views read from the model: nodes, ports, parameters, wires, sections."""

from __future__ import annotations

import copy
from typing import Any

from lamella.core.errors import Problem, WorkflowError, WorkflowFileError
from lamella.core.workflow import Workflow, workflow_from_data
from lamella.editor.model._core import ModelCore
from lamella.editor.model._doc import is_commented
from lamella.editor.model._ports import input_ports, output_ports, workflow_input_ports
from lamella.editor.model._summary import Wire
from lamella.editor.model._types import INPUTS_NODE, PortInfo

__all__ = ["ReadingMixin"]


class ReadingMixin(ModelCore):
    """Read access; every value is a plain copy the caller may keep or change."""

    @property
    def name(self) -> str:
        """The workflow's name ('' if the file has none)."""
        name = self._summary.rest.get("name")
        return name if isinstance(name, str) else ""

    def node_ids(self) -> list[str]:
        """Node ids in file order."""
        return list(self._summary.nodes)

    def module_ref(self, node: str) -> str:
        """The module reference as written, e.g. 'lamella/threshold@1'."""
        return str(self._node_view(node).module)

    def inputs_of(self, node: str) -> list[PortInfo]:
        """Input ports; a module that is not installed has the ones its wires name."""
        if node == INPUTS_NODE:
            return []
        self._node_view(node)
        return input_ports(self._summary, node, self.manifest(node))

    def outputs_of(self, node: str) -> list[PortInfo]:
        """Output ports; '$inputs' gives the workflow inputs."""
        if node == INPUTS_NODE:
            return workflow_input_ports(self._summary)
        self._node_view(node)
        return output_ports(self._summary, node, self.manifest(node))

    def params(self, node: str) -> dict[str, Any]:
        """Parameter values as written in the file (module defaults are not filled in)."""
        return copy.deepcopy(self._node_view(node).params)

    def note(self, node: str) -> str:
        """The node's free-text note ('' if none)."""
        return str(self._node_view(node).note)

    def wires(self) -> list[Wire]:
        """``(src_node, src_port, dst_node, dst_port)``; src_node '$inputs' for a workflow input."""
        return self._summary.wires()

    def wire_into(self, node: str, port: str) -> tuple[str, str] | None:
        """``(src_node, src_port)`` of the wire on an input, or None."""
        return self._summary.wire_into(node, port)

    def position(self, node: str) -> tuple[float, float] | None:
        """The node's position from ``layout``; None if the file places it nowhere."""
        return self._summary.positions.get(node)

    def workflow_inputs(self) -> dict[str, dict[str, Any]]:
        """Workflow inputs by name: type, default (as written) and description."""
        return copy.deepcopy(self._summary.inputs)

    def outputs(self) -> dict[str, str]:
        """Named workflow outputs: name -> 'node.port'."""
        return dict(self._summary.outputs)

    def groups(self) -> dict[str, dict[str, Any]]:
        """Groups by name: ``{"nodes": [...], "note": str, "color": str | None}``."""
        return {name: {"nodes": [str(n) for n in group.get("nodes") or []],
                       "note": str(group.get("note") or ""), "color": group.get("color")}
                for name, group in self._summary.groups.items()}

    def has_comments(self) -> bool:
        """True if the file has comments (they are kept when it is saved)."""
        if not self._parsed and "#" not in (self._unparsed or ""):
            return False  # no '#' anywhere: no comment, and no need to parse the document
        return is_commented(self._document)

    def to_workflow(self) -> Workflow:
        """The document as the runner sees it; raises WorkflowError if the schema refuses it."""
        source = str(self.path) if self.path else "<workflow>"
        try:
            workflow = workflow_from_data(copy.deepcopy(self._data))
        except WorkflowFileError as exc:
            raise WorkflowError(source, [Problem("", str(exc).removeprefix("<workflow>: "))]) from None
        except WorkflowError as exc:
            raise WorkflowError(source, exc.problems) from None
        return workflow.with_source(self.path.resolve() if self.path else None)
