"""APEER modules: module_specification.json translated into a Lamella manifest."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from lamella.core.catalog import Catalog, folder_digest
from lamella.core.errors import ManifestError, ModuleNotFound, WorkflowValidationError
from lamella.core.graph import build_graph
from lamella.core.manifest import (
    ApeerSpecError,
    apeer_input_values,
    apeer_output_ports,
    load_apeer_module,
    manifest_from_apeer_spec,
)
from lamella.core.workflow import parse_workflow

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "apeer" / "invert-apeer"
FOLDER = Path("/modules/my-module")
OUTPUT = {"result": {"type:file": {"format": ["tiff"]}}}


def spec(inputs: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None,
         **top: Any) -> dict[str, Any]:
    return {"spec": {"inputs": inputs or {}, "outputs": OUTPUT if outputs is None else outputs}, **top}


def params(inputs: dict[str, Any], ui: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The translated parameters as the data they were made from (fields set, nothing else)."""
    manifest = manifest_from_apeer_spec(spec(inputs, ui={"inputs": ui or {}}), folder=FOLDER)
    return {name: p.model_dump(exclude_unset=True) for name, p in manifest.parameters.items()}


# ----- value inputs become parameters -------------------------------------------------------
PARAM_CASES = [
    ({"type:integer": {"min": 0, "max": 255}, "default": 128},
     {"index": 1, "label": "Threshold", "description": "Grey level", "widget:slider": {"step": 1}},
     {"x": {"type": "int", "min": 0, "max": 255, "default": 128, "label": "Threshold",
            "description": "Grey level"}}),
    ({"type:integer": {}, "description": "Radius in pixels"}, None,
     {"x": {"type": "int", "description": "Radius in pixels"}}),
    ({"type:number": {"lower_inclusive": 0.5, "upper_inclusive": 2}, "default": 1}, None,
     {"x": {"type": "float", "min": 0.5, "max": 2.0, "default": 1, "description": "x"}}),
    ({"type:number": {"min": -1, "max": 1}, "default": 0.25}, None,
     {"x": {"type": "float", "min": -1.0, "max": 1.0, "default": 0.25, "description": "x"}}),
    ({"type:number": {"lower_exclusive": 0, "upper_inclusive": 1}, "default": 0.5},
     {"index": 1, "label": "Sigma", "description": "Blur"},
     {"x": {"type": "float", "min": math.nextafter(0.0, 1.0), "max": 1.0, "default": 0.5,
            "label": "Sigma", "description": "Blur (must be more than 0 and at most 1)"}}),
    ({"type:range": {"lower": {"lower_inclusive": 0}, "upper": {"upper_inclusive": 100}},
      "default": {"lower_inclusive": 10, "upper_inclusive": 90}},
     {"index": 1, "label": "Sizes", "description": "Object sizes"},
     {"x_lower": {"type": "float", "min": 0.0, "default": 10, "label": "Sizes (lower)",
                  "description": "Object sizes (lower end of the range; at least 0)"},
      "x_upper": {"type": "float", "max": 100.0, "default": 90, "label": "Sizes (upper)",
                  "description": "Object sizes (upper end of the range; at most 100)"}}),
    ({"type:range": {"delta": {"lower_inclusive": 5}}}, None,
     {"x_lower": {"type": "float", "description": "x (lower end of the range)"},
      "x_upper": {"type": "float",
                  "description": "x (upper end of the range); upper minus lower must be at least 5"}}),
    ({"type:string": {}, "default": "cells"}, None,
     {"x": {"type": "string", "default": "cells", "description": "x"}}),
    ({"type:string": {"length": {"min": 1, "max": 20}}}, {"index": 1, "label": "", "widget:textbox": {}},
     {"x": {"type": "string", "pattern": "(?s).{1,20}", "description": "x"}}),
    ({"type:string": None}, {"index": 1, "label": "Model file", "widget:file_dialog": {}},
     {"x": {"type": "string", "format": "file", "label": "Model file", "description": "Model file"}}),
    ({"type:choice_binary": None, "default": True}, {"index": 1, "label": "Exclude edges",
                                                      "widget:checkbox": {}},
     {"x": {"type": "bool", "default": True, "label": "Exclude edges", "description": "Exclude edges"}}),
    ({"type:choice_binary": {}}, None, {"x": {"type": "bool", "description": "x"}}),
    ({"type:choice_single": ["NONE", "MEAN", "MEDIAN"], "default": "MEDIAN"}, None,
     {"x": {"type": "enum", "choices": ["NONE", "MEAN", "MEDIAN"], "default": "MEDIAN",
            "description": "x"}}),
    ({"type:choice_single": {"values": ["a", "b"]}}, None,
     {"x": {"type": "enum", "choices": ["a", "b"], "description": "x"}}),
    ({"type:choice_single": ["mean", "min"], "default": "min"},
     {"index": 1, "label": "Filter", "description": "Which filter",
      "widget:dropdown": {"items": [{"key": "min", "label": "Minimum"}, {"key": "mean", "label": "Mean"}]}},
     {"x": {"type": "enum", "choices": ["min", "mean"], "default": "min", "label": "Filter",
            "description": "Which filter. Choices: min = Minimum; mean = Mean."}}),
]


