"""A run's task folder on a machine that runs it: laid out from a request, read back as a result.

Backends that run modules from a folder (local workers, isolated processes, and later a
container mount) share this: :func:`lay_out` writes the runtime contract's folder
(``task.json``, ``inputs/``, ``outputs/``, ``log.txt``) and notes the state of every input
file; :func:`read_result` turns the finished folder into a :class:`NodeResult` with the
outputs listing, the files as artifacts and the module's notes, and names any input the
module wrote to (size, modification time or inode changed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from lamella.core.cache_keys import file_digest
from lamella.core.sdk import (
    LOG_FILE,
    OUTPUTS_DIR,
    TaskResources,
    prepare_task_folder,
    read_module_notes,
    read_outputs_file,
)
from lamella.runner.backends._output_checks import content_problem, listing_problem
from lamella.runner.backends.base import Artifact, NodeResult, Placement, RunRequest

__all__ = ["TaskFolder", "in_user_terms", "lay_out", "read_result"]

_FileState = tuple[int, int, int]  # size, mtime_ns, inode


def _file_state(path: Path) -> _FileState | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino


@dataclass
class TaskFolder:
    """A laid-out task folder and the state of its inputs before the module ran."""

    root: Path
    placement: Placement
    inputs: dict[str, list[Path]] = field(default_factory=dict)
    states: dict[Path, _FileState | None] = field(default_factory=dict)
    originals: dict[Path, Path] = field(default_factory=dict)  # task input -> engine's file
    output_types: dict[str, str] = field(default_factory=dict)  # port -> port type

    @property
    def log(self) -> Path:
        """The module's log file."""
        return self.root / LOG_FILE

    def changed_inputs(self) -> list[tuple[str, str]]:
        """(port, file name) of each input not as it was before the module ran."""
        return [(port, path.name) for port, paths in self.inputs.items() for path in paths
                if _file_state(path) != self.states.get(path)]


def lay_out(root: Path, run: RunRequest, placement: Placement, *,
            sources: dict[str, list[Path]], link: bool) -> TaskFolder:
    """Write ``run``'s task folder at ``root``, inputs taken from ``sources`` (port -> files).

    With ``link`` the inputs are symlinks (stored results are read-only files), except the
    user's own files, which are always copies; without it every input is a copy.
    """
    copied = set(sources) if not link else set(run.user_files)
    granted = TaskResources(threads=placement.threads, memory_gb=run.resources.memory_gb,
                            gpu_ids=list(placement.gpu_ids))
    spec = prepare_task_folder(root, node=run.node, manifest=run.manifest, inputs=sources,
                               params=run.params, resources=granted, copied=copied)
    (root / LOG_FILE).touch()
    inputs = {port: [root / p for p in paths] for port, paths in spec.inputs.items()}
    states = {path: _file_state(path) for paths in inputs.values() for path in paths}
    originals = {task: file.locator for port, paths in inputs.items()
                 for task, file in zip(paths, run.inputs.get(port, []), strict=False)}
    placement = replace(placement, log=root / LOG_FILE)
    return TaskFolder(root, placement, inputs, states, originals, dict(spec.outputs))


def in_user_terms(folder: TaskFolder, message: str) -> str:
    """``message`` naming the engine's files, not the task folder's copies of them."""
    for task, original in folder.originals.items():
        # The longer first: the plain path may be part of the resolved one.
        for shown in sorted({str(task.resolve()), str(task)}, key=len, reverse=True):
            message = message.replace(shown, str(original))
    return message


def read_result(folder: TaskFolder, job_id: str, *, ok: bool, error: str = "",
                exit_status: int | None = None, digests: dict[str, str] | None = None) -> NodeResult:
    """The result of a finished run in ``folder``; ``digests`` are those already computed."""
    changed = folder.changed_inputs()
    if not ok or changed:
        return _failed(folder, job_id, in_user_terms(folder, error), exit_status, changed)
    outputs_dir = folder.root / OUTPUTS_DIR
    try:
        written = read_outputs_file(outputs_dir)
        notes = read_module_notes(outputs_dir)
    except (OSError, ValueError, KeyError, TypeError):
        return _failed(folder, job_id, "module finished without writing outputs/outputs.json",
                       exit_status)
    # Before anything is hashed: a listed name may point outside the task folder.
    problem = (listing_problem(outputs_dir, written, folder.output_types)
               or content_problem(outputs_dir, written, folder.output_types))
    if problem:
        return _failed(folder, job_id, problem, None)
    artifacts = _artifacts(outputs_dir, written, digests or {})
    return NodeResult(job_id, True, exit_status=0, outputs=written, artifacts=artifacts,
                      resolved=notes.resolved, warnings=notes.warnings, metrics=notes.metrics,
                      log=folder.log, placement=folder.placement)


def _failed(folder: TaskFolder, job_id: str, error: str, exit_status: int | None,
            changed: list[tuple[str, str]] | None = None) -> NodeResult:
    return NodeResult(job_id, False, error=error, exit_status=exit_status,
                      changed_inputs=changed or [], log=folder.log, placement=folder.placement)


def _artifacts(outputs_dir: Path, written: dict[str, list[str]],
               digests: dict[str, str]) -> dict[str, Artifact]:
    artifacts = {}
    for files in written.values():
        for name in files:
            path = outputs_dir / name
            artifacts[name] = Artifact(name, digests.get(name) or file_digest(path), path)
    return artifacts
