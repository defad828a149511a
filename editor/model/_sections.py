"""Edits of the workflow-level sections: inputs, outputs and groups."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from types import EllipsisType

import pydantic
from ruamel.yaml.comments import CommentedMap

from lamella.core.manifest import Name
from lamella.core.ports import is_port_type
from lamella.core.workflow import check_colour, parse_wire_ref
from lamella.editor.model._doc import (
    delete_inner,
    delete_key,
    flow_map,
    flow_seq,
    mapping_at,
    rename_key,
    section,
)
from lamella.editor.model._nodes import NodesMixin
from lamella.editor.model._types import INPUTS_NODE
from lamella.editor.model._wiring import wire_text
from lamella.editor.model._yamlio import yaml_value

__all__ = ["SectionsMixin", "relative_default"]

_NAME = pydantic.TypeAdapter(Name)
_MAX_GROUP_NAME = 64


def _check_name(name: str) -> None:
    try:
        _NAME.validate_python(name)
    except pydantic.ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def relative_default(default: str, workflow: Path | None) -> str:
    """An absolute path written relative to the workflow's folder, as the runner resolves it."""
    path = Path(default).expanduser()
    if workflow is None or not path.is_absolute():
        return default
    try:
        return Path(os.path.relpath(path, workflow.resolve().parent)).as_posix()
    except ValueError:  # another drive: only an absolute path can name it
        return default


def _set_or_delete(mapping: CommentedMap, key: str, value: str | None) -> None:
    if value is not None:
        mapping[key] = yaml_value(value)
    elif key in mapping:
        delete_key(mapping, key)


class SectionsMixin(NodesMixin):
    """Workflow inputs, named outputs and groups of nodes."""

    def set_workflow_input(self, name: str, type: str = "image", default: str | None = None,
                           description: str | None = None) -> None:
        """Declare or change a workflow input; a default path is kept relative to the file."""
        _check_name(name)
        if not is_port_type(type):
            raise ValueError(f"'{type}' is not a port type, e.g. 'image'")
        if default is not None and self.path is None and Path(default).is_absolute():
            self._absolute_defaults.add(name)  # made relative once the file has a place
        written = None if default is None else relative_default(default, self.path)

        def mutate(document: CommentedMap) -> None:
            inputs = section(document, "inputs")
            spec = mapping_at(inputs, name)
            if spec is None:
                spec = inputs[name] = flow_map()
            spec["type"] = type
            if written is None:
                if "default" in spec:
                    delete_key(spec, "default")
            else:
                spec["default"] = yaml_value(written)
            if description is not None:
                spec["description"] = yaml_value(description)

        self._edit(f"Set input '{name}'", mutate)

    def remove_workflow_input(self, name: str) -> None:
        """Remove a workflow input and the wires that read it."""
        def mutate(document: CommentedMap) -> None:
            delete_inner(document, "inputs", name, drop_empty=False)
            for node in section(document, "nodes").values():
                wires = mapping_at(node, "in")
                if wires is None:
                    continue
                for port, text in list(wires.items()):
                    if str(text).strip() == wire_text(INPUTS_NODE, name):
                        delete_key(wires, port)

        self._edit(f"Remove input '{name}'", mutate)

    def set_output(self, name: str, ref: str) -> None:
        """Name a node output as a workflow result, e.g. ``set_output("sizes", "measure.table")``."""
        _check_name(name)
        if parse_wire_ref(ref).is_workflow_input:
            raise ValueError(f"'{ref}' is a workflow input; an output comes from a node ('node.port')")

        def mutate(document: CommentedMap) -> None:
            section(document, "outputs")[name] = ref.strip()

        self._edit(f"Set output '{name}'", mutate)

    def remove_output(self, name: str) -> None:
        """Stop publishing a named output."""
        def mutate(document: CommentedMap) -> None:
            delete_inner(document, "outputs", name, drop_empty=False)

        self._edit(f"Remove output '{name}'", mutate)

    def add_group(self, name: str, nodes: Iterable[str], note: str = "",
                  color: str | None = None) -> None:
        """Group nodes on a backdrop with a note (saved under ``groups``)."""
        self._check_group(name, new=True)
        members = self._group_members(nodes)
        if color is not None:
            check_colour(color)

        def mutate(document: CommentedMap) -> None:
            group = flow_map({"nodes": flow_seq(members)})
            if note:
                group["note"] = yaml_value(note)
            if color is not None:
                group["color"] = yaml_value(color)
            section(document, "groups")[name] = group

        self._edit(f"Add group '{name}'", mutate)

    def remove_group(self, name: str) -> None:
        """Remove a group (its nodes stay)."""
        def mutate(document: CommentedMap) -> None:
            delete_inner(document, "groups", name)

        self._edit(f"Remove group '{name}'", mutate)

    def set_group(self, name: str, *, nodes: Iterable[str] | None = None, note: str | None = None,
                  color: str | EllipsisType | None = ..., new_name: str | None = None) -> None:
        """Change a group: its nodes, note, colour (None removes it) or name."""
        if name not in self._summary.groups:
            raise ValueError(f"no group '{name}' in the workflow")
        if new_name is not None and new_name != name:
            self._check_group(new_name, new=True)
        members = None if nodes is None else self._group_members(nodes)
        if isinstance(color, str):
            check_colour(color)

        def mutate(document: CommentedMap) -> None:
            groups = section(document, "groups")
            group = mapping_at(groups, name)
            if group is None:
                raise ValueError(f"group '{name}' in the workflow file is not a mapping; "
                                 "fix it as text first")
            if members is not None:
                group["nodes"] = flow_seq(members)
            if note is not None:
                _set_or_delete(group, "note", note or None)
            if not isinstance(color, EllipsisType):
                _set_or_delete(group, "color", color)
            if new_name is not None and new_name != name:
                rename_key(groups, name, new_name)

        self._edit(f"Change group '{new_name or name}'", mutate)

    def _check_group(self, name: str, *, new: bool) -> None:
        if not name or len(name) > _MAX_GROUP_NAME or name != name.strip():
            raise ValueError(f"'{name}' is not a group name; use 1 to {_MAX_GROUP_NAME} characters, "
                             "e.g. 'segmentation'")
        if new and name in self._summary.groups:
            raise ValueError(f"there is already a group '{name}'; choose another name")

    def _group_members(self, nodes: Iterable[str]) -> list[str]:
        members = list(dict.fromkeys(nodes))
        for node in members:
            self._node_view(node)
        return members