@pytest.mark.parametrize(("entry", "ui", "expected"), PARAM_CASES)
def test_each_value_type_becomes_a_parameter(entry: dict[str, Any], ui: dict[str, Any] | None,
                                             expected: dict[str, Any]) -> None:
    assert params({"x": entry}, {"x": ui} if ui else None) == expected


def test_a_parameter_without_default_is_required_and_one_with_a_default_is_not() -> None:
    manifest = manifest_from_apeer_spec(spec({
        "a": {"type:integer": {}}, "b": {"type:integer": {}, "default": 3}}), folder=FOLDER)
    assert (manifest.parameters["a"].required, manifest.parameters["b"].required) == (True, False)
    assert manifest.default_params() == {"b": 3}


def test_inputs_follow_the_ui_order_then_the_specification_order() -> None:
    inputs: dict[str, Any] = {k: {"type:integer": {}} for k in ("first", "second", "third", "fourth")}
    ui = {"third": {"index": 1, "label": "T"}, "first": {"index": 2, "label": "F"}}
    assert list(params(inputs, ui)) == ["third", "first", "second", "fourth"]


def test_apeer_keys_become_lamella_names() -> None:
    inputs = {"FILTER_RADIUS": {"type:integer": {}}, "inputImage": {"type:file": {"format": "tiff"}},
              "exclude_Edge_Particles": {"type:choice_binary": None}, "2D-mode": {"type:string": {}}}
    manifest = manifest_from_apeer_spec(spec(inputs, {"OutImage": OUTPUT["result"]}), folder=FOLDER)
    assert list(manifest.parameters) == ["filter_radius", "exclude_edge_particles", "apeer_2d_mode"]
    assert (list(manifest.inputs), list(manifest.outputs)) == (["input_image"], ["out_image"])


# ----- files become typed ports -------------------------------------------------------------
@pytest.mark.parametrize(("kind", "constraint", "as_input", "as_output"), [
    ("file", {"format": ["tiff"]}, "image", "image"),
    ("file", {"format": ["czi", "tiff", "png", "jpeg", "ome-tiff"]}, "image", "file"),
    ("file", {"format": ["png", "jpg"]}, "file", "image"),
    ("file", {"format": "czi"}, "file", "file"),
    ("file", {"format": ["csv"]}, "table", "table"),
    ("file", {"format": ["json"]}, "json", "json"),
    ("file", {"format": ["tiff", "csv"]}, "file", "file"),
    ("file", {"format": "*"}, "file", "file"),
    ("file", {}, "file", "file"),
    ("file", None, "file", "file"),
    ("list[file]", {"format": [".TIF"], "count": {"min": 1}}, "list[image]", "list[image]"),
    ("list[file]", {"format": ["csv"]}, "list[table]", "list[table]"),
])
def test_file_port_types_follow_the_declared_formats(kind: str, constraint: Any, as_input: str,
                                                     as_output: str) -> None:
    entry = {f"type:{kind}": constraint}
    manifest = manifest_from_apeer_spec(spec({"x": entry}, {"y": entry}), folder=FOLDER)
    assert (manifest.inputs["x"].type, manifest.outputs["y"].type) == (as_input, as_output)


