"""The workflow document: inputs, nodes with their modules, parameters and wires, outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from lamella.core.manifest import Name, PortTypeName
from lamella.core.workflow._refs import (
    ModuleRef,
    WireRef,
    check_module_ref,
    check_node_id,
    check_wire_ref,
    parse_module_ref,
    parse_wire_ref,
)

__all__ = ["SCHEMA_VERSION", "Node", "Workflow", "WorkflowInput"]

SCHEMA_VERSION = 1

NodeId = Annotated[str, AfterValidator(check_node_id)]
ModuleRefText = Annotated[str, AfterValidator(check_module_ref)]
WireRefText = Annotated[str, AfterValidator(check_wire_ref)]


class WorkflowInput(BaseModel):
    """A file the workflow takes from the user (``--input name=PATH``)."""

    model_config = ConfigDict(extra="forbid")

    type: PortTypeName = Field(description="Port type of the file, e.g. 'image'.")
    default: str | None = Field(
        default=None, description="File used when none is given; relative to the workflow file."
    )
    description: str = Field(default="", description="What the user should give here.")


class Node(BaseModel):
    """One step: a module, its parameter values and where its inputs come from."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    module: ModuleRefText = Field(description="Module and version, e.g. 'lamella/threshold@1'.")
    params: dict[str, Any] = Field(default_factory=dict, description="Parameter values.")
    inputs: dict[Name, WireRefText] = Field(
        default_factory=dict,
        alias="in",
        description="Input port -> 'node.port' or '$inputs.name'.",
    )
    note: str = Field(default="", description="Free text shown with the node.")

    # A key left empty in YAML ('params:' with nothing under it) reads as null; it means none.
    _empty_params_are_none = field_validator("params", "inputs", mode="before")(
        lambda value: {} if value is None else value)

    @property
    def module_ref(self) -> ModuleRef:
        """The parsed module reference."""
        return parse_module_ref(self.module)

    def wires(self) -> dict[str, WireRef]:
        """Parsed input wires."""
        return {port: parse_wire_ref(text) for port, text in self.inputs.items()}


class Workflow(BaseModel):
    """A Lamella workflow (the YAML document)."""

    model_config = ConfigDict(extra="forbid", title="Lamella workflow")

    lamella: Literal[1] = Field(description="Workflow schema version; 1.")
    name: str = Field(min_length=1, description="Workflow name, used for output folders.")
    description: str = Field(default="", description="What the workflow measures.")
    inputs: dict[Name, WorkflowInput] = Field(
        default_factory=dict, description="Files the workflow takes."
    )
    nodes: dict[NodeId, Node] = Field(min_length=1, description="Steps by node id.")
    outputs: dict[Name, WireRefText] = Field(
        default_factory=dict, description="Named results: output name -> 'node.port'."
    )
    layout: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Editor positions of nodes; ignored by the runner."
    )
    _source: Path | None = PrivateAttr(default=None)

    _empty_sections_are_none = field_validator("inputs", "outputs", "layout", mode="before")(
        lambda value: {} if value is None else value)

    def __eq__(self, other: object) -> bool:
        # Two workflows are the same document whatever file they were read from.
        return isinstance(other, Workflow) and self.model_dump() == other.model_dump()

    @property
    def source(self) -> Path | None:
        """The file the workflow was loaded from, if any."""
        return self._source

    def with_source(self, path: Path | None) -> Workflow:
        """Remember the file this workflow came from (relative defaults resolve against it)."""
        self._source = path
        return self

    def resolve_path(self, text: str) -> Path:
        """A workflow-relative path made absolute (relative to the workflow file's folder)."""
        path = Path(text).expanduser()
        if path.is_absolute() or self._source is None:
            return path
        return (self._source.parent / path).resolve()
