"""APEER modules: a folder with an APEER ``module_specification.json`` is a Lamella module.

The specification is translated into a :class:`Manifest` of kind ``apeer``. What it cannot
say (port types finer than a file format, id, category, a GPU that is only optional) comes
from an optional sidecar, ``lamella-apeer.json``, next to it. The rules are documented in
docs/modules.md, "APEER modules"; the APEER format is the one of APEER's own JSON Schema
(``module_spec_schema.json`` in apeer-micro/apeer-module-debugger).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from lamella.core._suggest import did_you_mean
from lamella.core.errors import ManifestError, Problem, shortened
from lamella.core.manifest._apeer_types import (
    FILE_TYPES,
    KNOWN_TYPES,
    NO_PARAM_TYPES,
    VALUE_TYPES,
    param_specs,
    port_type,
    resources,
)
from lamella.core.manifest._fields import field_names_at
from lamella.core.manifest._load import pydantic_problems
from lamella.core.manifest._models import Manifest, Resources
from lamella.core.manifest._params import ParamSpec
from lamella.core.manifest._validators import Category, ModuleId, PortTypeName, Version, check_version

__all__ = ["APEER_SIDECAR_FILE", "APEER_SPEC_FILE", "ApeerPort", "ApeerSidecar", "ApeerSpecError",
           "apeer_input_values", "apeer_output_ports", "load_apeer_module", "manifest_from_apeer_spec"]

APEER_SPEC_FILE = "module_specification.json"
APEER_SIDECAR_FILE = "lamella-apeer.json"

_TOP_FIELDS = ("spec", "ui", "requirements", "image", "version")
_PARAM: TypeAdapter[Any] = TypeAdapter(ParamSpec)


class ApeerSpecError(ManifestError):
    """An APEER module folder's specification or sidecar cannot be translated."""

    summary = "problems in APEER module"

    def _render(self) -> str:
        if len(self.problems) == 1:  # one line: '<folder>/<file>: <field>: <message>'
            problem = self.problems[0]
            return shortened(f"{Path(self.source) / problem.where}: {problem.message}")
        return super()._render()


class ApeerPort(BaseModel):
    """What ``lamella-apeer.json`` says about one APEER file input or output."""

    model_config = ConfigDict(extra="forbid")

    type: PortTypeName | None = Field(
        default=None, description="Lamella port type, e.g. 'mask'; a list form for a type:list[file].")
    description: str | None = Field(default=None, description="Replaces the specification's text.")


class ApeerSidecar(BaseModel):
    """``lamella-apeer.json``: what an APEER specification cannot say about its module."""

    model_config = ConfigDict(extra="forbid")

    id: ModuleId | None = Field(default=None, description="Module id; default 'apeer/<folder name>'.")
    version: Version | None = Field(default=None, description="Module version; default '1.0.0'.")
    name: str | None = Field(default=None, min_length=1, description="Palette name.")
    category: Category | None = Field(default=None, description="Palette category; default 'Other'.")
    description: str | None = Field(default=None, min_length=1, description="What the module does.")
    image: str | None = Field(
        default=None, description="Container image; default 'lamella-apeer/<name>:<version>'.")
    inputs: dict[str, ApeerPort] = Field(default_factory=dict, description="File inputs by APEER key.")
    outputs: dict[str, ApeerPort] = Field(default_factory=dict, description="Outputs by APEER key.")
    resources: Resources | None = Field(
        default=None, description="Fields given here replace those read from 'requirements'.")
    authors: list[str] = Field(default_factory=list, description="Who wrote the module.")
    license: str | None = Field(default=None, description="SPDX license id.")
    citation: str | None = Field(default=None, description="What to cite.")


def load_apeer_module(folder: str | Path) -> Manifest:
    """Translate the APEER module in ``folder``: its specification and optional sidecar.

    Raises
    ------
    ApeerSpecError
        Listing every problem, each naming its file and field.
    """
    folder = Path(folder)
    spec = _read_json(folder, APEER_SPEC_FILE)
    sidecar = _read_json(folder, APEER_SIDECAR_FILE) if (folder / APEER_SIDECAR_FILE).is_file() else None
    return manifest_from_apeer_spec(spec, folder=folder, sidecar=sidecar)