def test_port_descriptions_come_from_the_ui_then_the_specification() -> None:
    data = spec({"a": {"type:file": {}, "description": "spec text"}, "b": {"type:file": {}}},
                {"c": {"type:file": {}}, "d": {"type:file": {}, "description": "written"}},
                ui={"inputs": {"a": {"index": 1, "label": "A", "description": "ui text"}},
                    "outputs": {"c": {"index": 1, "label": "Label only"}}})
    manifest = manifest_from_apeer_spec(data, folder=FOLDER)
    assert [p.description for p in manifest.inputs.values()] == ["ui text", ""]
    assert [p.description for p in manifest.outputs.values()] == ["Label only", "written"]
    assert all(p.required for p in manifest.inputs.values())


def test_sidecar_sets_port_types_and_what_the_specification_cannot_say() -> None:
    sidecar = {"id": "zeiss/particles", "version": "2.1.0", "name": "Particles",
               "category": "Segmentation", "description": "Segment particles.",
               "inputs": {"image": {"type": "image", "description": "SEM image"}},
               "outputs": {"mask": {"type": "mask"}, "all": {"type": "list[labels]"}},
               "resources": {"gpu": "optional", "memory_gb": 8}, "authors": ["A. Author"],
               "license": "MIT"}
    data = spec({"image": {"type:file": {"format": ["png"]}}},
                {"mask": {"type:file": {"format": ["tiff"]}, "description": "Foreground"},
                 "all": {"type:list[file]": {"format": ["tiff"]}}},
                requirements={"hardware": {"gpu": {}}})
    manifest = manifest_from_apeer_spec(data, folder=FOLDER, sidecar=sidecar)
    assert (manifest.id, manifest.version, manifest.name, manifest.category, manifest.description) == (
        "zeiss/particles", "2.1.0", "Particles", "Segmentation", "Segment particles.")
    assert manifest.image == "lamella-apeer/particles:2.1.0"
    assert (manifest.inputs["image"].type, manifest.inputs["image"].description) == ("image", "SEM image")
    assert [(p.type, p.description) for p in manifest.outputs.values()] == [
        ("mask", "Foreground"), ("list[labels]", "")]
    assert (manifest.resources.gpu, manifest.resources.memory_gb) == ("optional", 8.0)
    assert (manifest.authors, manifest.license) == (["A. Author"], "MIT")


def test_without_sidecar_the_documented_defaults_apply() -> None:
    manifest = manifest_from_apeer_spec(spec(), folder=Path("/m/Cell_Counter v2"))
    assert manifest.model_dump(include={"id", "version", "name", "category", "description", "kind",
                                        "image", "entrypoint"}) == {
        "id": "apeer/cell_counter-v2", "version": "1.0.0", "name": "Cell Counter v2",
        "category": "Other", "kind": "apeer", "image": "lamella-apeer/cell_counter-v2:1.0.0",
        "description": "APEER module 'Cell_Counter v2', run from its container image the APEER way.",
        "entrypoint": "main:run"}
    assert manifest_from_apeer_spec(spec(version="3.0.1"), folder=FOLDER).image == (
        "lamella-apeer/my-module:3.0.1")


@pytest.mark.parametrize(("requirements", "expected"), [
    (None, ("none", False, None)),
    ({}, ("none", False, None)),
    ({"hardware": {"gpu": {}}}, ("required", False, None)),
    ({"network": {"internet_access": {}}}, ("none", True, None)),
    ({"hardware": {"gpu": {}}, "network": {"internet_access": {}},
      "runtime": {"runtime_limit_in_minutes": 10}}, ("required", True, 600.0)),
    ({"gpu": True, "internet_access": None}, ("required", True, None)),
    ({"gpu": False, "internet_access": False}, ("none", False, None)),
])
def test_requirements_become_resources(requirements: Any, expected: tuple[str, bool, Any]) -> None:
    resources = manifest_from_apeer_spec(spec(requirements=requirements), folder=FOLDER).resources
    assert (resources.gpu, resources.network, resources.timeout) == expected


# ----- what the runner sends the module -----------------------------------------------------
def test_lamella_values_go_back_under_their_apeer_keys() -> None:
    data = spec({"IMAGE": {"type:file": {}}, "Sizes": {"type:range": {}}, "nBins": {"type:integer": {}},
                 "Files": {"type:list[file]": {}}},
                {"OutTable": {"type:file": {"format": "csv"}}})
    values = apeer_input_values(data, params={"sizes_lower": 1.0, "sizes_upper": 9.5, "n_bins": 20},
                                files={"image": "/input/a.tif", "files": ["/input/b.tif"]})
    assert values == {"IMAGE": "/input/a.tif", "Sizes": {"lower_inclusive": 1.0, "upper_inclusive": 9.5},
                      "nBins": 20, "Files": ["/input/b.tif"]}
    assert apeer_output_ports(data) == {"OutTable": "out_table"}


