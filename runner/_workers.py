"""Starting the local backend's worker processes, and starting one early.

``lamella run`` spends about 0.4 s reading its modules and the workflow before the engine
submits the first step; a worker needs about 0.3 s to start its interpreter and import the
runner. :func:`start_early` starts one worker at the very beginning of the command, so the
two overlap on a machine with more than one core, and the backend adopts it for the first
step (benchmarks/RESULTS.md, (a)). A worker started early and never adopted (every step
came from the cache, or the workflow was invalid) ends when the command does: its pipe
closes, and Linux kills it if the runner dies first.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lamella.runner.backends.base import RunRequest

__all__ = ["MARKER", "Worker", "spawn_worker", "start_early", "take_early", "threads_per_worker"]

# Imports nothing of Lamella at run time: the command line starts a worker from here before
# it imports the rest of the runner.
# backends/_reaping.py's MARKER (that file imports nothing of Lamella, nor does this one):
# the environment variable every process of a worker inherits.
MARKER = "LAMELLA_TASK_GROUP"

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class Worker:
    """One worker process and the runner's end of its pipe."""

    process: subprocess.Popen[bytes]
    conn: Connection
    marker: str  # in the environment of every process the worker starts
    threads: int
    job: RunRequest | None = None
    started: float | None = None  # when the worker began the job: its time limit counts from then


def threads_per_worker(jobs: int) -> int:
    """Threads each of ``jobs`` workers may use (numpy, BLAS), so together they fill the cores."""
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def spawn_worker(threads: int) -> Worker:
    """Start a worker process (it imports the runner, then waits for tasks on its pipe)."""
    # A fresh interpreter per worker (not multiprocessing's spawn, which re-runs the
    # caller's script in the child when it lacks a __main__ guard). The pipe's end is
    # inherited as a file descriptor.
    parent, child = multiprocessing.Pipe(duplex=True)
    marker = secrets.token_hex(8)
    env = {**os.environ, **{name: str(threads) for name in _THREAD_VARIABLES}, MARKER: marker}
    process = subprocess.Popen(
        [sys.executable, "-m", "lamella.runner.backends._worker", str(child.fileno()),
         str(os.getpid())],
        pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL,
        # Its own process group: a terminal's Ctrl-C reaches only the runner, which stops
        # the workers itself (a worker interrupted while starting would print tracebacks).
        process_group=0)
    child.close()
    return Worker(process, parent, marker, threads)


_early: list[Worker] = []


def start_early(jobs: int | None) -> None:
    """Start one worker now, for a local run of ``jobs`` (None: one per core) to adopt."""
    if not _early:
        _early.append(spawn_worker(threads_per_worker(jobs or os.cpu_count() or 1)))


def take_early(threads: int) -> Worker | None:
    """The worker started early, if it is alive and uses ``threads`` threads; else None."""
    while _early:
        worker = _early.pop()
        if worker.threads == threads and worker.process.poll() is None:
            return worker
        worker.conn.close()  # it ends when its pipe closes
    return None