def manifest_from_apeer_spec(spec: Any, *, folder: Path, sidecar: Any = None) -> Manifest:
    """The manifest of an APEER module, from its parsed specification and sidecar.

    Parameters
    ----------
    spec
        Parsed ``module_specification.json``.
    folder
        The module folder; it names the module (``apeer/<folder name>``) and the errors.
    sidecar
        Parsed ``lamella-apeer.json``, or None.
    """
    folder = Path(folder)
    translation = _Translation(spec, sidecar)
    if translation.problems:
        raise ApeerSpecError(str(folder), translation.problems)
    try:
        return Manifest.model_validate(translation.manifest_data(folder))
    except pydantic.ValidationError as exc:  # e.g. a folder name that makes no module id
        problems = [Problem(f"{APEER_SPEC_FILE}: (translated) {p.where}", p.message)
                    for p in pydantic_problems(exc, root=Manifest)]
        raise ApeerSpecError(str(folder), problems) from None


def apeer_input_values(spec: Any, *, params: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
    """The APEER inputs of one run (``WFE_INPUT_JSON`` without ``WFE_output_params_file``).

    ``params`` holds Lamella parameter values and ``files`` the paths the container sees (a
    list for a list port), both by Lamella name; the result is keyed by APEER input key. A
    range's two parameters become ``{"lower_inclusive": low, "upper_inclusive": high}``, the
    shape of APEER's own range defaults.
    """
    values: dict[str, Any] = {}
    for name, (key, part) in _Translation(spec, None, strict=True).bindings.items():
        given = files if part == "file" else params
        if name not in given:
            continue
        if part in ("file", "value"):
            values[key] = given[name]
        else:  # one end of a range
            values.setdefault(key, {})[part] = given[name]
    return values


def apeer_output_ports(spec: Any) -> dict[str, str]:
    """The Lamella output port of each APEER output key (the keys of the output-params file)."""
    return dict(_Translation(spec, None, strict=True).output_keys)


def _read_json(folder: Path, name: str) -> Any:
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        message = "file not found; an APEER module folder holds its module_specification.json"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        message = f"not valid JSON ({exc}); fix the file or export it again"
    raise ApeerSpecError(str(folder), [Problem(name, message)])


def _lamella_name(key: str) -> str:
    """``FILTER_RADIUS`` -> ``filter_radius``, ``inputImage`` -> ``input_image``, ``2d`` -> ``apeer_2d``."""
    split = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key).lower()
    name = re.sub(r"[^a-z0-9]+", "_", split).strip("_")
    return name if re.match(r"[a-z]", name) else f"apeer_{name}".rstrip("_")