# ----- broken specifications: one line, naming the file and the field -------------------------
BAD = [
    (spec({"x": {"type:bogus": {}}}),
     "spec.inputs.x.type:bogus: 'type:bogus' is not an APEER type; write 'type:' and one of file, "
     "list[file], integer, number, range, string, choice_binary, choice_single"),
    (spec({"x": {"type:integr": {}}}),
     "spec.inputs.x.type:integr: 'type:integr' is not an APEER type (did you mean 'integer'?); write "
     "'type:' and one of file, list[file], integer, number, range, string, choice_binary, choice_single"),
    (spec({"x": {"type:choice_multiple": {"items": ["a", "b"]}}}),
     "spec.inputs.x.type:choice_multiple: 'type:choice_multiple' has no Lamella parameter type; a "
     "module with this input cannot be used in Lamella yet"),
    (spec(outputs={"count": {"type:integer": {}}}),
     "spec.outputs.count.type:integer: 'type:integer' outputs a value, but Lamella passes only files "
     "between steps; declare it type:file and write the value to a file"),
    (spec(outputs={}), "spec.outputs: declares no output; a Lamella module writes at least one file"),
    ({"inputs": {}}, "has no 'spec' mapping; an APEER module specification holds \"spec\": "
                     "{\"inputs\": ..., \"outputs\": ...}"),
    (spec(uii={}), "uii: unknown field (did you mean 'ui'?); an APEER specification holds spec, ui, "
                   "requirements and image (Lamella also reads version)"),
    (spec({"x": {"type:integer": {"min": 0, "max": 10}, "default": 11}}),
     "spec.inputs.x: default must be between 0 and 10, got 11"),
    (spec({"x": {"type:integer": {"min": 5, "max": 1}}}), "spec.inputs.x: min (5) is larger than max (1)"),
    (spec({"x": {"type:integer": {}, "default": 2.5}}),
     "spec.inputs.x.default: must be a whole number, got 2.5"),
    (spec({"x": {"type:choice_binary": None, "default": "yes"}}),
     "spec.inputs.x.default: must be true or false, got 'yes'"),
    (spec({"x": {"type:choice_single": ["a", "b"], "default": "c"}}),
     "spec.inputs.x: default 'c' is not one of 'a', 'b'"),
    (spec({"x": {"type:choice_single": "https://example.org/choices/{0}", "depends_on": ["y"]}}),
     "spec.inputs.x.type:choice_single: takes its choices from an external reference "
     "('https://example.org/choices/{0}'), which Lamella cannot read; list the choices in the specification"),
    (spec({"x": {"type:integer": {"minimum": 0}}}),
     "spec.inputs.x.type:integer.minimum: unknown field (did you mean 'min'?); accepted here: max, min"),
    (spec({"x": {"type:number": {"lower_inclusive": 0, "lower_exclusive": 0}}}),
     "spec.inputs.x.type:number: give one of lower_inclusive or lower_exclusive, not both"),
    (spec({"x": {"type:range": {}, "default": [1, 2]}}),
     "spec.inputs.x.default: must be {\"lower_inclusive\": number, \"upper_inclusive\": number}, got [1, 2]"),
    (spec({"x": {"type:integer": {}, "type:number": {}}}),
     "spec.inputs.x: needs exactly one 'type:...' key, e.g. \"type:integer\": {\"min\": 0}"),
    (spec({"x": {"type:integer": {}, "defualt": 1}}),
     "spec.inputs.x.defualt: unknown field (did you mean 'default'?); accepted here: a 'type:...' key, "
     "default, depends_on, description"),
    (spec({"Radius": {"type:integer": {}}, "radius": {"type:integer": {}}}),
     "spec.inputs.radius: its Lamella name 'radius' is also the name of 'Radius'; two APEER keys that "
     "differ only in case or punctuation cannot both be used"),
    (spec({"x": {"type:file": {"formats": ["tiff"]}}}),
     "spec.inputs.x.type:file: must be a mapping with format, got {'formats': ['tiff']}"),
    (spec(requirements={"hardware": {"gpus": {}}}),
     "requirements.hardware.gpus: unknown requirement; accepted here: gpu"),
    (spec(requirements={"runtime": {"runtime_limit_in_minutes": 0}}),
     "requirements.runtime.runtime_limit_in_minutes: must be a whole number above 0, got 0"),
    (spec(version="1.2"), "version: '1.2' is not a valid version. A version is MAJOR.MINOR.PATCH, e.g. "
                          "'1.2.0'."),
    (spec(ui=[1]), "ui: must be a mapping with 'inputs' and 'outputs', got [1]"),
    (spec({"x": {"type:integer": {}}}, ui={"inputs": {"x": {"index": "1", "label": "X"}}}),
     "ui.inputs.x: must be a mapping with 'index' (a whole number), 'label' and 'description' (text), "
     "got {'index': '1', 'label': 'X'}"),
]


