"""The local backend: module runs in a pool of worker processes on this machine.

Workers are separate processes, so a module that raises, exits or crashes fails only its
node. A dead worker is replaced for the next task. Each worker limits numerical libraries
to its share of the CPU cores so ``--jobs`` workers do not oversubscribe the machine.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from lamella.runner.backends.base import (
    Backend,
    BackendCapabilities,
    NodeProgress,
    NodeResult,
    NodeRun,
)

__all__ = ["LocalBackend", "describe_exit"]

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    job: NodeRun | None = None


class LocalBackend(Backend):
    """Run module tasks in up to ``jobs`` worker processes."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self.threads = max(1, (os.cpu_count() or 1) // self.jobs)
        self.capabilities = BackendCapabilities(name="local", slots=self.jobs,
                                                threads_per_slot=self.threads)
        self._workers: list[_Worker] = []

    @property
    def free_slots(self) -> int:
        """Workers not running a task, counting those not started yet."""
        busy = sum(1 for w in self._workers if w.job is not None)
        return self.jobs - busy

    def submit(self, run: NodeRun) -> None:
        """Send the task to an idle worker, starting one if needed."""
        worker = self._idle_worker()
        worker.job = run
        worker.conn.send({
            "job_id": run.job_id,
            "module_dir": str(run.module_dir),
            "entrypoint": run.manifest.entrypoint,
            "task_dir": str(run.task_dir),
            "log_path": str(run.log_path),
        })

    def _idle_worker(self) -> _Worker:
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

    def _start_worker(self) -> _Worker:
        # A fresh interpreter per worker (not multiprocessing's spawn, which re-runs the
        # caller's script in the child when it lacks a __main__ guard). The pipe's end is
        # inherited as a file descriptor.
        parent, child = multiprocessing.Pipe(duplex=True)
        env = {**os.environ, **{name: str(self.threads) for name in _THREAD_VARIABLES}}
        process = subprocess.Popen(
            [sys.executable, "-m", "lamella.runner.backends._worker", str(child.fileno()),
             str(os.getpid())],
            pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL,
            # Its own process group: a terminal's Ctrl-C reaches only the runner, which stops
            # the workers itself (a worker interrupted while starting would print tracebacks).
            process_group=0)
        child.close()
        return _Worker(process, parent)

    def poll(self, timeout: float) -> list[NodeProgress | NodeResult]:
        """Collect progress and results; a dead worker becomes a failed result."""
        busy = [w for w in self._workers if w.job is not None]
        if not busy:
            return []
        # A worker's death closes its end of the pipe, so its connection turns readable too.
        ready = set(wait([w.conn for w in busy], timeout))
        updates: list[NodeProgress | NodeResult] = []
        for worker in busy:
            if worker.conn in ready:
                updates += self._read_messages(worker)
        return updates

    def _read_messages(self, worker: _Worker) -> list[NodeProgress | NodeResult]:
        updates: list[NodeProgress | NodeResult] = []
        try:
            while worker.job is not None and worker.conn.poll():
                message = worker.conn.recv()
                updates.append(self._to_update(worker, message))
        except (EOFError, OSError):
            updates.append(self._worker_died(worker))
        return updates

    def _to_update(self, worker: _Worker, message: dict) -> NodeProgress | NodeResult:
        if "progress" in message:
            return NodeProgress(message["job_id"], message["progress"], message["message"])
        worker.job = None
        return NodeResult(message["job_id"], message["ok"], error=message.get("error", ""),
                          exit_status=message.get("exit_status"),
                          output_digests=message.get("digests", {}))

    def _worker_died(self, worker: _Worker) -> NodeResult:
        assert worker.job is not None
        job_id = worker.job.job_id
        try:
            status: int | None = worker.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            status = worker.process.wait()
        worker.conn.close()
        self._workers.remove(worker)
        return NodeResult(job_id, False, error=describe_exit(status), exit_status=status)

    def close(self) -> None:
        """Ask idle workers to stop; kill busy ones (their tasks are abandoned)."""
        for worker in self._workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                worker.conn.send(None)
        for worker in self._workers:
            try:
                worker.process.wait(timeout=2 if worker.job is None else 0.01)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            worker.conn.close()
        self._workers.clear()


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