class _Translation:
    """One pass over a specification: the manifest's parts, every problem, the key bindings."""

    def __init__(self, spec: Any, sidecar: Any, *, strict: bool = False) -> None:
        self.problems: list[Problem] = []
        self.inputs: dict[str, dict[str, Any]] = {}
        self.params: dict[str, Any] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.resources: dict[str, Any] = {}
        self.bindings: dict[str, tuple[str, str]] = {}  # Lamella input/param -> (APEER key, part)
        self.output_keys: dict[str, str] = {}  # APEER output key -> Lamella port
        self.extra = self._sidecar(sidecar)
        self.spec = self._checked_top(spec)
        if self.spec is not None:
            self._translate(self.spec)
        self.problems.sort(key=lambda p: not p.where.startswith(APEER_SPEC_FILE))  # spec first
        if strict and self.problems:
            raise ApeerSpecError("", self.problems)

    def report(self, where: str, message: str, file: str = APEER_SPEC_FILE) -> None:
        """Record one problem at ``where`` (a dotted field) in ``file``."""
        self.problems.append(Problem(f"{file}: {where}" if where else file, message))

    def _sidecar(self, sidecar: Any) -> ApeerSidecar:
        if sidecar is None:
            return ApeerSidecar()
        try:
            return ApeerSidecar.model_validate(sidecar)
        except pydantic.ValidationError as exc:
            for error, problem in zip(exc.errors(include_url=False),
                                      pydantic_problems(exc, root=ApeerSidecar), strict=True):
                message = problem.message
                if error["type"] == "extra_forbidden":  # the manifest's hint names the wrong schema
                    known = field_names_at(ApeerSidecar, tuple(error["loc"]))
                    message = "unknown field" + (did_you_mean(str(error["loc"][-1]), known)
                                                 or f"; accepted here: {', '.join(known)}")
                self.report(problem.where, message, APEER_SIDECAR_FILE)
            return ApeerSidecar()

    def _checked_top(self, spec: Any) -> dict[str, Any] | None:
        if not isinstance(spec, dict) or not isinstance(spec.get("spec"), dict):
            self.report("", "has no 'spec' mapping; an APEER module specification holds "
                        "\"spec\": {\"inputs\": ..., \"outputs\": ...}")
            return None
        for key in spec:
            if key not in _TOP_FIELDS:
                self.report(key, f"unknown field{did_you_mean(key, _TOP_FIELDS)}; an APEER "
                            "specification holds spec, ui, requirements and image (Lamella also reads "
                            "version)")
        if "version" in spec:
            try:
                check_version(str(spec["version"]))
            except ValueError as exc:
                self.report("version", str(exc))
        return spec

    def manifest_data(self, folder: Path) -> dict[str, Any]:
        """The manifest as data: the translated parts, the sidecar's values, the defaults."""
        extra, spec = self.extra, self.spec or {}
        slug = re.sub(r"[^a-z0-9_.-]+", "-", folder.name.lower()).strip("-._") or "module"
        module_id = extra.id or f"apeer/{slug}"
        version = extra.version or spec.get("version") or "1.0.0"
        words = re.sub(r"[-_\s]+", " ", folder.name).strip() or slug
        own = extra.resources.model_dump(exclude_unset=True) if extra.resources else {}
        return {
            "id": module_id, "version": version, "kind": "apeer",
            "name": extra.name or words[:1].upper() + words[1:],
            "category": extra.category or "Other",
            "description": extra.description
            or f"APEER module '{folder.name}', run from its container image the APEER way.",
            "inputs": self.inputs, "outputs": self.outputs, "parameters": self.params,
            "resources": {**self.resources, **own},
            "image": extra.image or f"lamella-apeer/{module_id.rsplit('/', 1)[-1]}:{version}",
            "authors": extra.authors, "license": extra.license, "citation": extra.citation,
        }

    def _translate(self, spec: dict[str, Any]) -> None:
        body = spec["spec"]
        ui = spec.get("ui") or {}  # some exports write "ui": [] for a module without one
        if not isinstance(ui, dict):
            self.report("ui", f"must be a mapping with 'inputs' and 'outputs', got {ui!r}")
            ui = {}
        inputs, outputs = self._section(body, "spec", "inputs"), self._section(body, "spec", "outputs")
        ui_in, ui_out = self._section(ui, "ui", "inputs"), self._section(ui, "ui", "outputs")
        taken: dict[str, str] = {}
        for key in _ordered(inputs, ui_in):
            self._input(key, inputs[key], self._ui_entry(ui_in, key, "ui.inputs"), taken)
        if not outputs:
            self.report("spec.outputs", "declares no output; a Lamella module writes at least one file")
        taken = {}
        for key in _ordered(outputs, ui_out):
            self._output(key, outputs[key], self._ui_entry(ui_out, key, "ui.outputs"), taken)
        self._check_sidecar_keys(inputs, outputs)
        self.resources = resources(spec.get("requirements"), self.report)

    def _section(self, parent: dict[str, Any], where: str, key: str) -> dict[str, Any]:
        value = parent.get(key)
        if value is None or value == []:
            return {}
        if not isinstance(value, dict):
            self.report(f"{where}.{key}", f"must be a mapping of names to entries, got {value!r}")
            return {}
        return value

    def _ui_entry(self, ui: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        entry = ui.get(key) or {}
        kinds = {"label": str, "description": str, "index": int}
        if isinstance(entry, dict) and all(isinstance(entry[f], k) for f, k in kinds.items() if f in entry):
            return entry
        self.report(f"{where}.{key}", "must be a mapping with 'index' (a whole number), 'label' and "
                    f"'description' (text), got {entry!r}")
        return {}

    def _typed(self, entry: Any, where: str, allowed: set[str]) -> tuple[str, Any] | None:
        """The entry's APEER type (without 'type:') and its constraint, or None if unusable."""
        types = [k for k in entry if str(k).startswith("type:")] if isinstance(entry, dict) else []
        if len(types) != 1:
            self.report(where, "needs exactly one 'type:...' key, e.g. \"type:integer\": {\"min\": 0}")
            return None
        for field in sorted(set(entry) - allowed - set(types)):
            self.report(f"{where}.{field}", f"unknown field{did_you_mean(field, allowed)}; accepted "
                        f"here: a 'type:...' key, {', '.join(sorted(allowed))}")
        kind = types[0].removeprefix("type:")
        if kind not in KNOWN_TYPES:
            self.report(f"{where}.{types[0]}", f"'{types[0]}' is not an APEER type"
                        f"{did_you_mean(kind, KNOWN_TYPES)}; write 'type:' and one of "
                        f"{', '.join(FILE_TYPES + VALUE_TYPES)}")
            return None
        return kind, entry[types[0]]

    def _claim(self, name: str, key: str, where: str, taken: dict[str, str]) -> bool:
        if name in taken:
            self.report(where, f"its Lamella name '{name}' is also the name of '{taken[name]}'; two "
                        "APEER keys that differ only in case or punctuation cannot both be used")
            return False
        taken[name] = key
        return True

    def _input(self, key: str, entry: Any, ui: dict[str, Any], taken: dict[str, str]) -> None:
        where = f"spec.inputs.{key}"
        typed = self._typed(entry, where, {"description", "default", "depends_on"})
        if typed is None:
            return
        kind, constraint = typed
        if kind in FILE_TYPES:
            self._port(key, kind, constraint, entry, ui, taken, reading=True)
        elif kind in NO_PARAM_TYPES:
            self.report(f"{where}.type:{kind}", f"'type:{kind}' has no Lamella parameter type; a "
                        "module with this input cannot be used in Lamella yet")
        else:
            label = ui.get("label") or None
            description = ui.get("description") or entry.get("description") or label or key
            base = {"description": description, **({"label": label} if label else {})}
            parts = param_specs(kind, constraint, entry, ui, where, base, self.report)
            for suffix, (part, data) in parts.items():
                name = _lamella_name(key) + suffix
                if self._claim(name, key, where, taken) and self._valid(data, where):
                    self.params[name] = data
                    self.bindings[name] = (key, part)

    def _valid(self, data: dict[str, Any], where: str) -> bool:
        try:
            _PARAM.validate_python(data)
        except pydantic.ValidationError as exc:  # e.g. a default outside the bounds
            for error in exc.errors(include_url=False):
                self.report(where, str(error["msg"]).removeprefix("Value error, "))
            return False
        return True

    def _output(self, key: str, entry: Any, ui: dict[str, Any], taken: dict[str, str]) -> None:
        where = f"spec.outputs.{key}"
        typed = self._typed(entry, where, {"description"})
        if typed is None:
            return
        kind, constraint = typed
        if kind not in FILE_TYPES:
            self.report(f"{where}.type:{kind}", f"'type:{kind}' outputs a value, but Lamella passes "
                        "only files between steps; declare it type:file and write the value to a file")
            return
        self._port(key, kind, constraint, entry, ui, taken, reading=False)

    def _port(self, key: str, kind: str, constraint: Any, entry: dict[str, Any], ui: dict[str, Any],
              taken: dict[str, str], *, reading: bool) -> None:
        section = "inputs" if reading else "outputs"
        override = getattr(self.extra, section).get(key) or ApeerPort()
        guessed = port_type(kind, constraint, f"spec.{section}.{key}", self.report, reading=reading)
        name = _lamella_name(key)
        if guessed is None or not self._claim(name, key, f"spec.{section}.{key}", taken):
            return
        if override.type and override.type.startswith("list[") != (kind == "list[file]"):
            self.report(f"{section}.{key}.type", f"'{override.type}' does not match 'type:{kind}' in "
                        f"{APEER_SPEC_FILE}; write " + ("a list form, e.g. 'list[mask]'"
                        if kind == "list[file]" else "a single type, e.g. 'mask'"), APEER_SIDECAR_FILE)
            return
        description = (override.description or ui.get("description") or entry.get("description")
                       or ui.get("label") or "")
        getattr(self, section)[name] = {"type": override.type or guessed, "description": description}
        if reading:
            self.bindings[name] = (key, "file")
        else:
            self.output_keys[key] = name

    def _check_sidecar_keys(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        files = {key for key, entry in inputs.items()
                 if isinstance(entry, dict) and {f"type:{t}" for t in FILE_TYPES} & set(entry)}
        for section, known in (("inputs", files), ("outputs", set(outputs))):
            for key in getattr(self.extra, section):
                if key not in known:
                    self.report(f"{section}.{key}", f"{APEER_SPEC_FILE} has no file {section[:-1]} "
                                f"'{key}'{did_you_mean(key, known)}", APEER_SIDECAR_FILE)


def _ordered(entries: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    """Keys in the UI's 'index' order; keys without an index follow, in the specification's order."""
    def position(item: tuple[int, str]) -> tuple[int, int, int]:
        entry = ui.get(item[1])
        index = entry.get("index") if isinstance(entry, dict) else None
        if isinstance(index, int) and not isinstance(index, bool):
            return (0, index, item[0])
        return (1, 0, item[0])
    return [key for _, key in sorted(enumerate(entries), key=position)]
