"""The local backend: module runs in a pool of warm worker processes on this machine.

Workers are separate processes, so a module that raises, exits or crashes fails only its
node. A dead worker is replaced for the next task. Each worker limits numerical libraries
to its share of the CPU cores so ``--jobs`` workers do not oversubscribe the machine, and
keeps imported module code until the module's files change, so a session that keeps the
backend re-runs a node without starting or importing anything.

Task folders live in ``scratch`` (on the cache's filesystem: stored results are linked in,
outputs are linked into the store); inputs are symlinks to stored, read-only results and
copies of the user's own files, and a module that writes to an input fails its node.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from multiprocessing.connection import wait
from pathlib import Path

from lamella.runner._workers import Worker, spawn_worker, take_early, threads_per_worker
from lamella.runner.backends._log import cap_log
from lamella.runner.backends._reaping import end_marked, stop_tree
from lamella.runner.backends._resources import PooledBackend, ResourcePool, kind_refusal, timeout_error
from lamella.runner.backends._task_folder import TaskFolder, lay_out, read_result
from lamella.runner.backends.base import (
    BackendCapabilities,
    HostCapacity,
    ModuleIdentity,
    NodeProgress,
    NodeResult,
    Placement,
    RunRequest,
)

__all__ = ["LocalBackend", "describe_exit", "kind_refusal", "machine_memory_gb"]

_CLOSE_WAIT_S = 2.0


class LocalBackend(PooledBackend):
    """Run module tasks in up to ``jobs`` worker processes, task folders under ``scratch``.

    ``gpu_ids`` are the GPUs tasks may be given (each running task gets its own, through
    ``CUDA_VISIBLE_DEVICES`` and ``task.json``); by default those ``CUDA_VISIBLE_DEVICES``
    lists for this process, if any.
    """

    def __init__(self, jobs: int, *, scratch: Path, gpu_ids: tuple[str, ...] | None = None) -> None:
        self.jobs = max(1, jobs)
        self.threads = threads_per_worker(self.jobs)
        self.scratch = Path(scratch)
        gpus = gpu_ids if gpu_ids is not None else _visible_gpus()
        host = HostCapacity(socket.gethostname(), self.jobs, machine_memory_gb(), tuple(gpus), self.threads)
        self.capabilities = BackendCapabilities("local", (host,), shared_filesystem=True)
        self._pool = ResourcePool(self.capabilities.hosts)
        self._workers: list[Worker] = []
        self._folders: dict[str, TaskFolder] = {}
        self._count = 0

    # ----- starting ---------------------------------------------------------------------
    def submit(self, run: RunRequest) -> Placement:
        """Lay out the task folder and send it to an idle worker, starting one if needed."""
        placement = self._pool.place(run.job_id, run.resources)
        self._count += 1
        folder = lay_out(self.scratch / f"{self._count:06d}-{run.node}", run, placement,
                         sources={p: [f.locator for f in files] for p, files in run.inputs.items()},
                         link=True)
        self._folders[run.job_id] = folder
        placement = folder.placement
        worker = self._idle_worker()
        worker.job, worker.started = run, None
        worker.conn.send({
            "job_id": run.job_id, "module_dir": str(run.module.folder),
            "module_digest": run.module.digest, "entrypoint": run.manifest.entrypoint,
            "task_dir": str(folder.root), "log_path": str(folder.log),
            "gpu_ids": list(placement.gpu_ids),
        })
        return placement

    def prepare(self, modules: list[ModuleIdentity]) -> None:
        """Start every worker now and let each import the run's modules while it is idle.

        Without this a second worker started only when two branches first ran at once, and
        paid its interpreter start and the imports of its module (matplotlib for the
        overlay: +0.6 s of that node's 1.5 s) on the run's critical path. A worker checks
        for a task between imports, so a task never waits for more than one import.
        """
        if len(modules) > 1:
            while len(self._workers) < self.jobs:
                self._workers.append(self._start_worker())
        listing = [{"module_dir": str(m.folder), "module_digest": m.digest,
                    "entrypoint": m.manifest.entrypoint} for m in modules]
        for worker in self._workers:
            worker.conn.send({"prepare": listing})

    def _idle_worker(self) -> Worker:
        # The first idle worker gets the task: a chain of nodes stays on one warm process.
        for worker in list(self._workers):
            if worker.job is None and worker.process.poll() is not None:
                self._workers.remove(worker)  # died while idle (killed from outside)
                worker.conn.close()
            elif worker.job is None:
                return worker
        worker = self._start_worker()
        self._workers.append(worker)
        return worker

    def _start_worker(self) -> Worker:
        return take_early(self.threads) or spawn_worker(self.threads)

    # ----- following --------------------------------------------------------------------
    def poll(self, timeout: float) -> list[NodeProgress | NodeResult]:
        """Collect progress and results; a dead or timed-out worker becomes a failed result."""
        busy = [w for w in self._workers if w.job is not None]
        if not busy:
            return []
        # A worker's death closes its end of the pipe, so its connection turns readable too.
        ready = set(wait([w.conn for w in busy], self._wait_s(busy, timeout)))
        updates: list[NodeProgress | NodeResult] = []
        for worker in busy:
            if worker.conn in ready:
                updates += self._read_messages(worker)
            elif worker.process.poll() is not None:
                # Dead, though a process it forked still holds its end of the pipe open.
                updates += self._read_messages(worker)
                if worker.job is not None:
                    updates.append(self._worker_died(worker))
            elif self._overdue(worker):
                updates.append(self._time_out(worker))
        return updates

    def _wait_s(self, busy: list[Worker], timeout: float) -> float:
        deadlines = [w.started + t - time.monotonic() for w in busy if w.job is not None
                     and w.started is not None and (t := w.job.resources.timeout_s) is not None]
        return max(0.0, min([timeout, *deadlines]))

    def _overdue(self, worker: Worker) -> bool:
        limit = worker.job.resources.timeout_s if worker.job is not None else None
        return (limit is not None and worker.started is not None
                and time.monotonic() - worker.started >= limit)

    def _read_messages(self, worker: Worker) -> list[NodeProgress | NodeResult]:
        updates: list[NodeProgress | NodeResult] = []
        try:
            while worker.job is not None and worker.conn.poll():
                message = worker.conn.recv()
                if "begun" in message:  # a fresh worker's start-up is not the job's time
                    worker.started = time.monotonic()
                else:
                    updates.append(self._to_update(worker, message))
        except (EOFError, OSError):
            updates.append(self._worker_died(worker))
        return updates

    def _to_update(self, worker: Worker, message: dict) -> NodeProgress | NodeResult:
        if "progress" in message:
            return NodeProgress(message["job_id"], message["progress"], message["message"])
        worker.job = None
        return self._result(message["job_id"], ok=message["ok"], error=message.get("error", ""),
                            exit_status=message.get("exit_status"), digests=message.get("digests"))

    def _result(self, job_id: str, *, ok: bool, error: str = "", exit_status: int | None = None,
                digests: dict[str, str] | None = None) -> NodeResult:
        self._pool.free(job_id)
        cap_log(self._folders[job_id].log)
        return read_result(self._folders[job_id], job_id, ok=ok, error=error,
                           exit_status=exit_status, digests=digests)

    def _worker_died(self, worker: Worker) -> NodeResult:
        assert worker.job is not None
        job_id = worker.job.job_id
        worker.job = None  # reported once, whichever of its pipe or its exit is seen first
        status = _reap(worker)
        self._workers.remove(worker)
        # A crashed worker could not end what its module started: find them by their marker.
        end_marked(worker.marker)
        return self._result(job_id, ok=False, error=describe_exit(status), exit_status=status)

    def _time_out(self, worker: Worker) -> NodeResult:
        assert worker.job is not None
        job_id, limit = worker.job.job_id, worker.job.resources.timeout_s
        assert limit is not None
        self._stop(worker)
        return self._result(job_id, ok=False, error=timeout_error(limit))

    # ----- stopping ---------------------------------------------------------------------
    def cancel(self, job_id: str) -> None:
        """Kill the worker running ``job_id`` (its task folder stays until :meth:`release`)."""
        for worker in list(self._workers):
            if worker.job is not None and worker.job.job_id == job_id:
                self._stop(worker)
        self._pool.free(job_id)
        if job_id in self._folders:
            cap_log(self._folders[job_id].log)  # the engine keeps the log of a run cut short

    def _stop(self, worker: Worker) -> None:
        stop_tree(worker.process.pid)  # the module's own children too, detached ones included
        _reap(worker)
        self._workers.remove(worker)

    def release(self, job_id: str) -> None:
        """Delete the task folder of a run the engine is done with."""
        folder = self._folders.pop(job_id, None)
        if folder is not None:
            shutil.rmtree(folder.root, ignore_errors=True)

    def close(self) -> None:
        """Ask idle workers to stop; kill busy ones (their tasks are abandoned)."""
        for worker in self._workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                worker.conn.send(None)
        deadline = time.monotonic() + _CLOSE_WAIT_S
        for worker in self._workers:
            try:
                worker.process.wait(timeout=max(0.01, deadline - time.monotonic())
                                    if worker.job is None else 0.01)
            except subprocess.TimeoutExpired:
                stop_tree(worker.process.pid)
                worker.process.wait()
            worker.conn.close()
        self._workers.clear()
        for job_id in list(self._folders):
            self.release(job_id)

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (a warm session keeps the same ones)."""
        return [w.process.pid for w in self._workers if w.process.poll() is None]


def _reap(worker: Worker) -> int | None:
    try:
        status: int | None = worker.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        status = worker.process.wait()
    worker.conn.close()
    return status


def _visible_gpus() -> tuple[str, ...]:
    listed = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return tuple(g.strip() for g in listed.split(",") if g.strip() and g.strip() != "-1")


def machine_memory_gb() -> float:
    """Physical memory of this machine in GiB (what the local backend shares among runs)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return 16.0


def describe_exit(status: int | None) -> str:
    """Explain a worker's exit status in words: 'exit status 3', 'killed by SIGSEGV ...'."""
    if status is None:
        return "the worker process vanished"
    if status >= 0:
        return f"module process exited with exit status {status}"
    try:
        name = signal.Signals(-status).name
    except ValueError:
        name = f"signal {-status}"
    meaning = {"SIGSEGV": "segmentation fault", "SIGKILL": "killed, often for lack of memory",
               "SIGABRT": "aborted", "SIGBUS": "bus error"}.get(name)
    return f"module process killed by {name}" + (f" ({meaning})" if meaning else "")
