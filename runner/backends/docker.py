"""The Docker backend: every node runs in its module's own image, in a sandboxed container.

A run's task folder is laid out in the run's scratch space. On an engine that sees this
machine's files (its unix socket) the folder is bind-mounted at ``/task``, ``inputs/``
read-only; on a remote engine the inputs are shipped into the host's content store (once
per content) and linked from a task volume, and the outputs are fetched back when the
container ends (:mod:`lamella.runner.containers._remote`). The container runs the image's
entry (``python -m lamella.core.sdk /module /task ENTRY``), so progress arrives as
``LAMELLA_PROGRESS`` lines of its output, which a thread per container follows. The
sandbox is :mod:`lamella.runner.containers._sandbox`; images are built by ``lamella module
build`` and sent to remote hosts that lack them. A container never outlives its run: it is
removed when it ends, is cancelled or times out, and when the backend closes; ones a
killed runner left behind are removed by the next backend's start. A host that stops
answering while a node runs on it is retired, and the node runs again on another host.
A remote node's outputs also stay on its host for the next nodes there to read in place
(:mod:`._docker_resident`); a run whose inputs a remote host holds so is placed there
when it has a slot free.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lamella.runner.backends._docker_gate import SlotGate
from lamella.runner.backends._docker_parts import (
    apeer_inputs,
    apeer_listing,
    api_reason,
    as_signal,
    capacity,
    in_container,
    start_failure,
)
from lamella.runner.backends._docker_remote import RemoteTask, fill_remote_task, remote_task
from lamella.runner.backends._docker_resident import ResidentOutputs
from lamella.runner.backends._log import cap_log
from lamella.runner.backends._resources import PooledBackend, ResourcePool, kind_refusal, timeout_error
from lamella.runner.backends._task_folder import TaskFolder, lay_out, read_result
from lamella.runner.backends.base import BackendCapabilities, NodeProgress, NodeResult, Placement, RunRequest
from lamella.runner.backends.isolated import error_line, progress_update
from lamella.runner.containers import _names as names
from lamella.runner.containers._client import DockerHost
from lamella.runner.containers._engines import Engine, connect_engines, this_machines_engine
from lamella.runner.containers._sandbox import (
    ContainerPlan,
    container_settings,
    memory_limit_bytes,
)
from lamella.runner.containers._stale import runner_label

__all__ = ["DockerBackend"]

_OOM_STATUS = 137
_PROGRESS = b"LAMELLA_PROGRESS "


@dataclass
class _Task:
    run: RunRequest
    folder: TaskFolder
    engine: Engine
    container: Any
    started: float | None  # None: made ready on a remote host, waiting for its slot
    memory_limit: int
    remote: RemoteTask | None = None  # its volumes on a remote engine
    cancelled: threading.Event = field(default_factory=threading.Event)
    gate: SlotGate | None = None  # the remote host's slots, while this task holds one
    _gate_lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, gate: SlotGate) -> bool:
        """Wait for a slot of the remote host; False if the run was cancelled meanwhile."""
        if not gate.enter(self.run.resources.slots, self.cancelled):
            return False
        with self._gate_lock:
            self.gate = gate
        return True

    def leave(self) -> None:
        """Give the slot back (the container ended or never started); once."""
        with self._gate_lock:
            gate, self.gate = self.gate, None
        if gate is not None:
            gate.leave(self.run.resources.slots)


@dataclass
class _Start:
    """A run being created and started (on a remote host: in a thread of its own)."""

    run: RunRequest
    folder: TaskFolder
    engine: Engine
    image_id: str
    memory_gb: float
    name: str
    cancelled: threading.Event = field(default_factory=threading.Event)


class DockerBackend(PooledBackend):
    """Run each task in a container on one or more Docker engines."""

    def __init__(self, jobs: int, *, scratch: Path, hosts: tuple[DockerHost, ...] = (DockerHost(),),
                 gpu_ids: tuple[str, ...] | None = None, memory_gb: float | None = None,
                 registry: str | None = None) -> None:
        self.engines = {engine.label: engine for engine in connect_engines(hosts, registry=registry)}
        self.run_label = uuid.uuid4().hex[:12]
        self.memory_override = memory_gb
        capacities = tuple(capacity(e, jobs, gpu_ids) for e in self.engines.values())
        self.capabilities = BackendCapabilities("docker", capacities, shared_filesystem=False,
                                                kinds=frozenset({"python", "container", "apeer"}))
        self._pool = ResourcePool(capacities)
        self.root = scratch / f"docker-{self.run_label}"
        self._tasks: dict[str, _Task] = {}
        self._starting: dict[str, tuple[_Start, threading.Thread]] = {}  # remote runs being started
        self._cleaning: list[threading.Thread] = []  # removing remote tasks' containers and volumes
        self._lock = threading.Lock()
        self._folders: dict[str, TaskFolder] = {}
        self._updates: queue.Queue[Any] = queue.Queue()
        self._failed_early: set[str] = set()
        self._waiting: list[RunRequest] = []  # runs whose host was lost, to run again
        # This machine's engine when it is not one of the hosts; False: looked, none answers.
        self._source: Engine | bool | None = None
        self._resident = {label: ResidentOutputs() for label, engine in self.engines.items()
                          if engine.files is not None}
        self._gates = {c.name: SlotGate(c.slots) for c in capacities if c.staged}
        self._count = 0

    # ----- what can run -------------------------------------------------------------------
    def refusal(self, run: RunRequest) -> str | None:
        """Why ``run`` cannot run here: module kind, resources, or an image missing or stale."""
        problem = kind_refusal(run, self.capabilities) or self._pool.refusal(run.resources, "docker")
        if problem:
            return problem
        source = self._local_engine()
        for engine in self.engines.values():
            problem = engine.image_problem(run.module, source)
            if problem:
                return problem
        return None

    def _local_engine(self) -> Engine | None:
        """The engine of this machine, which images are sent from: one of the run's, or the default."""
        local = next((e for e in self.engines.values() if e.files is None and e.alive), None)
        if local is None and self._source is None:
            self._source = this_machines_engine() or False
        return local or (self._source if isinstance(self._source, Engine) else None)

    # ----- running ------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> Placement:
        """Lay out the task folder, create the container and start it.

        On a remote host, shipping the inputs, making and filling the task's volume and
        creating the container are a dozen API round trips: they run in a thread, so the
        other hosts' nodes are submitted meanwhile (a failure arrives as the node's result).
        """
        placement = self._pool.place(run.job_id, run.resources, prefer=self._holder(run))
        engine = self.engines[placement.host]
        self._count += 1
        folder = self._lay_out(run, placement, engine)
        problem = engine.image_problem(run.module, self._local_engine())
        if problem:  # the engine asks refusal() first; a direct caller may not have
            self._early_failure(run, folder, problem)
            return folder.placement
        image = engine.images.image_for(run.module)
        folder.placement = replace(folder.placement, image=image.reference)
        start = _Start(run, folder, engine, image.id, self.memory_override or run.resources.memory_gb,
                       f"lamella-{self.run_label}-{self._count}")
        if engine.files is None:
            self._create_and_start(start)
        else:
            thread = threading.Thread(target=self._create_and_start, args=(start,), daemon=True,
                                      name=f"lamella-docker-start-{run.node}")
            self._starting[run.job_id] = (start, thread)
            thread.start()
        return folder.placement

    def _holder(self, run: RunRequest) -> str | None:
        """The remote host that holds most of ``run``'s inputs in place, if one holds any."""
        digests = [f.digest for files in run.inputs.values() for f in files]
        held = {label: resident.holds(digests) for label, resident in self._resident.items()}
        best = max(held, key=lambda label: held[label], default=None)
        return best if best is not None and held[best] else None

    def _create_and_start(self, start: _Start) -> None:
        run, folder, engine = start.run, start.folder, start.engine
        try:
            settings, remote = self._settings(run, folder, engine, start.image_id, start.memory_gb,
                                              start.name)
            container = engine.client.containers.create(**settings, name=start.name)
        except Exception as exc:
            self._starting.pop(run.job_id, None)
            if not start.cancelled.is_set():
                self._early_failure(run, folder, f"the container could not be created on {engine.label}: "
                                    f"{api_reason(exc)}")
            return
        gate = self._gates.get(engine.label)
        task = _Task(run, folder, engine, container, None if gate else time.monotonic(),
                     memory_limit_bytes(start.memory_gb), remote, start.cancelled)
        with self._lock:
            self._starting.pop(run.job_id, None)
            self._tasks[run.job_id] = task
        if start.cancelled.is_set():  # cancelled while it was being created
            self._forget(run.job_id, free=False)
            return
        try:
            if remote is not None:
                assert engine.files is not None
                fill_remote_task(remote, run, folder, engine.files, container)
            if gate is not None and not task.hold(gate):
                return  # cancelled while it waited: cancel() removed it
            container.start()
            task.started = time.monotonic()
        except Exception as exc:
            task.leave()
            if not start.cancelled.is_set() and not engine.answers():
                self._updates.put(("lost", run.job_id))  # run again elsewhere, like a running node
                return
            self._forget(run.job_id, free=False)
            if not start.cancelled.is_set():
                self._early_failure(run, folder, start_failure(exc, folder.placement))
            return
        threading.Thread(target=self._follow, args=(task,), daemon=True,
                         name=f"lamella-docker-{run.node}").start()

    def _lay_out(self, run: RunRequest, placement: Placement, engine: Engine) -> TaskFolder:
        root = self.root / f"{self._count:06d}"
        sources = {port: [file.locator for file in files] for port, files in run.inputs.items()}
        # A mounted folder holds copies (a container sees only what is inside its mounts);
        # for a remote engine the folder only describes the task: links do.
        folder = lay_out(root, run, replace(placement, gpu_ids=in_container(placement.gpu_ids)),
                         sources=sources, link=engine.files is not None)
        folder.placement = replace(folder.placement, gpu_ids=placement.gpu_ids)
        if os.getuid() == 0 and engine.files is None:
            # The container runs as nobody: it must be able to write its outputs.
            for path in (root, root / "outputs"):
                path.chmod(0o777)
        self._folders[run.job_id] = folder
        return folder

    def _settings(self, run: RunRequest, folder: TaskFolder, engine: Engine, image: str,
                  memory_gb: float, name: str) -> tuple[dict[str, Any], RemoteTask | None]:
        """The container's settings, and the task's volumes made for it on a remote engine."""
        plan = ContainerPlan(image=image, entrypoint=run.manifest.entrypoint, task_folder=folder.root,
                             threads=folder.placement.threads, memory_gb=memory_gb,
                             network=run.manifest.resources.network, gpu_ids=folder.placement.gpu_ids,
                             labels={names.LABEL_RUN: self.run_label, names.LABEL_RUNNER: runner_label(),
                                     "org.lamella.node": run.node, "org.lamella.item": run.item},
                             apeer_inputs=apeer_inputs(run, folder) if run.manifest.kind == "apeer" else None)
        settings = container_settings(plan)
        if engine.files is None:
            return settings, None
        remote = remote_task(run, folder, engine.files, name, settings, self._resident.get(engine.label))
        return settings, remote

    def _early_failure(self, run: RunRequest, folder: TaskFolder, error: str) -> None:
        # Its reservation is given back when the result is collected, as for any run: until
        # then the engine counts it as running, and a GPU it held is not handed on early.
        self._failed_early.add(run.job_id)
        self._updates.put(read_result(folder, run.job_id, ok=False, error=error))

    # ----- following a container ----------------------------------------------------------
    def _follow(self, task: _Task) -> None:
        """Copy the container's output to the log, then report how it ended (a thread)."""
        stream = None
        try:
            stream = task.container.logs(stream=True, follow=True)
            ended: tuple[int, bool] | None = self._read_to_end(task, stream)
        except Exception:
            ended = None
        finally:
            task.leave()
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
        if task.cancelled.is_set():
            return
        if ended is not None:
            self._updates.put(("ended", task.run.job_id, *ended))
        elif not task.engine.answers():
            self._updates.put(("lost", task.run.job_id))
        else:
            self._updates.put(NodeResult(task.run.job_id, False, error="the container vanished",
                                         log=task.folder.log, placement=task.folder.placement))

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
        task.leave()  # the next container on the host starts while this one's outputs come back
        # A follow stream can end before the engine has handed over the container's last
        # lines (seen with quickly failing modules): the log is written again, whole.
        whole = task.container.logs(stream=False)
        with task.folder.log.open("wb") as log:
            log.writelines(line + b"\n" for line in whole.split(b"\n")[:-1] if not line.startswith(_PROGRESS))
            if whole and not whole.endswith(b"\n"):
                log.write(whole.rsplit(b"\n", 1)[-1] + b"\n")
        if task.remote is not None and task.engine.files is not None:  # outputs come back from its volume
            task.engine.files.fetch(task.container, task.remote.outputs, task.folder.root / "outputs")
        task.container.reload()
        return status, bool(task.container.attrs["State"].get("OOMKilled"))

    def _lines(self, task: _Task, lines: list[bytes], log: Any) -> None:
        for line in lines:
            if line.startswith(_PROGRESS):
                self._updates.put(progress_update(task.run.job_id, line.decode("utf-8", "replace")))
            else:
                log.write(line + b"\n")
        log.flush()

    # ----- results ------------------------------------------------------------------------
    def poll(self, timeout: float) -> list[NodeProgress | NodeResult]:
        """Wait up to ``timeout`` for progress or an ended container; stop overdue ones."""
        raw: list[Any] = []
        deadline = time.monotonic() + timeout
        while not raw:
            with contextlib.suppress(queue.Empty):
                raw.append(self._updates.get(timeout=max(0.0, min(0.2, deadline - time.monotonic()))))
            raw += self._overdue()
            if time.monotonic() >= deadline:
                break
        while True:
            try:
                raw.append(self._updates.get_nowait())
            except queue.Empty:
                break
        updates = [u for update in raw if (u := self._update(update)) is not None]
        return updates + self._start_waiting()

    def _update(self, update: Any) -> NodeProgress | NodeResult | None:
        if isinstance(update, tuple):
            return self._result(update) if update[0] == "ended" else self._lost(update[1])
        if isinstance(update, NodeResult) and update.job_id in self._failed_early:
            self._failed_early.discard(update.job_id)
            self._pool.free(update.job_id)
        if isinstance(update, NodeProgress) and update.job_id not in self._tasks:
            return None  # from a container cancelled or lost meanwhile
        return update

    def _result(self, ended: tuple[str, str, int, bool]) -> NodeResult:
        _, job_id, status, oom = ended
        task = self._tasks[job_id]
        try:
            result = self._read(task, job_id, status, oom)
            if result.ok and task.remote is not None:
                self._keep_outputs(task, result)  # before _forget, which removes the volumes not kept
        finally:
            self._forget(job_id)
        return result

    def _keep_outputs(self, task: _Task, result: NodeResult) -> None:
        """Offer a remote run's outputs, as fetched and hashed here, to the next nodes on its host."""
        resident = self._resident.get(task.engine.label)
        if resident is None or task.remote is None:
            return
        where = task.remote.outputs_in_volume
        files = {a.digest: f"{where}/{a.name}" if where else a.name for a in result.artifacts.values()}
        for volume in resident.keep(task.remote.outputs_volume, files):
            self._in_background(_remove_volume, task.engine, volume)

    def _read(self, task: _Task, job_id: str, status: int, oom: bool) -> NodeResult:
        cap_log(task.folder.log)
        if status == 0 and task.run.manifest.kind == "apeer":
            problem = apeer_listing(task.run, task.folder)
            if problem:
                return read_result(task.folder, job_id, ok=False, exit_status=status, error=problem)
        if status == 0:
            return read_result(task.folder, job_id, ok=True)
        if oom or (status == _OOM_STATUS and task.memory_limit):
            error = (f"out of memory (limit {task.memory_limit // 1024**2} MB); give the node more "
                     "with --memory-limit or the module's resources.memory_gb")
            if not oom:
                error = f"killed (exit status 137), probably {error}"
        else:
            status = as_signal(status)
            error = error_line(task.folder.log, status)
        return read_result(task.folder, job_id, ok=False, exit_status=status, error=error)

    def _lost(self, job_id: str) -> NodeProgress | NodeResult | None:
        """A run's engine stopped answering: retire that host and run the node elsewhere."""
        with self._lock:
            task = self._tasks.pop(job_id, None)
        if task is None:  # cancelled meanwhile
            return None
        self._pool.free(job_id)
        task.engine.alive = False
        self._pool.retire(task.engine.label)
        self._resident.pop(task.engine.label, None)  # what it kept went with it; the copies here stay
        self._folders.pop(job_id, None)
        shutil.rmtree(task.folder.root, ignore_errors=True)
        if self._pool.refusal(task.run.resources, "docker") is None:
            self._waiting.append(task.run)
            return NodeProgress(job_id, 0.0, f"Docker host {task.engine.label} stopped answering; "
                                "running the node again on another host")
        return NodeResult(job_id, False, error=f"Docker host {task.engine.label} stopped answering "
                          "while the node ran, and no other host can take it")

    def _start_waiting(self) -> list[NodeProgress | NodeResult]:
        started: list[NodeProgress | NodeResult] = []
        while self._waiting and self._pool.can_place(self._waiting[0].resources):
            run = self._waiting.pop(0)
            placement = self.submit(run)
            started.append(NodeProgress(run.job_id, 0.0, f"running again on {placement.host}"))
        return started

    def _overdue(self) -> list[NodeResult]:
        ended = []
        for job_id, task in list(self._tasks.items()):
            limit = task.run.resources.timeout_s
            if limit is not None and task.started is not None and time.monotonic() - task.started >= limit:
                self.cancel(job_id)
                ended.append(read_result(task.folder, job_id, ok=False, error=timeout_error(limit)))
        return ended

    def _forget(self, job_id: str, *, free: bool = True) -> None:
        with self._lock:
            task = self._tasks.pop(job_id, None)
        if task is None:  # forgotten already (cancelled while it started)
            return
        task.leave()
        if free:
            self._pool.free(job_id)
        resident = self._resident.get(task.engine.label)
        if task.remote is None:
            _remove(task, resident)
            return
        # Three round trips to the remote host that nothing waits for: the host's next node
        # is submitted meanwhile; close() waits for them.
        self._in_background(_remove, task, resident)

    def _in_background(self, work: Any, *args: Any) -> None:
        self._cleaning = [t for t in self._cleaning if t.is_alive()]
        thread = threading.Thread(target=work, args=args, daemon=True, name="lamella-docker-remove")
        self._cleaning.append(thread)
        thread.start()

    def cancel(self, job_id: str) -> None:
        """Stop and remove the run's container; its folder stays until :meth:`release`."""
        self._waiting = [run for run in self._waiting if run.job_id != job_id]
        with self._lock:
            task = self._tasks.get(job_id)
            starting = self._starting.get(job_id)
        if starting is not None:  # its thread removes what it made
            starting[0].cancelled.set()
            self._pool.free(job_id)
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
        self._waiting.clear()
        starting = list(self._starting.items())
        for job_id, _ in starting:
            self.cancel(job_id)
        for _, (_, thread) in starting:
            thread.join()
        for job_id in list(self._tasks):
            self.cancel(job_id)
        for thread in self._cleaning:
            thread.join()
        for label, resident in self._resident.items():
            for volume in resident.every():
                _remove_volume(self.engines[label], volume)
        self._folders.clear()
        shutil.rmtree(self.root, ignore_errors=True)
        for engine in self.engines.values():
            with contextlib.suppress(Exception):
                if engine.files is not None:
                    engine.files.close()
                engine.client.close()


def _remove(task: _Task, resident: ResidentOutputs | None) -> None:
    """Remove a task's container and, on a remote host, its volumes not kept for later nodes.

    Then the kept volumes it read that are no longer offered and that no other task reads.
    """
    with contextlib.suppress(Exception):
        task.container.remove(force=True)
    if task.remote is None:
        return
    kept = resident.is_kept if resident is not None else lambda volume: False
    done = resident.done(task.remote.reads) if resident is not None else []
    for volume in [*(v for v in task.remote.volumes if not kept(v)), *done]:
        _remove_volume(task.engine, volume)


def _remove_volume(engine: Engine, volume: str) -> None:
    if engine.files is not None and engine.alive:
        with contextlib.suppress(Exception):
            engine.files.remove(volume)
