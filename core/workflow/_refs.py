"""The two small languages inside a workflow: module references and wire references."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ModuleRef",
    "WireRef",
    "check_module_ref",
    "check_node_id",
    "check_wire_ref",
    "parse_module_ref",
    "parse_wire_ref",
    "quoted",
]

MAX_NODE_ID = 64  # node ids become folder and log file names (at most 255 bytes each)

_MODULE_REF = re.compile(
    r"^(?P<id>[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*)(@(?P<version>\d+(\.\d+){0,2}))?$"
)
_WIRE_REF = re.compile(
    r"^(\$inputs\.(?P<input>[a-z][a-z0-9_]*)|(?P<node>[a-z][a-z0-9_-]*)\.(?P<port>[a-z][a-z0-9_]*))$"
)
_NODE_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class ModuleRef:
    """``lamella/threshold@1``: a module id and a version prefix (``1``, ``1.2`` or ``1.2.0``)."""

    id: str
    version: str | None

    def matches(self, version: str) -> bool:
        """True if an exact version (``'1.2.0'``) satisfies this reference's prefix."""
        if self.version is None:
            return True
        wanted = self.version.split(".")
        return version.split(".")[: len(wanted)] == wanted

    def __str__(self) -> str:
        return f"{self.id}@{self.version}" if self.version else self.id


@dataclass(frozen=True)
class WireRef:
    """Where an input comes from: a workflow input (``$inputs.image``) or a node output."""

    node: str | None
    port: str

    @property
    def is_workflow_input(self) -> bool:
        """True for ``$inputs.name``."""
        return self.node is None

    def __str__(self) -> str:
        return f"$inputs.{self.port}" if self.node is None else f"{self.node}.{self.port}"


def parse_module_ref(text: str) -> ModuleRef:
    """Parse ``'owner/name@1.2'``; raises ValueError with an example."""
    match = _MODULE_REF.match(text.strip())
    if not match:
        raise ValueError(
            f"{quoted(text)} is not a module reference; write 'owner/name@version', "
            "e.g. 'lamella/threshold@1'"
        )
    return ModuleRef(match["id"], match["version"])


def parse_wire_ref(text: str) -> WireRef:
    """Parse ``'load.image'`` or ``'$inputs.image'``; raises ValueError with an example."""
    match = _WIRE_REF.match(text.strip())
    if not match:
        raise ValueError(
            f"{quoted(text)} is not a connection; write 'node.port' (e.g. 'load.image') "
            "or '$inputs.name' (e.g. '$inputs.image')"
        )
    if match["input"]:
        return WireRef(None, match["input"])
    return WireRef(match["node"], match["port"])


def check_module_ref(text: str) -> str:
    """Field rule: a valid module reference that pins at least a major version.

    Without a version a workflow would silently change meaning when a module's next major
    version (with other parameters or outputs) is installed.
    """
    ref = parse_module_ref(text)
    if ref.version is None:
        raise ValueError(f"{quoted(text)} does not say which version; pin one, e.g. '{ref.id}@1' "
                         f"(`lamella modules show {ref.id}` shows the versions found)")
    return text


def check_wire_ref(text: str) -> str:
    """Field rule: a valid wire reference."""
    parse_wire_ref(text)
    return text


def check_node_id(text: str) -> str:
    """Field rule: node ids are lower-case names such as 'segment' or 'load-image'."""
    if len(text) > MAX_NODE_ID:
        raise ValueError(f"{quoted(text)} ({len(text)} characters) is too long for a node id; "
                         f"use at most {MAX_NODE_ID} characters, e.g. 'segment'")
    if not _NODE_ID.match(text):
        raise ValueError(
            f"{quoted(text)} is not a valid node id. A node id is a lower-case name of letters, "
            "digits, '-' and '_', starting with a letter, e.g. 'segment'."
        )
    return text


def quoted(text: str, limit: int = 120) -> str:
    """``'text'`` for a message, cut to ``limit`` characters so a line stays readable."""
    text = str(text)
    return f"'{text}'" if len(text) <= limit - 2 else f"'{text[:limit - 5]}...'"