def write_module(folder: Path, data: Any, sidecar: Any = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / "module_specification.json").write_text(text)
    if sidecar is not None:
        (folder / "lamella-apeer.json").write_text(json.dumps(sidecar))
    return folder


@pytest.mark.parametrize(("data", "message"), BAD)
def test_broken_specification_is_one_line_naming_file_and_field(tmp_path: Path, data: Any,
                                                                message: str) -> None:
    folder = write_module(tmp_path / "tool", data)
    with pytest.raises(ApeerSpecError) as info:
        load_apeer_module(folder)
    assert str(info.value) == f"{folder}/module_specification.json: {message}"


@pytest.mark.parametrize(("sidecar", "message"), [
    ({"outputs": {"resutl": {"type": "mask"}}},
     "outputs.resutl: module_specification.json has no file output 'resutl' (did you mean 'result'?)"),
    ({"outputs": {"result": {"type": "list[mask]"}}},
     "outputs.result.type: 'list[mask]' does not match 'type:file' in module_specification.json; write "
     "a single type, e.g. 'mask'"),
    ({"outputs": {"result": {"type": "masks"}}},
     "outputs.result.type: 'masks' is not a port type. Use one of image, labels, mask, probabilities, "
     "table, plot, model, json, file, or a list form such as 'list[image]'."),
    ({"catgory": "Segmentation"}, "catgory: unknown field (did you mean 'category'?)"),
    ({"colour": "blue"}, "colour: unknown field; accepted here: id, version, name, category, "
                         "description, image, inputs, outputs, resources, authors, license, citation"),
    ({"resources": {"gpu": "maybe"}},
     "resources.gpu: 'maybe' is not allowed; use 'none', 'optional' or 'required'"),
])
def test_broken_sidecar_names_the_sidecar(tmp_path: Path, sidecar: Any, message: str) -> None:
    folder = write_module(tmp_path / "tool", spec(), sidecar)
    with pytest.raises(ApeerSpecError) as info:
        load_apeer_module(folder)
    assert str(info.value) == f"{folder}/lamella-apeer.json: {message}"


def test_files_that_are_not_json_are_named(tmp_path: Path) -> None:
    folder = write_module(tmp_path / "tool", "{")
    with pytest.raises(ApeerSpecError) as info:
        load_apeer_module(folder)
    assert str(info.value) == (f"{folder}/module_specification.json: not valid JSON (Expecting property "
                               "name enclosed in double quotes: line 1 column 2 (char 1)); fix the file "
                               "or export it again")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = spec({"a": {"type:bogus": {}}, "b": {"type:integer": {"max": 1}, "default": 2}})
    folder = write_module(tmp_path / "tool", data, {"outputs": {"nope": {"type": "mask"}}})
    with pytest.raises(ManifestError) as info:
        load_apeer_module(folder)
    assert [str(p) for p in info.value.problems] == [
        "module_specification.json: spec.inputs.a.type:bogus: 'type:bogus' is not an APEER type; write "
        "'type:' and one of file, list[file], integer, number, range, string, choice_binary, choice_single",
        "module_specification.json: spec.inputs.b: default must be at most 1, got 2",
        "lamella-apeer.json: outputs.nope: module_specification.json has no file output 'nope'"]
    assert str(info.value).splitlines()[0] == f"{folder}: 3 problems in APEER module"


# ----- the catalog --------------------------------------------------------------------------
WORKFLOW = """\
lamella: 1
name: invert
inputs:
  image: {type: image}
nodes:
  load: {module: lamella/load-image@1, in: {path: $inputs.image}}
  invert:
    module: apeer/invert-apeer@1
    params: {threshold: 10, max_source: image}
    in: {input_image: load.image}
outputs: {inverted: invert.inverted_image}
"""


