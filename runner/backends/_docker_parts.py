"""Pieces of the Docker backend that need none of its state: capacities, APEER files, errors."""

from __future__ import annotations

import json
from typing import Any

from lamella.runner.backends._task_folder import TaskFolder
from lamella.runner.backends.base import HostCapacity, Placement, RunRequest
from lamella.runner.containers._apeer import OUTPUT_PARAMS_FILE, apeer_environment, apeer_outputs_listing
from lamella.runner.containers._engines import Engine

__all__ = [
    "apeer_inputs",
    "apeer_listing",
    "api_reason",
    "as_signal",
    "capacity",
    "in_container",
    "start_failure",
]


def capacity(engine: Engine, jobs: int, gpu_ids: tuple[str, ...] | None) -> HostCapacity:
    info = engine.client.info()
    cpus = engine.host.cpus or int(info.get("NCPU") or 1)
    slots = engine.host.slots or jobs
    memory = engine.host.memory_gb or float(info.get("MemTotal") or 0) / 1024**3
    gpus = engine.host.gpus if engine.host.gpus is not None else (gpu_ids or ())
    # A remote host's next run is made ready while its slot is busy: shipping, creating and
    # filling cost a remote node about 0.15 s that the previous container's run now hides.
    staged = slots if engine.files is not None else 0
    return HostCapacity(engine.label, slots, memory, tuple(gpus), max(1, cpus // max(1, slots)), staged)


def apeer_inputs(run: RunRequest, folder: TaskFolder) -> dict[str, Any]:
    """The WFE input JSON of an APEER run, also written where the dev kit looks without it."""
    inputs = {port: [p.relative_to(folder.root / "inputs").as_posix() for p in paths]
              for port, paths in folder.inputs.items()}
    values = apeer_environment(run.module.folder, run.manifest, run.params, inputs)
    params = folder.root / "params"
    params.mkdir(exist_ok=True)
    (params / "WFE_input_params.json").write_text(json.dumps(values))
    (folder.root / "outputs").chmod(0o777)  # root without capabilities writes only where all may
    return values


def apeer_listing(run: RunRequest, folder: TaskFolder) -> str | None:
    """Turn an APEER module's output file into Lamella's outputs.json; the problem, if any."""
    outputs = folder.root / "outputs"
    listing = apeer_outputs_listing(run.module.folder, outputs)
    if isinstance(listing, str):
        return listing
    (outputs / OUTPUT_PARAMS_FILE).unlink()
    (outputs / "outputs.json").write_text(json.dumps({"outputs": listing}))
    return None


def as_signal(status: int) -> int:
    """A container's 128+N exit status as -N (killed by signal N), as a local process reports it."""
    return -(status - 128) if 128 < status < 128 + 32 else status


def in_container(gpu_ids: tuple[str, ...]) -> tuple[str, ...]:
    """Inside a container its GPUs are numbered from 0, whatever their ids on the host."""
    return tuple(str(i) for i in range(len(gpu_ids)))


def api_reason(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc).splitlines()[0][:300]


def start_failure(exc: BaseException, placement: Placement) -> str:
    reason = api_reason(exc)
    if placement.gpu_ids and ("device driver" in reason or "gpu" in reason.lower()):
        return (f"GPU {','.join(placement.gpu_ids)} could not be given to the container on "
                f"{placement.host} ({reason}); install the NVIDIA Container Toolkit there, or run "
                "without --gpus (modules with resources.gpu 'optional' then use the CPU)")
    return f"the container could not start: {reason}"
