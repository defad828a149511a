"""A task on a Docker engine that cannot see this machine's files: its volumes and mounts.

A native module's task is one volume at ``/task`` (``task.json``, ``inputs/`` as links into
the host's store, an empty ``outputs/``), written through the module's own created
container before it starts. An APEER module's task keeps APEER's layout: the inputs'
volume at ``/input`` and again at ``/params`` (its ``WFE_input_params.json``), both
read-only, and an empty second volume at ``/output``; read-only mounts cannot be written
through the module's container, so a created helper fills the inputs' volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamella.runner.backends._task_folder import TaskFolder
from lamella.runner.backends.base import RunRequest
from lamella.runner.containers._remote import STORE_MOUNT, STORE_VOLUME, HostFiles, task_mounts
from lamella.runner.containers._sandbox import TASK_MOUNT, default_user

__all__ = ["RemoteTask", "fill_remote_task", "remote_task"]

_APEER_PARAMS = "WFE_input_params.json"


@dataclass(frozen=True)
class RemoteTask:
    """The volumes made for one task on a remote host and where its outputs are."""

    volumes: tuple[str, ...]
    outputs: str  # the folder to fetch from the ended container

    @property
    def apeer(self) -> bool:
        return self.outputs == "/output"


def remote_task(run: RunRequest, folder: TaskFolder, files: HostFiles, name: str,
                settings: dict[str, Any]) -> RemoteTask:
    """Ship the run's inputs, make its volumes and point ``settings`` (the container's) at them."""
    files.ship([(f.digest, f.locator) for port_files in run.inputs.values() for f in port_files])
    if run.manifest.kind != "apeer":
        volume = files.task_volume(name)
        settings["volumes"] = task_mounts(volume)
        return RemoteTask((volume,), f"{TASK_MOUNT}/outputs")
    import docker.types

    inputs, outputs = files.task_volume(f"{name}-input"), files.task_volume(f"{name}-output")
    settings["volumes"] = {inputs: {"bind": "/input", "mode": "ro"},
                           outputs: {"bind": "/output", "mode": "rw"},
                           STORE_VOLUME: {"bind": STORE_MOUNT, "mode": "ro"}}
    settings["mounts"] = [docker.types.Mount("/params", inputs, type="volume", read_only=True)]
    return RemoteTask((inputs, outputs), "/output")


def fill_remote_task(task: RemoteTask, run: RunRequest, folder: TaskFolder, files: HostFiles,
                     container: Any) -> None:
    """Write the task's files and input links into its volume (``container`` is created, not started)."""
    inputs_root = folder.root / "inputs" if task.apeer else folder.root
    links = {path.relative_to(inputs_root).as_posix(): file.digest
             for port, paths in folder.inputs.items()
             for path, file in zip(paths, run.inputs[port], strict=True)}
    if task.apeer:
        params = (folder.root / "params" / _APEER_PARAMS).read_bytes()
        files.fill_task(task.volumes[0], {_APEER_PARAMS: params}, links, outputs=False)
        return
    files.fill_task(container, {"task.json": (folder.root / "task.json").read_bytes()}, links,
                    user=default_user())

