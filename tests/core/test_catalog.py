"""Module discovery: search order, versions, broken manifests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lamella.core.catalog import Catalog, builtin_modules_dir, folder_digest
from lamella.core.errors import LamellaError, ModuleNotFound, WorkflowValidationError
from lamella.core.graph import build_graph
from lamella.core.workflow import parse_workflow


def make_module(folder: Path, version: str = "1.0.0", module_id: str = "me/tool") -> Path:
    folder.mkdir(parents=True)
    (folder / "module.json").write_text(json.dumps({
        "id": module_id, "version": version, "name": "Tool", "category": "Other",
        "description": "d", "outputs": {"out": {"type": "json"}}}))
    (folder / "main.py").write_text("def run(task):\n    task.save_json('out', 1)\n")
    return folder


def test_builtin_library_loads_without_broken_manifests() -> None:
    catalog = Catalog.discover(env={})
    assert catalog.broken == {}
    assert all(e.origin == "built-in" for e in catalog.entries)
    assert all(e.folder.parent == builtin_modules_dir().resolve() for e in catalog.entries)


def test_newest_matching_version_wins(tmp_path: Path) -> None:
    for version in ("1.0.0", "1.4.2", "1.10.0", "2.0.1"):
        make_module(tmp_path / f"tool-{version}", version)
    catalog = Catalog.discover([tmp_path], builtin=False)
    assert catalog.versions("me/tool") == ["1.0.0", "1.4.2", "1.10.0", "2.0.1"]
    assert catalog.resolve("me/tool@1").manifest.version == "1.10.0"
    assert catalog.resolve("me/tool@1.4").manifest.version == "1.4.2"
    assert catalog.resolve("me/tool").manifest.version == "2.0.1"
    with pytest.raises(ModuleNotFound) as info:
        catalog.resolve("me/tool@3")
    assert str(info.value) == ("module 'me/tool' has no version matching '@3' (available: 1.0.0, "
                               "1.4.2, 1.10.0, 2.0.1)")


def test_search_order_modules_then_env_then_builtin(tmp_path: Path) -> None:
    first = make_module(tmp_path / "first" / "tool")
    make_module(tmp_path / "second" / "tool")
    catalog = Catalog.discover([tmp_path / "first"],
                               env={"LAMELLA_MODULE_PATH": str(tmp_path / "second")})
    entry = catalog.resolve("me/tool@1")
    assert entry.folder == first.resolve() and entry.origin == "--modules"
    env_only = Catalog.discover(env={"LAMELLA_MODULE_PATH": str(tmp_path / "second")})
    assert env_only.resolve("me/tool@1").origin == "LAMELLA_MODULE_PATH"


def test_a_folder_that_is_itself_a_module(tmp_path: Path) -> None:
    make_module(tmp_path / "tool")
    assert Catalog.discover([tmp_path / "tool"], builtin=False).ids() == ["me/tool"]


def test_broken_manifest_is_reported_when_referenced(tmp_path: Path) -> None:
    folder = make_module(tmp_path / "tool")
    data = json.loads((folder / "module.json").read_text())
    data["outputs"] = {"out": {"type": "jsn"}}
    (folder / "module.json").write_text(json.dumps(data))
    catalog = Catalog.discover([tmp_path], builtin=False)
    assert list(catalog.broken) == [folder]
    with pytest.raises(ModuleNotFound) as info:
        catalog.resolve("me/tool@1")
    assert str(info.value).startswith(f"module 'me/tool' has a broken manifest: {folder}/module.json: "
                                      "1 problem in module manifest\n  - outputs.out.type: 'jsn'")


def test_manifest_that_is_not_json_is_named_by_its_folder(tmp_path: Path) -> None:
    folder = make_module(tmp_path / "tool")
    (folder / "module.json").write_text('{"id": "me/tool",\n  version: 1}')
    catalog = Catalog.discover([tmp_path], builtin=False)
    with pytest.raises(ModuleNotFound) as info:
        catalog.resolve("me/tool@1")
    assert str(info.value).startswith(f"module 'me/tool' has a broken manifest: {folder}/module.json: "
                                      "1 problem in module manifest\n  - line 2: not valid JSON")


def test_same_id_and_version_twice_is_recorded_as_shadowed(tmp_path: Path) -> None:
    first = make_module(tmp_path / "a" / "tool")
    second = make_module(tmp_path / "b" / "tool")
    catalog = Catalog.discover([tmp_path / "a", tmp_path / "b"], builtin=False)
    assert catalog.resolve("me/tool@1").folder == first.resolve()
    assert {path: entry.folder for path, entry in catalog.shadowed.items()} == {
        second.resolve(): first.resolve()}


def test_modules_folder_without_modules_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(LamellaError) as info:
        Catalog.discover([tmp_path / "empty"], builtin=False)
    assert str(info.value) == (f"--modules {tmp_path / 'empty'}: no module folders in it (a module "
                               "folder holds module.json; see docs/modules.md)")


@pytest.mark.parametrize(("code", "problem"), [
    ("def run(task):\n    pass\n", None),
    ("from .helpers import run\n", None),
    ("def runn(task):\n    pass\n",
     "main.py defines no function 'run' (did you mean 'runn'?); define it or fix 'entrypoint'"),
    ("def run(task:\n", "main.py cannot be read as Python ("),
    (None, "main.py is not in the module folder; add it or fix 'entrypoint' (a module that is "
           "only a container image sets \"kind\": \"container\")"),
])
def test_entrypoint_is_checked_without_running_the_code(tmp_path: Path, code: str | None,
                                                        problem: str | None) -> None:
    folder = make_module(tmp_path / "tool")
    (folder / "main.py").unlink()
    if code is not None:
        (folder / "main.py").write_text(code)
    entry = Catalog.discover([tmp_path], builtin=False).resolve("me/tool@1")
    if problem is None:
        assert entry.entrypoint_problem is None
    else:
        assert str(entry.entrypoint_problem).startswith(
            f"entrypoint 'main:run' in {folder.resolve()}/module.json: {problem}")


def make_image_module(folder: Path, kind: str) -> Path:
    """A module folder without Python code: module.json and a Dockerfile."""
    make_module(folder)
    (folder / "main.py").unlink()
    data = json.loads((folder / "module.json").read_text())
    (folder / "module.json").write_text(json.dumps({**data, "kind": kind, "image": "me/tool:1.0.0"}))
    (folder / "Dockerfile").write_text("FROM me/tool-base:1\n")
    return folder


WORKFLOW = "lamella: 1\nname: t\nnodes:\n  tool: {module: me/tool@1}\n"


def test_container_module_without_python_is_found_and_validates(tmp_path: Path) -> None:
    folder = make_image_module(tmp_path / "tool", "container")
    catalog = Catalog.discover([tmp_path], builtin=False)
    entry = catalog.resolve("me/tool@1")
    assert (entry.manifest.kind, entry.entrypoint_problem, catalog.broken) == ("container", None, {})
    graph = build_graph(parse_workflow(WORKFLOW), catalog)
    assert [node.entry.folder for node in graph.nodes.values()] == [folder.resolve()]


APEER_SPEC = {"spec": {"inputs": {"input_image": {"type:file": {}}},
                       "outputs": {"output_image": {"type:file": {}}}},
              "ui": []}


@pytest.mark.parametrize(("spec", "problem"), [
    (APEER_SPEC, None),
    (None, "{folder}/module.json: kind 'apeer' needs module_specification.json in the module "
           "folder; put the APEER module's specification next to module.json"),
    ("{", "{folder}/module_specification.json: not valid JSON (Expecting property name enclosed "
          "in double quotes: line 1 column 2 (char 1)); export the APEER module specification again"),
    ({"ui": []}, "{folder}/module_specification.json: has no 'spec' mapping; an APEER module "
                 "specification holds \"spec\": {\"inputs\": ..., \"outputs\": ...}"),
])
def test_apeer_module_needs_its_specification(tmp_path: Path, spec: object, problem: str | None) -> None:
    folder = make_image_module(tmp_path / "tool", "apeer")
    if spec is not None:
        text = spec if isinstance(spec, str) else json.dumps(spec)
        (folder / "module_specification.json").write_text(text)
    catalog = Catalog.discover([tmp_path], builtin=False)
    entry = catalog.resolve("me/tool@1")
    expected = None if problem is None else problem.replace("{folder}", str(folder.resolve()))
    assert entry.entrypoint_problem == expected
    if expected is not None:
        with pytest.raises(WorkflowValidationError) as info:
            build_graph(parse_workflow(WORKFLOW), catalog)
        assert [str(p) for p in info.value.problems] == [f"node 'tool': {expected}"]


def test_builtin_entrypoints_are_sound() -> None:
    assert [e.manifest.id for e in Catalog.discover(env={}).entries if e.entrypoint_problem] == []


def test_digest_changes_with_code_not_tests(tmp_path: Path) -> None:
    folder = make_module(tmp_path / "tool")
    before = folder_digest(folder)
    (folder / "tests").mkdir()
    (folder / "tests" / "test_tool.py").write_text("x = 1\n")
    assert folder_digest(folder) == before
    (folder / "main.py").write_text("def run(task):\n    task.save_json('out', 2)\n")
    assert folder_digest(folder) != before
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert folder_digest(copy) == folder_digest(folder)


def test_digest_of_an_image_module_follows_its_kind_and_image(tmp_path: Path) -> None:
    folder = make_image_module(tmp_path / "tool", "container")
    before = folder_digest(folder)
    data = json.loads((folder / "module.json").read_text())
    (folder / "module.json").write_text(json.dumps({**data, "image": "me/tool:1.0.1"}))
    retagged = folder_digest(folder)
    (folder / "module.json").write_text(json.dumps({**data, "kind": "apeer"}))
    assert len({before, retagged, folder_digest(folder)}) == 3


def test_missing_modules_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LamellaError) as info:
        Catalog.discover([tmp_path / "modulez"])
    assert str(info.value) == f"--modules {tmp_path}/modulez: no such folder"
