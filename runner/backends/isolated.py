"""The isolated backend: every run in a fresh process, in a folder that shares nothing.

It runs a task as a remote host or a container would: the input files are shipped into a
private folder (copies, each checked against its content digest), the module runs in a
new interpreter through the container entry (``python -m lamella.core.sdk``), progress
comes back as ``LAMELLA_PROGRESS`` lines of its output, and the outputs return as
artifacts that the engine stores. Nothing in the folder links to the cache or to the
user's files, so it proves the seam without Docker; it also isolates a module completely
(no warm imports, no state kept between runs), at the price of starting Python each time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from lamella.core.cache_keys import file_digest
from lamella.runner.backends import _reaping
from lamella.runner.backends._log import cap_log
from lamella.runner.backends._resources import PooledBackend, ResourcePool, timeout_error
from lamella.runner.backends._task_folder import TaskFolder, lay_out, read_result
from lamella.runner.backends.base import (
    BackendCapabilities,
    HostCapacity,
    NodeProgress,
    NodeResult,
    Placement,
    RunRequest,
)
from lamella.runner.backends.local import describe_exit, machine_memory_gb

__all__ = ["IsolatedBackend"]

_PROGRESS = "LAMELLA_PROGRESS "
_MODULE_ERROR = 2  # the container entry's exit status for a clear module error


class InputDamaged(Exception):
    """A shipped input does not have the content digest the engine gave."""


@dataclass
class _Task:
    run: RunRequest
    folder: TaskFolder
    process: subprocess.Popen[bytes]
    started: float
    pending: bytes = b""
    updates: list[NodeProgress] = field(default_factory=list)


class IsolatedBackend(PooledBackend):
    """Run each task in a new process in its own folder under a private temporary root."""

    def __init__(self, jobs: int, *, gpu_ids: tuple[str, ...] = ()) -> None:
        self.jobs = max(1, jobs)
        threads = max(1, (os.cpu_count() or 1) // self.jobs)
        host = HostCapacity(socket.gethostname(), self.jobs, machine_memory_gb(), gpu_ids, threads)
        self.capabilities = BackendCapabilities("isolated", (host,), shared_filesystem=False)
        self._pool = ResourcePool(self.capabilities.hosts)
        self.root = Path(tempfile.mkdtemp(prefix="lamella-isolated-"))
        self._tasks: dict[str, _Task] = {}
        self._folders: dict[str, TaskFolder] = {}
        self._early: list[NodeResult] = []  # runs that failed before they could start
        self._count = 0

    def submit(self, run: RunRequest) -> Placement:
        """Ship the inputs into a fresh folder and start the module in a new process."""
        placement = self._pool.place(run.job_id, run.resources)
        self._count += 1
        folder_root = self.root / f"{self._count:06d}"
        try:
            shipped = _ship_inputs(folder_root / "shipped", run)
        except InputDamaged as exc:
            self._pool.free(run.job_id)
            self._early.append(NodeResult(run.job_id, False, error=str(exc)))
            return placement
        folder = lay_out(folder_root / "task", run, placement, sources=shipped, link=False)
        shutil.rmtree(folder_root / "shipped", ignore_errors=True)
        self._folders[run.job_id] = folder
        self._tasks[run.job_id] = _Task(run, folder, self._start(run, folder, placement), time.monotonic())
        return folder.placement

    def _start(self, run: RunRequest, folder: TaskFolder, placement: Placement) -> subprocess.Popen[bytes]:
        threads = str(placement.threads)
        env = {**os.environ, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
               "MKL_NUM_THREADS": threads, "CUDA_VISIBLE_DEVICES": ",".join(placement.gpu_ids)}
        # Through the subreaper wrapper: it ends whatever the module leaves running.
        command = [sys.executable, "-I", "-S", _reaping.__file__,
                   sys.executable, "-u", "-X", "faulthandler", "-m", "lamella.core.sdk",
                   str(run.module.folder), str(folder.root), run.manifest.entrypoint]
        return subprocess.Popen(command, cwd=folder.root, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, process_group=0)

    def poll(self, timeout: float) -> list[NodeProgress | NodeResult]:
        """Collect progress lines and ended processes."""
        updates: list[NodeProgress | NodeResult] = list(self._early)
        self._early.clear()
        if not self._tasks or updates:
            return updates
        streams: list[Any] = [t.process.stdout for t in self._tasks.values() if t.process.stdout]
        wait(streams, timeout)
        for job_id, task in list(self._tasks.items()):
            self._drain(task)
            updates += task.updates
            task.updates = []
            if task.process.poll() is not None:
                updates.append(self._ended(job_id, task))
            elif _overdue(task):
                updates.append(self._timed_out(job_id, task))
        return updates

    def _drain(self, task: _Task, final: bool = False) -> None:
        """Move the process's output to the log, turning progress lines into updates."""
        stream = task.process.stdout
        assert stream is not None
        os.set_blocking(stream.fileno(), False)
        chunk = b""
        with contextlib.suppress(BlockingIOError, OSError):
            chunk = stream.read() or b""
        lines = (task.pending + chunk).split(b"\n")
        task.pending = b"" if final else lines.pop()
        with task.folder.log.open("ab") as log:
            for line in lines if not final else [x for x in lines if x]:
                text = line.decode("utf-8", "replace")
                if text.startswith(_PROGRESS):
                    task.updates.append(progress_update(task.run.job_id, text))
                else:
                    log.write(line + b"\n")

    def _ended(self, job_id: str, task: _Task) -> NodeResult:
        status = task.process.wait()
        self._drain(task, final=True)
        self._close_task(job_id)
        cap_log(task.folder.log)
        if status == 0:
            return read_result(task.folder, job_id, ok=True)
        return read_result(task.folder, job_id, ok=False, exit_status=status,
                           error=error_line(task.folder.log, status))

    def _timed_out(self, job_id: str, task: _Task) -> NodeResult:
        limit = task.run.resources.timeout_s
        assert limit is not None
        self.cancel(job_id)
        return read_result(task.folder, job_id, ok=False, error=timeout_error(limit))

    def _close_task(self, job_id: str) -> None:
        task = self._tasks.pop(job_id)
        if task.process.stdout is not None:
            task.process.stdout.close()
        self._pool.free(job_id)

    def cancel(self, job_id: str) -> None:
        """Kill the run and all it started; its folder stays until :meth:`release`."""
        task = self._tasks.get(job_id)
        if task is None:
            return
        _reaping.stop_tree(task.process.pid)
        task.process.wait()
        self._drain(task, final=True)  # what it printed last, for the engine to keep
        self._close_task(job_id)
        cap_log(task.folder.log)

    def release(self, job_id: str) -> None:
        """Delete a finished run's private folder."""
        folder = self._folders.pop(job_id, None)
        if folder is not None:
            shutil.rmtree(folder.root.parent, ignore_errors=True)

    def close(self) -> None:
        """Kill what still runs and delete the private root."""
        for job_id in list(self._tasks):
            self.cancel(job_id)
        self._folders.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def _ship_inputs(into: Path, run: RunRequest) -> dict[str, list[Path]]:
    """Copy every input into ``into`` as a remote host would receive it, checking digests."""
    shipped: dict[str, list[Path]] = {}
    for port, files in run.inputs.items():
        for index, file in enumerate(files):
            target = into / port / str(index) / file.name
            target.parent.mkdir(parents=True)
            shutil.copyfile(file.locator, target)
            if file_digest(target) != file.digest:
                raise InputDamaged(f"input '{port}' ({file.name}) changed since it was hashed")
            shipped.setdefault(port, []).append(target)
    return shipped


def progress_update(job_id: str, line: str) -> NodeProgress:
    fraction, _, message = line[len(_PROGRESS):].partition(" ")
    try:
        return NodeProgress(job_id, float(fraction), message)
    except ValueError:
        return NodeProgress(job_id, 0.0, line)


def _overdue(task: _Task) -> bool:
    limit = task.run.resources.timeout_s
    return limit is not None and time.monotonic() - task.started >= limit


def error_line(log: Path, status: int) -> str:
    """The one-line reason: the module's own message (status 1, 2), else the exit status."""
    lines = [line for line in log.read_text("utf-8", "replace").splitlines() if line.strip()]
    if status == _MODULE_ERROR and lines and lines[-1].startswith("error: "):
        return lines[-1].removeprefix("error: ")
    if status == 1 and lines:
        return lines[-1].strip()
    return describe_exit(status)
