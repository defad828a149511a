"""The runtime contract between a runner and a module, identical for every backend.

A node run gets a fresh folder::

    task.json      what to do: inputs, parameters, outputs, resources (TaskSpec)
    inputs/        one sub-folder per input port holding its files (read-only in containers;
                   a module must never write to them)
    outputs/       where the module writes; it also writes outputs/outputs.json
    log.txt        everything the module printed

``outputs.json`` maps each output port to the files written for it, relative to ``outputs/``,
and may add the values the module chose for automatic parameters and its warnings for the user:
``{"outputs": {"mask": ["mask.ome.tif"]}, "resolved": {"min_area": "31 px^2"},
"warnings": ["..."], "metrics": {"objects": 412}}``.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lamella.core.manifest import Manifest

__all__ = [
    "INPUTS_DIR",
    "LOG_FILE",
    "OUTPUTS_DIR",
    "OUTPUTS_FILE",
    "TASK_FILE",
    "ModuleNotes",
    "TaskResources",
    "TaskSpec",
    "prepare_task_folder",
    "read_module_notes",
    "read_outputs_file",
]

TASK_FILE = "task.json"
INPUTS_DIR = "inputs"
OUTPUTS_DIR = "outputs"
OUTPUTS_FILE = "outputs.json"
LOG_FILE = "log.txt"


class TaskResources(BaseModel):
    """What the runner granted this run."""

    model_config = ConfigDict(extra="forbid")

    threads: int = Field(default=1, description="CPU threads the module may use.")
    memory_gb: float = Field(default=2.0, description="Memory granted, in GiB.")
    gpu_ids: list[str] = Field(default_factory=list, description="GPU device ids granted.")


class TaskSpec(BaseModel):
    """Content of ``task.json``."""

    model_config = ConfigDict(extra="forbid")

    lamella_task: int = Field(default=1, description="Task file format version.")
    node: str = Field(description="Workflow node id this run belongs to.")
    module: str = Field(description="Module id.")
    version: str = Field(description="Module version.")
    inputs: dict[str, list[str]] = Field(
        description="Files per connected input port, relative to the task folder."
    )
    params: dict[str, Any] = Field(description="Every parameter value, defaults filled in.")
    outputs: dict[str, str] = Field(description="Output port names and their port types.")
    input_types: dict[str, str] = Field(description="Input port names and their port types.")
    resources: TaskResources = Field(default_factory=TaskResources,
                                     description="CPU threads, memory and GPUs granted to this run.")


def prepare_task_folder(
    folder: Path,
    *,
    node: str,
    manifest: Manifest,
    inputs: dict[str, list[Path]],
    params: dict[str, Any],
    resources: TaskResources | None = None,
    copied: Collection[str] = (),
    hard_links: bool = True,
) -> TaskSpec:
    """Create the task folder: put input files into ``inputs/<port>/`` and write task.json.

    Input files are linked, so large images cost nothing to pass from node to node (the
    runner links only to read-only files of its cache): hard links where the folder shares
    the files' filesystem, symlinks otherwise (see :func:`_link`). Ports named in ``copied``
    get copies instead: the runner copies the user's own files that way, so a module that
    wrongly writes to its input changes its own copy, never the user's original. With
    ``hard_links`` false every link is a symlink (module tests: messages name the files
    given, not the task folder's names for them).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / OUTPUTS_DIR).mkdir(exist_ok=True)
    relative_inputs = {
        port: [_place_input(folder, port, index if len(paths) > 1 else None, Path(path),
                            link=port not in copied, hard=hard_links)
               for index, path in enumerate(paths)]
        for port, paths in inputs.items()
    }
    spec = TaskSpec(
        node=node,
        module=manifest.id,
        version=manifest.version,
        inputs=relative_inputs,
        params=params,
        outputs={name: port.type for name, port in manifest.outputs.items()},
        input_types={name: port.type for name, port in manifest.inputs.items()},
        resources=resources or TaskResources(threads=manifest.resources.threads,
                                             memory_gb=manifest.resources.memory_gb),
    )
    (folder / TASK_FILE).write_text(spec.model_dump_json(indent=2), encoding="utf-8")
    return spec


def _place_input(folder: Path, port: str, index: int | None, source: Path, *, link: bool,
                 hard: bool = True) -> str:
    port_dir = folder / INPUTS_DIR / port
    port_dir.mkdir(parents=True, exist_ok=True)
    # A single file keeps its name (messages show it); list items get an index prefix so
    # two files with the same name stay distinct.
    target = port_dir / (source.name if index is None else f"{index}-{source.name}")
    if link and hard:
        _link(source.resolve(), target)
    elif link:
        os.symlink(source.resolve(), target)
    else:
        shutil.copyfile(source, target)  # content only: the copy is the task's own, writable
    return target.relative_to(folder).as_posix()


def _link(source: Path, target: Path) -> None:
    """Hard-link ``source`` at ``target``; a symlink where a hard link is not possible.

    A hard link holds the file itself, not its name: when another run on the same cache
    replaces or removes the stored result (``--no-cache``, a repair), a running module
    keeps reading the very file it was given, and its input's size, mtime and inode stay
    as they were, so no write is wrongly reported. A write to the shared read-only file
    still changes its mtime and is caught. Another filesystem, or a file another user
    owns under ``fs.protected_hardlinks``, gets a symlink.
    """
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
        os.symlink(source, target)


class ModuleNotes(BaseModel):
    """What a module reports besides its files: resolved automatic parameters, warnings."""

    model_config = ConfigDict(extra="ignore")

    resolved: dict[str, Any] = Field(
        default_factory=dict,
        description="Value the module chose for each parameter set to 'auto', e.g. "
        "{\"min_distance\": \"6.5 px\"}.")
    warnings: list[str] = Field(
        default_factory=list,
        description="One-line warnings for the user (shown in the run summary and the record).")
    metrics: dict[str, Any] = Field(
        default_factory=dict,
        description="Numbers the module measured about its own run, e.g. {\"objects\": 412} "
        "(in the run record and the node's events).")


def read_module_notes(outputs_dir: Path) -> ModuleNotes:
    """Read the resolved parameters and warnings of ``outputs.json`` (empty if it has none)."""
    return ModuleNotes.model_validate_json((outputs_dir / OUTPUTS_FILE).read_text(encoding="utf-8"))


def read_outputs_file(outputs_dir: Path) -> dict[str, list[str]]:
    """Read ``outputs.json``: output port -> file names relative to ``outputs_dir``."""
    data = json.loads((outputs_dir / OUTPUTS_FILE).read_text(encoding="utf-8"))
    return {str(k): [str(f) for f in v] for k, v in data["outputs"].items()}
