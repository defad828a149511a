"""The module manifest (``module.json``): what a module takes, gives and needs.

Field descriptions are written for module authors; they double as the published JSON Schema
(``lamella/core/schema/module.schema.json``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from lamella.core.manifest._params import ParamSpec, parse_duration
from lamella.core.manifest._validators import (
    Category,
    Entrypoint,
    ModuleId,
    Name,
    PortTypeName,
    Version,
)

__all__ = ["InputPort", "Manifest", "OutputPort", "Resources"]

_STRICT = ConfigDict(extra="forbid")

# Written as quantities are ('10 min', '90 s', '2 h'; a bare number is seconds), kept in seconds.
Duration = Annotated[
    float, BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [
        {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*[A-Za-z]*\s*$"},
        {"type": "number", "exclusiveMinimum": 0}]}),
]


class InputPort(BaseModel):
    """A file the module reads."""

    model_config = _STRICT

    type: PortTypeName = Field(description="Port type, e.g. 'image', 'labels' or 'list[image]'.")
    description: str = Field(default="", description="What the module expects here.")
    required: bool = Field(
        default=True, description="If false, a workflow may leave this input unconnected."
    )


class OutputPort(BaseModel):
    """A file the module writes."""

    model_config = _STRICT

    type: PortTypeName = Field(description="Port type, e.g. 'mask' or 'table'.")
    description: str = Field(default="", description="What the module writes here.")


class Resources(BaseModel):
    """What one run of the module needs from the machine."""

    model_config = _STRICT

    gpu: Literal["none", "optional", "required"] = Field(
        default="none", description="Whether the module uses a GPU: none, optional or required."
    )
    memory_gb: float = Field(
        default=2.0, gt=0, description="Memory one run needs for a typical image, in GiB."
    )
    threads: int = Field(default=1, ge=1, description="CPU threads one run uses.")
    network: bool = Field(
        default=False, description="If true, the module needs network access while running."
    )
    timeout: Duration | None = Field(
        default=None,
        description="Longest one run may take before it is stopped and its node fails, e.g. "
        "'10 min', '90 s' or '2 h' (a bare number is seconds); absent or null: no limit. A run's "
        "--timeout replaces it for every node.",
    )


class Manifest(BaseModel):
    """A Lamella module manifest."""

    model_config = ConfigDict(extra="forbid", title="Lamella module manifest")

    id: ModuleId = Field(description="Unique module id, 'owner/name', e.g. 'lamella/threshold'.")
    version: Version = Field(description="Semantic version MAJOR.MINOR.PATCH, e.g. '1.2.0'.")
    name: str = Field(min_length=1, description="Human name shown in the editor palette.")
    category: Category = Field(description="Palette category, e.g. 'Segmentation'.")
    description: str = Field(min_length=1, description="What the module does, for the user.")
    inputs: dict[Name, InputPort] = Field(
        default_factory=dict, description="Input ports by name."
    )
    outputs: dict[Name, OutputPort] = Field(
        min_length=1, description="Output ports by name; a module writes at least one."
    )
    parameters: dict[Name, ParamSpec] = Field(
        default_factory=dict, description="Parameters by name, with types, defaults and ranges."
    )
    resources: Resources = Field(
        default_factory=Resources, description="Memory, threads, GPU and network needs."
    )
    kind: Literal["python", "container", "apeer"] = Field(
        default="python",
        description="What the module's entry is. 'python': a folder with the entrypoint file, "
        "run by every backend. 'container': only a container image ('image' required), run by "
        "container backends. 'apeer': an APEER module (module_specification.json in the folder "
        "and 'image' required), run the APEER way by container backends.",
    )
    image: str | None = Field(
        default=None,
        description="Container image built from the module's Dockerfile, e.g. "
        "'lamella/threshold:1.2.0'; required for kind 'container' and 'apeer'.",
    )
    entrypoint: Entrypoint = Field(
        default="main:run",
        description="File (without .py) and function called with the task, e.g. 'main:run'.",
    )
    authors: list[str] = Field(default_factory=list, description="Who wrote the module.")
    license: str | None = Field(default=None, description="SPDX license id, e.g. 'BSD-3-Clause'.")
    citation: str | None = Field(
        default=None, description="What to cite when results from this module are published."
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Manifest:
        problems = self._kind_problems() + self._visible_if_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _kind_problems(self) -> list[str]:
        if self.kind != "python" and not self.image:
            return [f"image: a module of kind '{self.kind}' runs from a container image; set "
                    "'image' to its name and tag, e.g. 'lamella/unet-train:1.0.0'"]
        return []

    def _visible_if_problems(self) -> list[str]:
        problems = []
        for name, spec in self.parameters.items():
            for other, value in (spec.visible_if or {}).items():
                if other not in self.parameters:
                    problems.append(f"parameters.{name}.visible_if names unknown parameter '{other}'")
                elif reason := self.parameters[other].check(value):
                    problems.append(f"parameters.{name}.visible_if value for '{other}' {reason}")
        return problems

    @property
    def ref(self) -> str:
        """``id@version``, the exact reference a run record pins."""
        return f"{self.id}@{self.version}"

    def default_params(self) -> dict[str, object]:
        """Parameter values a workflow gets when it sets none."""
        return {n: s.default for n, s in self.parameters.items() if not s.required}
