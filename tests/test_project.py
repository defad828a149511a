"""Project-level promises: layering, published schemas, packaging."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lamella.core._schema import SCHEMA_DIR, render_schemas

REPO = Path(__file__).resolve().parents[1]


BIN = Path(sys.executable).parent


def installed_layout(root: Path) -> Path:
    """``root/lamella/{core,runner,editor}`` linked to the source folders, as the wheel installs them.

    import-linter and mypy read packages from folders, not through the editable install.
    """
    package = root / "lamella"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for folder in ("core", "runner", "editor"):
        (package / folder).symlink_to(REPO / folder)
    return root


def test_layers_are_respected(tmp_path: Path) -> None:
    # core imports no Qt, Docker, Dask, FastAPI (nor the runner); runner and the editor's
    # model import no Qt.
    root = installed_layout(tmp_path)
    done = subprocess.run([str(BIN / "lint-imports")], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_published_schemas_match_the_models() -> None:
    for name, text in render_schemas().items():
        committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run `make schema` and commit it"


def test_every_python_package_is_packaged() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    folders = {"core": "lamella.core", "runner": "lamella.runner", "editor": "lamella.editor"}
    found = set()
    for folder, package in folders.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join([package, *relative]))
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_lint_is_clean() -> None:
    folders = [f for f in ("core", "runner", "modules", "tests", "module_templates", "benchmarks",
                            "examples") if (REPO / f).is_dir()]
    done = subprocess.run([str(BIN / "ruff"), "check", *folders], cwd=REPO, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout


def test_types_check(tmp_path: Path) -> None:
    root = installed_layout(tmp_path)
    done = subprocess.run([str(BIN / "mypy"), "-p", "lamella.core", "-p", "lamella.runner",
                           "-p", "lamella.editor",
                           "--config-file", str(REPO / "pyproject.toml"), "--cache-dir",
                           str(tmp_path / "mypy-cache")], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_shipped_files_follow_the_published_schemas() -> None:
    # The schemas are what other tools (editors, registries) validate against; the files we
    # ship must pass them, not only our own pydantic models.
    import jsonschema

    from lamella.core.workflow._yaml import _safe_yaml

    schemas = {name: json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
               for name in ("module", "workflow")}
    manifests = sorted(REPO.glob("modules/*/module.json")) + sorted(
        REPO.glob("module_templates/*/module.json"))
    workflows = sorted(REPO.glob("examples/workflows/*.yaml"))
    assert len(manifests) >= 12 and len(workflows) >= 3
    for path in manifests:
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schemas["module"])
    for path in workflows:
        jsonschema.validate(_safe_yaml(path.read_text(encoding="utf-8"), str(path)), schemas["workflow"])
    broken = {**json.loads(manifests[0].read_text(encoding="utf-8")), "colour": "blue"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schemas["module"])


REQUIREMENT_FILES = sorted(REPO.glob("modules/*/requirements.txt")) + sorted(
    REPO.glob("module_templates/*/requirements.txt"))


def test_builtin_module_requirements_are_satisfiable() -> None:
    # A module's requirements are its own: each line is met by the environment `make test`
    # installs, or comes with one of lamella's optional extras (an ML module may need torch
    # without torch becoming a dependency of every install).
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    from_extras = {canonicalize_name(Requirement(r).name) for group in extras.values() for r in group}
    assert len(REQUIREMENT_FILES) >= 12
    for path in REQUIREMENT_FILES:
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                requirement = Requirement(line.split(" #")[0])
                installed = _installed_version(requirement.name)
                met = installed is not None and requirement.specifier.contains(installed, prereleases=True)
                assert met or canonicalize_name(requirement.name) in from_extras, (
                    f"{path}: '{line}' is neither installed nor in one of lamella's extras")


def test_builtin_modules_report_no_unmet_requirement() -> None:
    from lamella.core.catalog import MANIFEST_FILE
    from lamella.core.manifest import load_manifest
    from lamella.runner.backends._requirements import unmet_requirement

    folders = [path.parent for path in REQUIREMENT_FILES]
    unmet = {folder.name: unmet_requirement(folder, load_manifest(folder / MANIFEST_FILE))
             for folder in folders}
    # A module needing a package of an extra that is not installed here names that extra.
    assert {name: message for name, message in unmet.items()
            if message is not None and not re.search(r"pip install 'lamella\[\w+\]'$", message)} == {}


def _installed_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