def test_the_fixture_module_is_discovered_and_validates() -> None:
    catalog = Catalog.discover([FIXTURE.parent])
    entry = catalog.resolve("apeer/invert-apeer@1")
    assert (entry.folder, entry.origin, entry.entrypoint_problem, catalog.broken) == (
        FIXTURE, "--modules", None, {})
    m = entry.manifest
    assert (m.kind, m.image, m.category) == ("apeer", "lamella-apeer/invert-apeer:1.0.0", "Other")
    assert {n: p.type for n, p in m.inputs.items()} == {"input_image": "image"}
    assert {n: p.type for n, p in m.outputs.items()} == {"inverted_image": "image"}
    assert [(n, p.type, p.label, p.summary()) for n, p in m.parameters.items()] == [
        ("max_source", "enum", "Invert against", "default 'dtype'; one of dtype, image"),
        ("threshold", "int", "Threshold", "default 0; between 0 and 65535"),
        ("gain", "float", "Gain", "default 1.0; between 0 and 10"),
        ("float_output", "bool", "32-bit float output", "default False")]
    graph = build_graph(parse_workflow(WORKFLOW), catalog)
    assert graph.nodes["invert"].entry.folder == FIXTURE


def test_the_fixture_folder_itself_is_a_module() -> None:
    assert Catalog.discover([FIXTURE], builtin=False).ids() == ["apeer/invert-apeer"]


def test_workflow_parameters_are_checked_against_the_translated_ranges() -> None:
    bad = WORKFLOW.replace("threshold: 10, max_source: image", "threshold: 70000, max_source: imag")
    with pytest.raises(WorkflowValidationError) as info:
        build_graph(parse_workflow(bad), Catalog.discover([FIXTURE.parent]))
    assert [str(p) for p in info.value.problems] == [
        "node 'invert', parameter 'threshold': must be between 0 and 65535, got 70000",
        "node 'invert', parameter 'max_source': 'imag' is not one of 'dtype', 'image' (did you mean "
        "'image'?)"]


def test_a_broken_apeer_folder_is_reported_when_referenced(tmp_path: Path) -> None:
    folder = write_module(tmp_path / "invert", spec({"x": {"type:bogus": {}}}))
    catalog = Catalog.discover([tmp_path], builtin=False)
    assert list(catalog.broken) == [folder]
    with pytest.raises(ModuleNotFound) as info:
        catalog.resolve("apeer/invert@1")
    assert str(info.value).startswith(f"module 'apeer/invert' has a broken manifest: {folder}/"
                                      "module_specification.json: spec.inputs.x.type:bogus: ")


def test_sidecar_next_to_the_fixture_changes_the_module_and_its_digest(tmp_path: Path) -> None:
    folder = tmp_path / "invert-apeer"
    shutil.copytree(FIXTURE, folder)
    before = folder_digest(folder)
    (folder / "lamella-apeer.json").write_text(json.dumps({
        "id": "me/invert", "category": "Preprocessing",
        "outputs": {"inverted_image": {"type": "probabilities"}}}))
    entry = Catalog.discover([tmp_path], builtin=False).resolve("me/invert@1")
    assert (entry.manifest.category, entry.manifest.outputs["inverted_image"].type) == (
        "Preprocessing", "probabilities")
    assert folder_digest(folder) != before


def test_module_json_of_kind_apeer_still_works_and_its_specification_is_checked(tmp_path: Path) -> None:
    folder = write_module(tmp_path / "tool", spec({"x": {"type:integer": {}}}))
    (folder / "module.json").write_text(json.dumps({
        "id": "me/tool", "version": "1.0.0", "name": "Tool", "category": "Other", "description": "d",
        "outputs": {"result": {"type": "image"}}, "kind": "apeer", "image": "me/tool:1.0.0"}))
    catalog = Catalog.discover([tmp_path], builtin=False)
    assert (catalog.resolve("me/tool@1").manifest.name, catalog.resolve("me/tool@1").entrypoint_problem) == (
        "Tool", None)
    write_module(folder, spec({"x": {"type:bogus": {}}}))
    problem = Catalog.discover([tmp_path], builtin=False).resolve("me/tool@1").entrypoint_problem
    assert str(problem).startswith(f"{folder.resolve()}/module_specification.json: "
                                   "spec.inputs.x.type:bogus: 'type:bogus' is not an APEER type;")
