"""The workflow document: inputs, nodes with their modules, parameters and wires, outputs.

Schema-version policy: ``lamella: 1`` stays the version as long as every addition is an
optional section or field that a reader may ignore (the editor's ``layout`` and ``groups``
are such additions: the runner ignores both). Only a change that makes an old reader misread
a file, or an old file mean something else, raises the version.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
)

from lamella.core._suggest import did_you_mean
from lamella.core.manifest import Name, PortTypeName
from lamella.core.manifest._models import Duration
from lamella.core.workflow._refs import (
    ModuleRef,
    WireRef,
    check_module_ref,
    check_node_id,
    check_wire_ref,
    parse_module_ref,
    parse_wire_ref,
    quoted,
)

__all__ = ["SCHEMA_VERSION", "Group", "Node", "Workflow", "WorkflowInput", "check_colour"]

SCHEMA_VERSION = 1

NodeId = Annotated[str, AfterValidator(check_node_id)]
ModuleRefText = Annotated[str, AfterValidator(check_module_ref)]
WireRefText = Annotated[str, AfterValidator(check_wire_ref)]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_colour(text: str) -> str:
    """Field rule: a colour is written '#rrggbb'."""
    if not _COLOUR.match(text):
        raise ValueError(f"{quoted(text)} is not a colour; write '#rrggbb', e.g. '#3a6ea5'")
    return text


Colour = Annotated[str, AfterValidator(check_colour),
                   WithJsonSchema({"type": "string", "pattern": _COLOUR.pattern})]
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WorkflowInput(BaseModel):
    """A file the workflow takes from the user (``--input name=PATH``)."""

    model_config = ConfigDict(extra="forbid")

    type: PortTypeName = Field(description="Port type of the file, e.g. 'image'.")
    default: str | None = Field(
        default=None, description="File used when none is given; relative to the workflow file."
    )
    description: str = Field(default="", description="What the user should give here.")


class NodeResources(BaseModel):
    """What one step needs, instead of what its module's manifest says (each field optional)."""

    model_config = ConfigDict(extra="forbid")

    gpu: Literal["none", "optional", "required"] | None = Field(
        default=None, description="Whether this step uses a GPU: none, optional or required.")
    memory_gb: float | None = Field(
        default=None, gt=0, description="Memory this step needs, in GiB (a container's limit).")
    timeout: Duration | None = Field(
        default=None, description="Longest this step may run, e.g. '10 min' (a run's --timeout wins).")


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
    resources: NodeResources | None = Field(
        default=None, description="What this step needs from the machine, over its module's "
        "resources (e.g. {gpu: optional} or {memory_gb: 8}).")

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


class Group(BaseModel):
    """Nodes the editor draws together on a backdrop with a note; ignored by the runner."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[NodeId] = Field(default_factory=list, description="Ids of the nodes in the group.")
    note: str = Field(default="", description="Text shown on the group's backdrop.")
    color: Colour | None = Field(
        default=None, description="Backdrop colour as '#rrggbb', e.g. '#3a6ea5'; absent: the "
        "editor's default colour.")


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
    groups: dict[GroupName, Group] = Field(
        default_factory=dict,
        description="Named groups of nodes, drawn by the editor as backdrops with a note; "
        "ignored by the runner.",
    )
    _source: Path | None = PrivateAttr(default=None)

    _empty_sections_are_none = field_validator(
        "inputs", "outputs", "layout", "groups", mode="before")(
        lambda value: {} if value is None else value)

    @field_validator("groups")
    @classmethod
    def _group_nodes_exist(cls, groups: dict[str, Group], info: ValidationInfo) -> dict[str, Group]:
        nodes = info.data.get("nodes")
        if nodes is None:  # the nodes are invalid themselves; that is reported already
            return groups
        problems = [f"group {quoted(name)} names no node {quoted(node)}{did_you_mean(node, nodes)}"
                    for name, group in groups.items() for node in group.nodes if node not in nodes]
        if problems:
            raise ValueError("; ".join(problems) + "; remove the id from the group or add the node")
        return groups

    @model_serializer(mode="wrap")
    def _without_empty_groups(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A workflow without groups dumps as it did before groups existed, so its content hash
        # in run records stays the same.
        data = handler(self)
        if isinstance(data, dict) and data.get("groups") == {}:
            del data["groups"]
        return data

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
