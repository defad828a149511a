"""Module manifests: models, loading with complete problem reports, and the JSON Schema."""

from lamella.core.manifest._load import load_manifest, manifest_from_dict, pydantic_problems
from lamella.core.manifest._models import InputPort, Manifest, OutputPort, Resources
from lamella.core.manifest._params import (
    BoolParam,
    EnumParam,
    FloatParam,
    IntParam,
    ParamSpec,
    QuantityParam,
    StringParam,
)
from lamella.core.manifest._resolve import param_problems, resolve_params
from lamella.core.manifest._validators import CATEGORIES, ModuleId, Name, PortTypeName, Version

__all__ = [
    "CATEGORIES",
    "BoolParam",
    "EnumParam",
    "FloatParam",
    "InputPort",
    "IntParam",
    "Manifest",
    "ModuleId",
    "Name",
    "OutputPort",
    "ParamSpec",
    "PortTypeName",
    "QuantityParam",
    "Resources",
    "StringParam",
    "Version",
    "load_manifest",
    "manifest_from_dict",
    "param_problems",
    "pydantic_problems",
    "resolve_params",
]
