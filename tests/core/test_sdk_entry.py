"""The container entry ``python -m lamella.core.sdk``, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lamella.core.manifest import load_manifest
from lamella.core.sdk import prepare_task_folder

MANIFEST = {"id": "me/tool", "version": "1.0.0", "name": "Tool", "category": "Other",
            "description": "d", "outputs": {"out": {"type": "json"}}, "entrypoint": "tool:go"}
CODE = ("def go(task):\n    task.save_json('out', {'ran': 'go'})\n\n\n"
        "def other(task):\n    task.save_json('out', {'ran': 'other'})\n")


def tiny_module(folder: Path) -> Path:
    """A module whose entrypoint is ``tool:go``; it has no main.py."""
    folder.mkdir()
    (folder / "module.json").write_text(json.dumps(MANIFEST))
    (folder / "tool.py").write_text(CODE)
    return folder


def run_entry(module_dir: Path, task: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lamella.core.sdk", str(module_dir), str(task), *extra],
                          capture_output=True, text=True, timeout=120)


def task_folder(module_dir: Path, folder: Path) -> Path:
    prepare_task_folder(folder, node="tool", manifest=load_manifest(module_dir / "module.json"),
                        inputs={}, params={})
    return folder


def test_entry_runs_the_manifest_entrypoint(tmp_path: Path) -> None:
    module = tiny_module(tmp_path / "tool")
    task = task_folder(module, tmp_path / "task")
    done = run_entry(module, task)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads((task / "outputs" / "out.json").read_text()) == {"ran": "go"}


def test_an_entrypoint_argument_overrides_the_manifest(tmp_path: Path) -> None:
    module = tiny_module(tmp_path / "tool")
    task = task_folder(module, tmp_path / "task")
    done = run_entry(module, task, "tool:other")
    assert done.returncode == 0, done.stderr
    assert json.loads((task / "outputs" / "out.json").read_text()) == {"ran": "other"}


def test_a_broken_manifest_is_one_line_naming_the_file(tmp_path: Path) -> None:
    module = tiny_module(tmp_path / "tool")
    task = task_folder(module, tmp_path / "task")
    broken = {**MANIFEST, "entrypoint": "tool.go", "imag": "me/tool:1"}
    (module / "module.json").write_text(json.dumps(broken))
    done = run_entry(module, task)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {module}/module.json: entrypoint: 'tool.go' is not a valid entrypoint. An entrypoint "
        "is 'file:function', e.g. 'main:run'.; imag: unknown field (did you mean 'image'?)"]
