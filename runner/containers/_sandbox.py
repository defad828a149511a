"""A node run's container settings: the sandbox every module gets unless it asks for more.

Defaults (docs/containers.md, "Sandbox"): no network unless the manifest sets
``resources.network``; the task's ``inputs/`` mounted read-only and the rest of the task
folder read-write; a non-root user (the runner's own uid, or nobody when the runner is
root); every Linux capability dropped; ``no-new-privileges``; memory limited to the node's
memory (``resources.memory_gb``, or the run's override) with no swap on top, CPU to its
threads, and at most 512 processes. GPUs are passed as a device request with explicit ids,
so two nodes running at once never share one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamella.runner.containers import _names as names

__all__ = ["NOBODY", "PIDS_LIMIT", "ContainerPlan", "container_settings", "memory_limit_bytes"]

NOBODY = "65534:65534"
PIDS_LIMIT = 512
TASK_MOUNT = "/task"
_GIB = 1024**3


@dataclass(frozen=True)
class ContainerPlan:
    """What one container is to do, in the terms its settings need."""

    image: str
    entrypoint: str
    task_folder: Path
    threads: int
    memory_gb: float
    network: bool
    gpu_ids: tuple[str, ...]
    labels: dict[str, str]
    user: str | None = None  # None: the default (see the module docstring)
    apeer_inputs: dict[str, Any] | None = None  # WFE input JSON: run the APEER way


def _apeer_settings(plan: ContainerPlan) -> dict[str, Any]:
    """An APEER module's contract: /input read-only, /output, /params, WFE_INPUT_JSON; its own entry.

    APEER images run as root (their code writes beside itself and to /output); the rest of
    the sandbox stays: no capabilities, so root cannot pass file permissions either.
    """
    import json

    folder = plan.task_folder
    return {"command": None, "working_dir": None, "user": "0:0",
            "volumes": {str(folder / "inputs"): {"bind": "/input", "mode": "ro"},
                        str(folder / "outputs"): {"bind": "/output", "mode": "rw"},
                        str(folder / "params"): {"bind": "/params", "mode": "ro"}},
            "environment": {"WFE_INPUT_JSON": json.dumps(plan.apeer_inputs), "HOME": "/tmp",
                            "MPLCONFIGDIR": "/tmp/matplotlib"}}


def memory_limit_bytes(memory_gb: float) -> int:
    """The container's memory limit for a node needing ``memory_gb`` (at least 64 MiB)."""
    return max(int(memory_gb * _GIB), 64 * 1024**2)


def default_user() -> str:
    """The runner's uid:gid, so outputs belong to the user; nobody when the runner is root."""
    uid = os.getuid()
    return NOBODY if uid == 0 else f"{uid}:{os.getgid()}"


def container_settings(plan: ContainerPlan) -> dict[str, Any]:
    """Keyword arguments for ``client.containers.create`` (the Docker SDK) for ``plan``."""
    import docker.types

    threads = str(plan.threads)
    limit = memory_limit_bytes(plan.memory_gb)
    settings: dict[str, Any] = {
        "image": plan.image,
        "command": [TASK_MOUNT, plan.entrypoint],
        "labels": {names.LABEL_KIND: "task", **plan.labels},
        "volumes": {str(plan.task_folder): {"bind": TASK_MOUNT, "mode": "rw"},
                    str(plan.task_folder / "inputs"): {"bind": f"{TASK_MOUNT}/inputs", "mode": "ro"}},
        "working_dir": TASK_MOUNT,
        "user": plan.user or default_user(),
        "network_mode": "bridge" if plan.network else "none",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "mem_limit": limit,
        "memswap_limit": limit,
        "nano_cpus": int(plan.threads * 1e9),
        "pids_limit": PIDS_LIMIT,
        "environment": {"OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
                        "MKL_NUM_THREADS": threads, "HOME": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib",
                        # One ordered stream, so the module's error is the log's last line.
                        "LAMELLA_ONE_STREAM": "1"},
        "detach": True,
    }
    if plan.apeer_inputs is not None:
        settings.update(_apeer_settings(plan))
    if plan.gpu_ids:
        settings["device_requests"] = [docker.types.DeviceRequest(
            device_ids=list(plan.gpu_ids), capabilities=[["gpu"]])]
    return settings
