"""Manifests: every broken manifest is refused with exact, complete messages."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError

from lamella.core.errors import ManifestError
from lamella.core.manifest import BoolParam, IntParam, QuantityParam, load_manifest, manifest_from_dict

VALID = {
    "id": "lamella/threshold",
    "version": "1.2.0",
    "name": "Threshold",
    "category": "Segmentation",
    "description": "Separate foreground from background.",
    "inputs": {"image": {"type": "image", "description": "Grey image."}},
    "outputs": {"mask": {"type": "mask"}},
    "parameters": {
        "method": {"type": "enum", "choices": ["otsu", "manual"], "default": "otsu",
                   "description": "How the level is chosen."},
        "level": {"type": "float", "min": 0, "default": 0.5, "visible_if": {"method": "manual"},
                  "description": "Grey level."},
        "min_area": {"type": "quantity", "dimension": "area", "default": "0 px^2",
                     "description": "Smallest object."},
    },
}


def broken(path: str, value: object) -> dict:
    """VALID with one field replaced (path 'a.b.c'); value None deletes it."""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return data


CASES = [
    ("id", "Lamella/Threshold",
     "id: 'Lamella/Threshold' is not a valid module id. A module id is 'owner/name' in lower case, "
     "e.g. 'lamella/threshold'."),
    ("version", "1.2",
     "version: '1.2' is not a valid version. A version is MAJOR.MINOR.PATCH, e.g. '1.2.0'."),
    ("category", "Segment",
     "category: 'Segment' is not a category. Use one of: Input, Preprocessing, Segmentation, "
     "Postprocessing, Measurement, Visualisation, Machine learning, Synthetic data, Other."),
    ("inputs", {"seg ment": {"type": "image"}},
     "inputs.seg ment: 'seg ment' is not a valid name. A port or parameter name is a lower-case "
     "identifier, e.g. 'labels' or 'min_area'."),
    ("outputs", {"mask": {"type": "masks"}},
     "outputs.mask.type: 'masks' is not a port type. Use one of image, labels, mask, probabilities, "
     "table, plot, model, json, file, or a list form such as 'list[image]'."),
    ("outputs", {}, "outputs: a module writes at least one output; declare it under 'outputs'"),
    ("name", None, "name: required field is missing"),
    ("colour", "blue", "colour: unknown field (remove it, or check its spelling against the "
     "module schema, core/schema/module.schema.json); accepted here: id, version, name, category, "
     "description, inputs, outputs, parameters, resources, kind, image, entrypoint, authors, license, "
     "citation"),
    ("parameters.level.mn", 1, "parameters.level.mn: unknown field (did you mean 'min'?)"),
    ("inputs.image.typ", "image", "inputs.image.typ: unknown field (did you mean 'type'?)"),
    ("parameters.level.min", 2, "parameters.level: default must be at least 2, got 0.5"),
    ("parameters.level.max", -1, "parameters.level: min (0) is larger than max (-1)"),
    ("parameters.method.default", "li", "parameters.method: default 'li' is not one of 'otsu', 'manual'"),
    ("parameters.level.type", "real",
     "parameters.level: 'real' is not a parameter type (use one of: bool, enum, float, int, "
     "quantity, string)"),
    ("parameters.min_area.default", "5 nm",
     "parameters.min_area: default '5 nm' is not an area; write e.g. '500 nm^2' or '30 px^2'"),
    ("parameters.level.visible_if", {"methd": "manual"},
     "parameters.level.visible_if names unknown parameter 'methd'"),
    ("parameters.level.description", None, "parameters.level.description: required field is missing"),
    ("resources", {"gpu": "maybe"},
     "resources.gpu: 'maybe' is not allowed; use 'none', 'optional' or 'required'"),
    ("entrypoint", "main.run",
     "entrypoint: 'main.run' is not a valid entrypoint. An entrypoint is 'file:function', "
     "e.g. 'main:run'."),
    ("kind", "docker", "kind: 'docker' is not allowed; use 'python', 'container' or 'apeer'"),
    ("kind", "container",
     "image: a module of kind 'container' runs from a container image; set 'image' to its name "
     "and tag, e.g. 'lamella/unet-train:1.0.0'"),
    ("kind", "apeer",
     "image: a module of kind 'apeer' runs from a container image; set 'image' to its name "
     "and tag, e.g. 'lamella/unet-train:1.0.0'"),
]


@pytest.mark.parametrize(("path", "value", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_manifest_gives_exact_message(path: str, value: object, message: str) -> None:
    with pytest.raises(ManifestError) as info:
        manifest_from_dict(broken(path, value))
    assert [str(p) for p in info.value.problems] == [message]


def test_all_problems_reported_in_one_pass() -> None:
    data = broken("id", "X")
    data["version"] = "one"
    data["inputs"] = {"Image": {"type": "imag"}}
    with pytest.raises(ManifestError) as info:
        manifest_from_dict(data)
    wheres = [p.where for p in info.value.problems]
    assert wheres == ["id", "version", "inputs.Image", "inputs.Image.type"]
    assert str(info.value).startswith("module.json: 4 problems in module manifest\n  - id: ")


def test_valid_manifest_defaults() -> None:
    manifest = manifest_from_dict(VALID)
    assert manifest.ref == "lamella/threshold@1.2.0"
    assert manifest.default_params() == {"method": "otsu", "level": 0.5, "min_area": "0 px^2"}
    assert manifest.resources.memory_gb == 2.0 and manifest.entrypoint == "main:run"


@pytest.mark.parametrize("kind", ["container", "apeer"])
def test_container_kinds_with_an_image_are_valid(kind: str) -> None:
    manifest = manifest_from_dict({**VALID, "kind": kind, "image": "me/tool:1.2.0"})
    assert (manifest.kind, manifest.image) == (kind, "me/tool:1.2.0")
    assert manifest_from_dict(VALID).kind == "python"


def test_parameter_without_default_is_required() -> None:
    data = broken("parameters.level.default", None)
    manifest = manifest_from_dict(data)
    assert manifest.parameters["level"].required
    assert "level" not in manifest.default_params()


def test_load_manifest_reports_bad_json_with_line(tmp_path) -> None:
    path = tmp_path / "module.json"
    path.write_text('{"id": "a/b",\n "version": }')
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert str(info.value.problems[0]).startswith("line 2: not valid JSON: Expecting value")


def test_load_manifest_missing_file(tmp_path) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path / "module.json")
    assert str(info.value) == f"{tmp_path / 'module.json'}: 1 problem in module manifest\n  - file not found"


def test_manifest_round_trips_through_json(tmp_path) -> None:
    path = tmp_path / "module.json"
    path.write_text(json.dumps(VALID))
    assert load_manifest(path).model_dump(exclude_unset=True) == manifest_from_dict(VALID).model_dump(
        exclude_unset=True)


@pytest.mark.parametrize(("value", "reason"), [
    (0.5, None), (-1, "must be at least 0, got -1"), ("x", "must be a number, got 'x'"),
    (True, "must be a number, got True"), (None, "must be set (null is not allowed here)"),
    (float("nan"), "must be a finite number, got nan"), (float("inf"), "must be a finite number, got inf"),
])
def test_float_parameter_check(value: object, reason: str | None) -> None:
    assert manifest_from_dict(VALID).parameters["level"].check(value) == reason


def test_enum_parameter_check_suggests() -> None:
    spec = manifest_from_dict(VALID).parameters["method"]
    assert spec.check("otsuu") == "'otsuu' is not one of 'otsu', 'manual' (did you mean 'otsu'?)"


@pytest.mark.parametrize(("value", "reason"), [
    ("20 nm", None), (float("nan"), "must be a finite length, got 'nan'"),
    (float("inf"), "must be a finite length, got 'inf'"),
])
def test_quantity_parameter_refuses_non_finite(value: object, reason: str | None) -> None:
    spec = QuantityParam(type="quantity", dimension="length", description="d")
    assert spec.check(value) == reason


@pytest.mark.parametrize("word", ["yes", "off"])
def test_bool_parameter_names_yaml_switch_words(word: str) -> None:
    spec = BoolParam(type="bool", description="d")
    assert spec.check(word) == f"must be true or false, got '{word}' (write true or false)"


@pytest.mark.parametrize(("value", "reason"), [
    ("2.5 nm", None), (None, None),
    (2.5, "'2.5' is in pixels; give a physical size with its unit, e.g. '2.5 nm' or '0.65 um'"),
    ("3 px", "'3 px' is in pixels; give a physical size with its unit, e.g. '2.5 nm' or '0.65 um'"),
    ("0 nm", "must be larger than 0, got '0 nm'"),
])
def test_physical_quantity_refuses_pixels_at_validation(value: object, reason: str | None) -> None:
    spec = QuantityParam(type="quantity", dimension="length", physical=True, nullable=True,
                         description="d")
    assert spec.check(value) == reason


@pytest.mark.parametrize(("spec", "value", "reason"), [
    (IntParam(type="int", min=1, auto=True, default="auto", description="d"), "auto", None),
    (IntParam(type="int", min=1, auto=True, default="auto", description="d"), 25, None),
    (IntParam(type="int", min=1, auto=True, default="auto", description="d"), "25",
     "must be a whole number or 'auto', got '25'"),
    (IntParam(type="int", min=1, default=3, description="d"), "auto",
     "must be a whole number, got 'auto'"),
    (QuantityParam(type="quantity", dimension="area", auto=True, default="auto", description="d"),
     "auto", None),
    (QuantityParam(type="quantity", dimension="area", auto=True, default="auto", description="d"),
     "AUTO", "'AUTO' is not an area; write e.g. '500 nm^2' or '30 px^2' (or 'auto')"),
])
def test_auto_is_one_spelling_accepted_only_where_declared(spec, value, reason) -> None:  # type: ignore[no-untyped-def]
    assert spec.check(value) == reason


def test_auto_default_needs_auto_allowed() -> None:
    with pytest.raises(ValidationError, match="default must be a whole number, got 'auto'"):
        IntParam(type="int", default="auto", description="d")
