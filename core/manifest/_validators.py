"""Small named field rules, hooked into the models with ``Annotated[...]``.

Each message says what is wrong, the rule, and a valid example.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from lamella.core.ports import PORT_TYPES, is_port_type

__all__ = [
    "CATEGORIES",
    "Category",
    "Entrypoint",
    "ModuleId",
    "Name",
    "PortTypeName",
    "Version",
]

CATEGORIES = (
    "Input",
    "Preprocessing",
    "Segmentation",
    "Postprocessing",
    "Measurement",
    "Visualisation",
    "Machine learning",
    "Synthetic data",
    "Other",
)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MODULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*$")
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_ENTRYPOINT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*:[A-Za-z_][A-Za-z0-9_]*$")


def check_name(value: str) -> str:
    """Port and parameter names are lower-case identifiers."""
    if not _NAME.match(value):
        raise ValueError(
            f"'{value}' is not a valid name. A port or parameter name is a lower-case "
            "identifier, e.g. 'labels' or 'min_area'."
        )
    return value


def check_module_id(value: str) -> str:
    """Module ids are ``owner/name`` in lower case."""
    if not _MODULE_ID.match(value):
        raise ValueError(
            f"'{value}' is not a valid module id. A module id is 'owner/name' in lower case, "
            "e.g. 'lamella/threshold'."
        )
    return value


def check_version(value: str) -> str:
    """Versions are semantic versions MAJOR.MINOR.PATCH."""
    if not _VERSION.match(value):
        raise ValueError(
            f"'{value}' is not a valid version. A version is MAJOR.MINOR.PATCH, e.g. '1.2.0'."
        )
    return value


def check_port_type(value: str) -> str:
    """Port types come from the closed table in :mod:`lamella.core.ports`."""
    if not is_port_type(value):
        raise ValueError(
            f"'{value}' is not a port type. Use one of {', '.join(PORT_TYPES)}, "
            "or a list form such as 'list[image]'."
        )
    return value


def check_category(value: str) -> str:
    """Categories are a fixed set so the editor palette stays tidy."""
    if value not in CATEGORIES:
        raise ValueError(f"'{value}' is not a category. Use one of: {', '.join(CATEGORIES)}.")
    return value


def check_entrypoint(value: str) -> str:
    """Entrypoints name a file (without .py) and a function in it."""
    if not _ENTRYPOINT.match(value):
        raise ValueError(
            f"'{value}' is not a valid entrypoint. An entrypoint is 'file:function', "
            "e.g. 'main:run'."
        )
    return value


Name = Annotated[str, AfterValidator(check_name)]
ModuleId = Annotated[str, AfterValidator(check_module_id)]
Version = Annotated[str, AfterValidator(check_version)]
PortTypeName = Annotated[str, AfterValidator(check_port_type)]
Category = Annotated[str, AfterValidator(check_category)]
Entrypoint = Annotated[str, AfterValidator(check_entrypoint)]
