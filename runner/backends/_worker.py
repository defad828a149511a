"""The worker process of the local backend: runs module tasks sent over a pipe.

A worker imports module code once and keeps it, so a chain of nodes pays each import once.
Module output (Python and C level) goes to the node's log file; a crash of the module
(``os._exit``, a segfault) ends only this process, and the backend reports the exit status.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import time
import traceback
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from lamella.core.cache_keys import file_digest
from lamella.core.errors import LamellaError
from lamella.core.sdk import OUTPUTS_DIR, run_task_folder

__all__ = ["worker_main"]

_PROGRESS_INTERVAL_S = 0.2


def worker_main(conn: Connection) -> None:
    """Serve tasks until the pipe closes. Messages: see :func:`_run_one`."""
    faulthandler.enable()  # a segfault writes the Python stack to the node's log
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        conn.send(_run_one(conn, message))


def _run_one(conn: Connection, message: dict[str, Any]) -> dict[str, Any]:
    """Run one task; return ``{"job_id", "ok", "error", "digests"}``."""
    job_id = message["job_id"]
    reporter = _ProgressReporter(conn, job_id)
    with _output_to(Path(message["log_path"])):
        try:
            written = run_task_folder(Path(message["module_dir"]), message["entrypoint"],
                                      Path(message["task_dir"]), on_progress=reporter)
        except LamellaError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return {"job_id": job_id, "ok": False, "error": str(exc)}
        except BaseException as exc:  # module code may raise anything, even SystemExit
            traceback.print_exc()
            return {"job_id": job_id, "ok": False, "error": _one_line(exc)}
    return {"job_id": job_id, "ok": True, "digests": _digests(Path(message["task_dir"]), written)}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _digests(task_dir: Path, written: dict[str, list[str]]) -> dict[str, str]:
    out = task_dir / OUTPUTS_DIR
    return {name: file_digest(out / name) for files in written.values() for name in files}


@contextmanager
def _output_to(log_path: Path):  # type: ignore[no-untyped-def]
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
            self._conn.send({"job_id": self._job_id, "progress": fraction, "message": message})


if __name__ == "__main__":
    # Started by the local backend: ``python -m lamella.runner.backends._worker FD``.
    worker_main(Connection(int(sys.argv[1])))
