"""The Docker backend: every node runs in its module's own image, in a sandboxed container.

A run's task folder is laid out in the run's scratch space (inputs copied, as a remote
engine would receive them) and bind-mounted at ``/task``, its ``inputs/`` read-only. The
container runs the image's entry (``python -m lamella.core.sdk /module /task ENTRY``), so
progress arrives as ``LAMELLA_PROGRESS`` lines of its output, which a thread per container
follows. The sandbox is in :mod:`lamella.runner.containers._sandbox`; the images are built
by ``lamella module build`` (:mod:`lamella.runner.containers._build`). A container never
outlives its run: it is removed when it ends, is cancelled or times out, and when the
backend closes; ones a killed runner left behind are removed by the next backend's start.

Only engines that see this machine's files (a local socket) run tasks today; remote
engines (files shipped through the API) are listed as not built in the README.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lamella.runner.backends._log import cap_log
from lamella.runner.backends._resources import PooledBackend, ResourcePool, kind_refusal, timeout_error
from lamella.runner.backends._task_folder import TaskFolder, lay_out, read_result
from lamella.runner.backends.base import (
    BackendCapabilities,
    HostCapacity,
    NodeProgress,
    NodeResult,
    Placement,
    RunRequest,
)
from lamella.runner.backends.isolated import error_line, progress_update
from lamella.runner.containers import _names as names
from lamella.runner.containers._apeer import OUTPUT_PARAMS_FILE, apeer_environment, apeer_outputs_listing
from lamella.runner.containers._client import DEFAULT_HOST, DockerHost, connect
from lamella.runner.containers._images import ImageCheck
from lamella.runner.containers._sandbox import ContainerPlan, container_settings, memory_limit_bytes
from lamella.runner.containers._stale import remove_stale_containers, runner_label

__all__ = ["DockerBackend"]

_OOM_STATUS = 137
_PROGRESS = b"LAMELLA_PROGRESS "


@dataclass
class _Task:
    run: RunRequest
    folder: TaskFolder
    container: Any
    started: float
    memory_limit: int
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Engine:
    host: DockerHost
    client: Any
    images: ImageCheck
    label: str  # the name events and the record give the host


class DockerBackend(PooledBackend):
    """Run each task in a container on a Docker engine that shares this machine's files."""

    def __init__(self, jobs: int, *, scratch: Path, hosts: tuple[DockerHost, ...] = (DockerHost(),),
                 gpu_ids: tuple[str, ...] | None = None, memory_gb: float | None = None) -> None:
        connected = [_connect(host) for host in hosts]
        self.engines = {engine.label: engine for engine in connected}
        self.run_label = uuid.uuid4().hex[:12]
        self.memory_override = memory_gb
        capacities = tuple(_capacity(e, jobs, gpu_ids) for e in self.engines.values())
        self.capabilities = BackendCapabilities("docker", capacities, shared_filesystem=False,
                                                kinds=frozenset({"python", "container", "apeer"}))
        self._pool = ResourcePool(capacities)
        self.root = scratch / f"docker-{self.run_label}"
        self._tasks: dict[str, _Task] = {}
        self._folders: dict[str, TaskFolder] = {}
        self._updates: queue.Queue[NodeProgress | NodeResult] = queue.Queue()
        self._failed_early: set[str] = set()
        self._count = 0

    # ----- what can run -------------------------------------------------------------------
    def refusal(self, run: RunRequest) -> str | None:
        """Why ``run`` cannot run here: module kind, resources, or an image missing or stale."""
        problem = kind_refusal(run, self.capabilities) or self._pool.refusal(run.resources, "docker")
        if problem:
            return problem
        for engine in self.engines.values():
            problem = engine.images.problem(run.module)
            if problem:
                return problem
        return None

    # ----- running ------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> Placement:
        """Lay out the task folder, create the container and start it."""
        placement = self._pool.place(run.job_id, run.resources)
        engine = self.engines[placement.host]
        self._count += 1
        problem = engine.images.problem(run.module)
        if problem:  # the engine asks refusal() first; a direct caller may not have
            self._early_failure(run, self._lay_out(run, placement), problem)
            return placement
        image = engine.images.image_for(run.module)
        placement = replace(placement, image=image.reference)
        folder = self._lay_out(run, placement)
        memory_gb = self.memory_override or run.resources.memory_gb
        plan = ContainerPlan(image=image.id, entrypoint=run.manifest.entrypoint, task_folder=folder.root,
                             threads=placement.threads, memory_gb=memory_gb,
                             network=run.manifest.resources.network, gpu_ids=placement.gpu_ids,
                             labels={names.LABEL_RUN: self.run_label, names.LABEL_RUNNER: runner_label(),
                                     "org.lamella.node": run.node, "org.lamella.item": run.item},
                             apeer_inputs=_apeer_inputs(run, folder) if _is_apeer(run) else None)
        try:
            container = engine.client.containers.create(**container_settings(plan),
                                                        name=f"lamella-{self.run_label}-{self._count}")
        except Exception as exc:
            self._early_failure(run, folder, f"the container could not be created: {_api_reason(exc)}")
            return folder.placement
        task = _Task(run, folder, container, time.monotonic(), memory_limit_bytes(memory_gb))
        self._tasks[run.job_id] = task
        try:
            container.start()
        except Exception as exc:
            self._forget(run.job_id, free=False)
            self._early_failure(run, folder, _start_failure(exc, placement))
            return folder.placement
        threading.Thread(target=self._follow, args=(task,), daemon=True,
                         name=f"lamella-docker-{run.node}").start()
        return folder.placement

    def _lay_out(self, run: RunRequest, placement: Placement) -> TaskFolder:
        root = self.root / f"{self._count:06d}"
        sources = {port: [file.locator for file in files] for port, files in run.inputs.items()}
        # Copies, not links: a container sees only what is inside its mounts.
        folder = lay_out(root, run, replace(placement, gpu_ids=_in_container(placement.gpu_ids)),
                         sources=sources, link=False)
        folder.placement = replace(folder.placement, gpu_ids=placement.gpu_ids)
        if os.getuid() == 0:
            # The container runs as nobody: it must be able to write its outputs.
            for path in (root, root / "outputs"):
                path.chmod(0o777)
        self._folders[run.job_id] = folder
        return folder

    def _early_failure(self, run: RunRequest, folder: TaskFolder, error: str) -> None:
        # Its reservation is given back when the result is collected, as for any run: until
        # then the engine counts it as running, and a GPU it held is not handed on early.
        self._failed_early.add(run.job_id)
        self._updates.put(read_result(folder, run.job_id, ok=False, error=error))

    def _follow(self, task: _Task) -> None:
        """Copy the container's output to the log, then report how it ended (a thread)."""
        try:
            stream = task.container.logs(stream=True, follow=True)
        except Exception:
            stream = None
        try:
            ended = self._read_to_end(task, stream) if stream is not None else None
        except Exception:
            ended = None
        finally:
            if stream is not None:
                stream.close()
        if task.cancelled.is_set():
            return
        if ended is None:
            self._updates.put(NodeResult(task.run.job_id, False, error="the container vanished",
                                         log=task.folder.log, placement=task.folder.placement))
        else:
            self._updates.put(("ended", task.run.job_id, *ended))  # type: ignore[arg-type]

    def _read_to_end(self, task: _Task, stream: Any) -> tuple[int, bool]:
        """Follow ``stream`` to the container's end; return its exit status and whether OOM killed it."""
        pending = b""
        with task.folder.log.open("ab") as log:
            for chunk in stream:
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                self._lines(task, lines, log)
            self._lines(task, [pending] if pending else [], log)
        status = int(task.container.wait()["StatusCode"])
        # A follow stream can end before the engine has handed over the container's last
        # lines (seen with quickly failing modules): the log is written again, whole.
        whole = task.container.logs(stream=False)
        with task.folder.log.open("wb") as log:
            log.writelines(line + b"\n" for line in whole.split(b"\n")[:-1] if not line.startswith(_PROGRESS))
            if whole and not whole.endswith(b"\n"):
                log.write(whole.rsplit(b"\n", 1)[-1] + b"\n")
        task.container.reload()
        return status, bool(task.container.attrs["State"].get("OOMKilled"))

    def _lines(self, task: _Task, lines: list[bytes], log: Any) -> None:
        for line in lines:
            text = line.decode("utf-8", "replace")
            if line.startswith(_PROGRESS):
                self._updates.put(progress_update(task.run.job_id, text))
            else:
                log.write(line + b"\n")
        log.flush()

    def poll(self, timeout: float) -> list[NodeProgress | NodeResult]:
        """Wait up to ``timeout`` for progress or an ended container; stop overdue ones."""
        updates: list[NodeProgress | NodeResult] = []
        deadline = time.monotonic() + timeout
        while not updates:
            with contextlib.suppress(queue.Empty):
                updates.append(self._updates.get(timeout=max(0.0, min(0.2, deadline - time.monotonic()))))
            updates += self._overdue()
            if time.monotonic() >= deadline:
                break
        while True:
            try:
                updates.append(self._updates.get_nowait())
            except queue.Empty:
                break
        for update in updates:
            if isinstance(update, NodeResult) and update.job_id in self._failed_early:
                self._failed_early.discard(update.job_id)
                self._pool.free(update.job_id)
        return [self._result(update) if isinstance(update, tuple) else update for update in updates
                if not (isinstance(update, NodeProgress) and update.job_id not in self._tasks)]

    def _result(self, ended: tuple[str, str, int, bool]) -> NodeResult:
        _, job_id, status, oom = ended
        task = self._tasks[job_id]
        self._forget(job_id)
        cap_log(task.folder.log)
        if status == 0 and task.run.manifest.kind == "apeer":
            problem = _apeer_listing(task)
            if problem:
                return read_result(task.folder, job_id, ok=False, exit_status=status, error=problem)
        if status == 0:
            return read_result(task.folder, job_id, ok=True)
        if oom or (status == _OOM_STATUS and task.memory_limit):
            error = f"out of memory (limit {task.memory_limit // 1024**2} MB); give the node more " \
                    "with --memory-limit or the module's resources.memory_gb"
            if not oom:
                error = f"killed (exit status 137), probably {error}"
        else:
            status = _as_signal(status)
            error = error_line(task.folder.log, status)
        return read_result(task.folder, job_id, ok=False, exit_status=status, error=error)

    def _overdue(self) -> list[NodeResult]:
        ended = []
        for job_id, task in list(self._tasks.items()):
            limit = task.run.resources.timeout_s
            if limit is not None and time.monotonic() - task.started >= limit:
                self.cancel(job_id)
                ended.append(read_result(task.folder, job_id, ok=False, error=timeout_error(limit)))
        return ended

    def _forget(self, job_id: str, *, free: bool = True) -> None:
        task = self._tasks.pop(job_id)
        if free:
            self._pool.free(job_id)
        with contextlib.suppress(Exception):
            task.container.remove(force=True)

    def cancel(self, job_id: str) -> None:
        """Stop and remove the run's container; its folder stays until :meth:`release`."""
        task = self._tasks.get(job_id)
        if task is None:
            return
        task.cancelled.set()
        self._forget(job_id)
        cap_log(task.folder.log)

    def release(self, job_id: str) -> None:
        """Delete a finished run's task folder."""
        folder = self._folders.pop(job_id, None)
        if folder is not None:
            shutil.rmtree(folder.root, ignore_errors=True)

    def close(self) -> None:
        """Remove every container this backend started and its scratch folder."""
        for job_id in list(self._tasks):
            self.cancel(job_id)
        self._folders.clear()
        shutil.rmtree(self.root, ignore_errors=True)
        for engine in self.engines.values():
            with contextlib.suppress(Exception):
                engine.client.close()


