"""The worker process of the local backend: runs module tasks sent over a pipe.

A worker imports module code once and keeps it, so a chain of nodes pays each import once;
when a module's files change (its digest differs) the worker imports them afresh.
Module output (Python and C level) goes to the node's log file; a crash of the module
(``os._exit``, a segfault) ends only this process, and the backend reports the exit status.
A worker never outlives the runner that started it. It is a child subreaper, so every
process a module starts (detached ones too) stays below it, and it ends them all when the
task ends.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from lamella.core.cache_keys import file_digest
from lamella.core.errors import LamellaError
from lamella.core.sdk import OUTPUTS_DIR, run_task_folder
from lamella.core.sdk._entry import load_entrypoint, module_package
from lamella.runner.backends._reaping import become_subreaper, end_descendants

__all__ = ["EXIT_CRASHED", "EXIT_MODULE_ERROR", "worker_main"]

# The same statuses the container entry (python -m lamella.core.sdk) exits with.
EXIT_MODULE_ERROR = 2
EXIT_CRASHED = 1
_PROGRESS_INTERVAL_S = 0.2


def worker_main(conn: Connection, parent_pid: int | None = None) -> None:
    """Serve tasks until the pipe closes."""
    _die_with_parent()
    if parent_pid is not None and os.getppid() != parent_pid:
        return  # the runner died before the request above could take effect
    become_subreaper()
    faulthandler.enable()  # a segfault writes the Python stack to the node's log
    # Each line reaches the log when printed, so a node cut short keeps what it said.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    to_import: list[dict[str, Any]] = []
    while True:
        if to_import and not _message_waiting(conn):
            _import_ahead(to_import.pop(0))
            continue
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            end_descendants()  # a module's thread may have started one after its task
            _exit_now()
        elif "prepare" in message:
            to_import = list(message["prepare"])
        else:
            _send(conn, _run_one(conn, message))


def _message_waiting(conn: Connection) -> bool:
    try:
        return conn.poll(0)
    except (EOFError, OSError):
        return True  # the runner is gone: let recv() say so


def _import_ahead(module: dict[str, Any]) -> None:
    """Import a module the run will need while this worker has nothing to do.

    Whatever goes wrong is left for the task itself to report (a missing package, a
    syntax error); what the import prints is dropped, as it belongs to no node's log.
    """
    _forget_if_changed(Path(module["module_dir"]), module["module_digest"])
    with _output_to(Path(os.devnull)):
        try:
            load_entrypoint(Path(module["module_dir"]), module["entrypoint"])
        except BaseException:  # reported by the task that needs the module
            pass
        finally:
            _end_leftovers()


def _exit_now() -> None:
    """End the worker without the interpreter's teardown.

    Tearing down the modules a worker imported (scipy, scikit-image, matplotlib) took
    0.57 s at the end of every run, the runner waiting for it; the worker holds no open
    file of its own (each task's log is closed with the task), so there is nothing left
    to flush but stdout and stderr.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the runner dies (SIGKILL, SIGTERM, crash)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _send(conn: Connection, message: dict[str, Any]) -> None:
    """Send to the runner; if it is gone, stop quietly (there is nobody left to tell)."""
    try:
        conn.send(message)
    except (BrokenPipeError, EOFError, OSError):
        os._exit(0)


def _run_one(conn: Connection, message: dict[str, Any]) -> dict[str, Any]:
    """Run one task; return ``{"job_id", "ok", "error", "exit_status", "digests"}``."""
    job_id, task_dir = message["job_id"], Path(message["task_dir"])
    _send(conn, {"job_id": job_id, "begun": True})  # the job's time limit counts from here
    reporter = _ProgressReporter(conn, job_id)
    _forget_if_changed(Path(message["module_dir"]), message.get("module_digest", ""))
    _grant_gpus(message.get("gpu_ids") or [])
    with _output_to(Path(message["log_path"])):
        try:
            return _run_module(message, task_dir, reporter)
        finally:
            _end_leftovers()


def _run_module(message: dict[str, Any], task_dir: Path, reporter: _ProgressReporter) -> dict[str, Any]:
    job_id = message["job_id"]
    try:
        written = run_task_folder(Path(message["module_dir"]), message["entrypoint"],
                                  task_dir, on_progress=reporter)
        digests = _digests(task_dir, written)
    except LamellaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return _failure(job_id, str(exc), EXIT_MODULE_ERROR)
    except BaseException as exc:  # module code may raise anything, even SystemExit
        _print_module_traceback(exc, Path(message["module_dir"]))
        return _failure(job_id, _one_line(exc), EXIT_CRASHED)
    return {"job_id": job_id, "ok": True, "digests": digests}


def _end_leftovers() -> None:
    """End every process the module started and left running, and say so in its log."""
    sys.stdout.flush()
    ended = end_descendants()
    if ended:
        print(f"[lamella: ended {ended} process(es) the module left running]", flush=True)


_loaded_digests: dict[Path, str] = {}


def _forget_if_changed(module_dir: Path, digest: str) -> None:
    """Drop a module's imported code when its files changed since it was imported."""
    known = _loaded_digests.get(module_dir)
    _loaded_digests[module_dir] = digest
    if known is None or known == digest:
        return
    package = module_package(module_dir)
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


def _grant_gpus(gpu_ids: list[str]) -> None:
    """Show the task only its own GPUs, none if it got none (CUDA reads this at first use)."""
    os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(gpu_ids)


def _failure(job_id: str, error: str, exit_status: int) -> dict[str, Any]:
    return {"job_id": job_id, "ok": False, "error": error, "exit_status": exit_status}


def _print_module_traceback(exc: BaseException, module_dir: Path) -> None:
    """Print the traceback from the module's own code on, leaving out the runner's frames.

    The log tail shown to the user then starts where the module author can act; a failure
    outside any module frame keeps its whole traceback.
    """
    tb = exc.__traceback__
    while tb is not None and not Path(tb.tb_frame.f_code.co_filename).is_relative_to(module_dir):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _digests(task_dir: Path, written: dict[str, list[str]]) -> dict[str, str]:
    out = task_dir / OUTPUTS_DIR
    digests = {}
    for port, files in written.items():
        for name in files:
            if not (out / name).is_file():
                raise LamellaError(f"output '{port}': file {name} listed but not written")
            digests[name] = file_digest(out / name)
    return digests


@contextmanager
def _output_to(log_path: Path) -> Iterator[None]:
    """Send file descriptors 1 and 2 (so C libraries too) to the log file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


class _ProgressReporter:
    """Forward module progress to the runner, at most every 0.2 s (and always at 100 %)."""

    def __init__(self, conn: Connection, job_id: str) -> None:
        self._conn, self._job_id, self._last = conn, job_id, 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last >= _PROGRESS_INTERVAL_S:
            self._last = now
            _send(self._conn, {"job_id": self._job_id, "progress": fraction, "message": message})


if __name__ == "__main__":
    # Started by the local backend: ``python -m lamella.runner.backends._worker FD PARENT_PID``.
    worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]))
