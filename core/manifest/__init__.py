"""Module manifests: models, loading, the JSON Schema, and APEER specifications translated."""

from lamella.core.manifest._apeer import (
    APEER_SIDECAR_FILE,
    APEER_SPEC_FILE,
    ApeerPort,
    ApeerSidecar,
    ApeerSpecError,
    apeer_input_values,
    apeer_output_ports,
    load_apeer_module,
    manifest_from_apeer_spec,
)
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
    "APEER_SIDECAR_FILE",
    "APEER_SPEC_FILE",
    "CATEGORIES",
    "ApeerPort",
    "ApeerSidecar",
    "ApeerSpecError",
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
    "apeer_input_values",
    "apeer_output_ports",
    "load_apeer_module",
    "load_manifest",
    "manifest_from_apeer_spec",
    "manifest_from_dict",
    "param_problems",
    "pydantic_problems",
    "resolve_params",
]
