"""A task on a Docker engine that cannot see this machine's files: its volumes and mounts.

A native module's task is one volume at ``/task`` (``task.json``, ``inputs/`` as links into
the host's store, an empty ``outputs/``), written through the module's own created
container before it starts. An APEER module's task keeps APEER's layout: the inputs'
volume at ``/input`` and again at ``/params`` (its ``WFE_input_params.json``), both
read-only, and an empty second volume at ``/output``; read-only mounts cannot be written
through the module's container, so a created helper fills the inputs' volume.

Inputs that an earlier node left on the same host (:mod:`._docker_resident`) are not
shipped: their task's volume is mounted read-only at ``/upstream/<volume>`` and the input
link points there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lamella.runner.backends._docker_resident import InPlace, ResidentOutputs
from lamella.runner.backends._task_folder import TaskFolder
from lamella.runner.backends.base import RunRequest
from lamella.runner.containers._remote import STORE_MOUNT, STORE_VOLUME, HostFiles, task_mounts
from lamella.runner.containers._sandbox import TASK_MOUNT, default_user

__all__ = ["UPSTREAM_MOUNT", "RemoteTask", "fill_remote_task", "remote_task"]

_APEER_PARAMS = "WFE_input_params.json"
UPSTREAM_MOUNT = "/upstream"


@dataclass(frozen=True)
class RemoteTask:
    """The volumes made for one task on a remote host and where its outputs are."""

    volumes: tuple[str, ...]
    outputs: str  # the folder to fetch from the ended container
    in_place: dict[str, InPlace] = field(default_factory=dict)  # digest -> an upstream's volume

    @property
    def apeer(self) -> bool:
        return self.outputs == "/output"

    @property
    def outputs_volume(self) -> str:
        """The volume the module writes its outputs into."""
        return self.volumes[-1]

    @property
    def outputs_in_volume(self) -> str:
        """Where the outputs are inside :attr:`outputs_volume` (``''``: at its root)."""
        return "" if self.apeer else "outputs"

    @property
    def reads(self) -> tuple[str, ...]:
        """Upstream tasks' volumes this task mounts."""
        return tuple(sorted({place.volume for place in self.in_place.values()}))

    def input_targets(self) -> dict[str, str]:
        """Digest -> where the container sees an input that is not in the store."""
        return {digest: f"{UPSTREAM_MOUNT}/{place.volume}/{place.path}"
                for digest, place in self.in_place.items()}


def remote_task(run: RunRequest, folder: TaskFolder, files: HostFiles, name: str,
                settings: dict[str, Any], resident: ResidentOutputs | None = None) -> RemoteTask:
    """Ship the run's inputs, make its volumes and point ``settings`` (the container's) at them.

    Inputs ``resident`` holds on this host are read in place, not shipped.
    """
    inputs = [f for port_files in run.inputs.values() for f in port_files]
    in_place = resident.use([f.digest for f in inputs]) if resident is not None else {}
    files.ship([(f.digest, f.locator) for f in inputs if f.digest not in in_place])
    if run.manifest.kind != "apeer":
        volume = files.task_volume(name)
        settings["volumes"] = {**task_mounts(volume), **_upstream_mounts(in_place)}
        return RemoteTask((volume,), f"{TASK_MOUNT}/outputs", in_place)
    import docker.types

    given, outputs = files.task_volume(f"{name}-input"), files.task_volume(f"{name}-output")
    settings["volumes"] = {given: {"bind": "/input", "mode": "ro"},
                           outputs: {"bind": "/output", "mode": "rw"},
                           STORE_VOLUME: {"bind": STORE_MOUNT, "mode": "ro"}, **_upstream_mounts(in_place)}
    settings["mounts"] = [docker.types.Mount("/params", given, type="volume", read_only=True)]
    return RemoteTask((given, outputs), "/output", in_place)


def _upstream_mounts(in_place: dict[str, InPlace]) -> dict[str, dict[str, str]]:
    # Read-only: the module can change neither its inputs nor the task that made them.
    return {place.volume: {"bind": f"{UPSTREAM_MOUNT}/{place.volume}", "mode": "ro"}
            for place in in_place.values()}


def fill_remote_task(task: RemoteTask, run: RunRequest, folder: TaskFolder, files: HostFiles,
                     container: Any) -> None:
    """Write the task's files and input links into its volume (``container`` is created, not started)."""
    inputs_root = folder.root / "inputs" if task.apeer else folder.root
    links = {path.relative_to(inputs_root).as_posix(): file.digest
             for port, paths in folder.inputs.items()
             for path, file in zip(paths, run.inputs[port], strict=True)}
    if task.apeer:
        params = (folder.root / "params" / _APEER_PARAMS).read_bytes()
        files.fill_task(task.volumes[0], {_APEER_PARAMS: params}, links, outputs=False,
                        elsewhere=task.input_targets())
        return
    files.fill_task(container, {"task.json": (folder.root / "task.json").read_bytes()}, links,
                    user=default_user(), elsewhere=task.input_targets())