def _connect(host: DockerHost) -> _Engine:
    client = connect(host)
    remove_stale_containers(client)
    # This machine's engine is named as the machine is; others by their given name or address.
    label = host.name or (socket.gethostname() if host.url == DEFAULT_HOST else host.url)
    return _Engine(host, client, ImageCheck(client, label), label)


def _capacity(engine: _Engine, jobs: int, gpu_ids: tuple[str, ...] | None) -> HostCapacity:
    info = engine.client.info()
    cpus = int(info.get("NCPU") or 1)
    slots = engine.host.slots or jobs
    memory = engine.host.memory_gb or float(info.get("MemTotal") or 0) / 1024**3
    gpus = engine.host.gpus if engine.host.gpus is not None else (gpu_ids or ())
    return HostCapacity(engine.label, slots, memory, tuple(gpus), max(1, cpus // max(1, slots)))


def _is_apeer(run: RunRequest) -> bool:
    return run.manifest.kind == "apeer"


def _apeer_inputs(run: RunRequest, folder: TaskFolder) -> dict[str, Any]:
    """The WFE input JSON of an APEER run, also written where the dev kit looks without it."""
    inputs = {port: [p.relative_to(folder.root / "inputs").as_posix() for p in paths]
              for port, paths in folder.inputs.items()}
    values = apeer_environment(run.module.folder, run.manifest, run.params, inputs)
    params = folder.root / "params"
    params.mkdir(exist_ok=True)
    (params / "WFE_input_params.json").write_text(json.dumps(values))
    (folder.root / "outputs").chmod(0o777)  # root without capabilities writes only where all may
    return values


def _apeer_listing(task: _Task) -> str | None:
    """Turn an APEER module's output file into Lamella's outputs.json; the problem, if any."""
    outputs = task.folder.root / "outputs"
    listing = apeer_outputs_listing(task.run.module.folder, outputs)
    if isinstance(listing, str):
        return listing
    (outputs / OUTPUT_PARAMS_FILE).unlink()
    (outputs / "outputs.json").write_text(json.dumps({"outputs": listing}))
    return None


def _as_signal(status: int) -> int:
    """A container's 128+N exit status as -N (killed by signal N), as a local process reports it."""
    return -(status - 128) if 128 < status < 128 + 32 else status


def _in_container(gpu_ids: tuple[str, ...]) -> tuple[str, ...]:
    """Inside a container its GPUs are numbered from 0, whatever their ids on the host."""
    return tuple(str(i) for i in range(len(gpu_ids)))


def _api_reason(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc).splitlines()[0][:300]


def _start_failure(exc: BaseException, placement: Placement) -> str:
    reason = _api_reason(exc)
    if placement.gpu_ids and ("device driver" in reason or "gpu" in reason.lower()):
        return (f"GPU {','.join(placement.gpu_ids)} could not be given to the container on "
                f"{placement.host} ({reason}); install the NVIDIA Container Toolkit there, or run "
                "without --gpus (modules with resources.gpu 'optional' then use the CPU)")
    return f"the container could not start: {reason}"
