"""A session: warm workers and one cache for many runs, for the editor and notebooks.

>>> from lamella.runner import Analysis, Session                            # doctest: +SKIP
>>> with Session() as session:
...     analysis = Analysis.load("examples/workflows/nanoparticle-size-distribution.yaml")
...     first = session.start(analysis, targets=["segment"], preview=True)
...     first.wait().outputs
...     second = session.start(analysis, params={"segment.method": "otsu"},
...                            targets=["segment"], preview=True)
...     for event in second.events():
...         print(event.kind, event.node)
...     second.cancel()                    # from any thread; the record says 'cancelled'

A session keeps one backend open across its runs, so the local backend's worker processes
stay warm: a module's code is imported once and again only when its files change (each
run re-reads the module folders, so an edited module never reuses stale results). Runs
of one session take turns on its backend, on one thread the session keeps (worker
processes are tied to the thread that started them): :meth:`Session.start` returns at
once, and a run started while another is on waits for it (cancel the old one first for a
quick preview). Preview runs write to numbered folders in the session's scratch space, of which
the session keeps the newest ``keep_previews``; all of it is removed when the session
closes (or, if the process was killed, by the next run on the same cache).
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from lamella.core.events import RunEvent
from lamella.runner._arguments import (
    check_backend,
    check_docker_hosts,
    check_gpus,
    check_jobs,
    check_jobs_limit,
    check_memory_limit,
    check_path,
    check_registry,
)
from lamella.runner._execute import RunSpec, execute, new_run_id
from lamella.runner._handle import RunHandle
from lamella.runner._results import RunResult
from lamella.runner.api import Analysis
from lamella.runner.backends import DEFAULT_BACKEND, Backend, BackendOptions, create_backend
from lamella.runner.cache import CacheStore, default_cache_dir
from lamella.runner.engine import FileDigests

__all__ = ["RunHandle", "Session"]

_PREVIEWS = "previews"


class Session:
    """Runs that share warm workers, a cache and a bounded scratch space for previews.

    Parameters
    ----------
    backend
        Backend name (``local`` by default); the session keeps one open until :meth:`close`.
    jobs
        Modules run in parallel (default: CPU cores).
    cache_dir
        The cache (default: ``LAMELLA_CACHE_DIR`` or the user cache folder).
    gpus
        GPU ids nodes may be given (default: ``CUDA_VISIBLE_DEVICES``).
    docker_hosts
        With ``backend='docker'``, the engines to run on (``tcp://gpu-box:2376``,
        ``ssh://user@host``; default: this machine's).
    memory_limit
        With ``backend='docker'``, a container memory limit for every node (``'512MB'``,
        ``'4GB'`` or GiB) instead of the modules' own ``resources.memory_gb``.
    registry
        With ``backend='docker'``, the registry images reach remote hosts through
        (``'registry.lab:5000'``; default: a hosts file's, else ``$LAMELLA_REGISTRY``).
    keep_previews
        How many preview results folders to keep; older ones are deleted.

    The backend is created here, so a Docker engine that does not answer raises its
    one-line :class:`~lamella.core.errors.LamellaError` from the constructor.
    """

    def __init__(self, *, backend: str = DEFAULT_BACKEND, jobs: int | None = None,
                 cache_dir: str | Path | None = None, gpus: Sequence[str] | None = None,
                 docker_hosts: Sequence[str] | None = None,
                 memory_limit: str | float | None = None, registry: str | None = None,
                 keep_previews: int = 8) -> None:
        self.backend_name = check_backend(backend)
        self.jobs = check_jobs_limit(check_jobs(jobs)) or os.cpu_count() or 1
        # Checked before the cache is touched; the scratch folder is filled in once it exists.
        options = BackendOptions(self.jobs, Path(), check_gpus(gpus), check_docker_hosts(docker_hosts),
                                 check_memory_limit(memory_limit), check_registry(registry))
        self.store = CacheStore(check_path("cache_dir", cache_dir) or default_cache_dir())
        self.keep_previews = max(1, int(keep_previews))
        self._id = f"session-{new_run_id()}"
        self.scratch = self.store.new_run_dir(self._id)
        try:
            self.backend: Backend = create_backend(self.backend_name,
                                                   replace(options, scratch=self.scratch))
        except BaseException:  # an engine not reachable: the scratch space is not left behind
            self.store.release_run_dir(self._id)
            raise
        self._digests = FileDigests()
        self._previews = 0
        self._handles: list[RunHandle] = []
        self._closed = False
        # One thread runs every run in turn: Linux stops a worker process when the thread
        # that started it ends (PR_SET_PDEATHSIG), so workers stay warm only on one thread.
        self._queue: queue.Queue[tuple[RunSpec, RunHandle] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="lamella-session", daemon=True)
        self._thread.start()

    # ----- runs ---------------------------------------------------------------------------
    def start(self, analysis: Analysis, *, preview: bool = False,
              on_event: Callable[[RunEvent], None] | None = None,
              **run_arguments: Any) -> RunHandle:
        """Start a run in the background and return its handle at once.

        ``run_arguments`` are those of :meth:`Analysis.run` (``inputs``, ``batch``,
        ``params``, ``sweep``, ``targets``, ``out``, ``use_cache``, ``timeout``), checked
        before this returns. With ``preview`` the results go to a new folder of the session's scratch
        space (``out`` must not be given).
        """
        if self._closed:
            raise RuntimeError("the session is closed; start a new Session")
        handle = RunHandle(on_event)
        fresh = analysis.reloaded()  # module folders read again: edited code gets new keys
        if preview:
            if run_arguments.get("out") is not None:
                raise ValueError("give either preview=True or out=..., not both")
            run_arguments["out"] = self._next_preview_dir()
        spec = fresh.run_spec(jobs=self.jobs, backend=self.backend_name,
                              on_event=handle.emit, **run_arguments)
        spec.preview = preview
        self._handles = [h for h in self._handles if not h.done] + [handle]
        self._queue.put((spec, handle))
        return handle

    def run(self, analysis: Analysis, **arguments: Any) -> RunResult:
        """:meth:`start` and wait for the result."""
        return self.start(analysis, **arguments).wait()

    def _serve(self) -> None:
        while (job := self._queue.get()) is not None:
            spec, handle = job
            handle.execute(lambda: self._run(spec, handle))  # noqa: B023 - called right here

    def _run(self, spec: RunSpec, handle: RunHandle) -> RunResult:
        if spec.preview:
            self._drop_old_previews(keep=self.keep_previews - 1)
        return execute(spec, store=self.store, backend=self.backend, cancel=handle.cancel_event,
                       digests=self._digests)

    # ----- previews -----------------------------------------------------------------------
    def _next_preview_dir(self) -> Path:
        self._previews += 1
        return self.scratch / _PREVIEWS / f"{self._previews:05d}"

    def _drop_old_previews(self, *, keep: int) -> None:
        folders = sorted((self.scratch / _PREVIEWS).glob("[0-9]*"))
        for folder in folders[:max(0, len(folders) - keep)]:
            shutil.rmtree(folder, ignore_errors=True)

    def previews(self) -> list[Path]:
        """Preview results folders the session keeps, oldest first."""
        return sorted((self.scratch / _PREVIEWS).glob("[0-9]*"))

    # ----- end ----------------------------------------------------------------------------
    def close(self) -> None:
        """Cancel runs still on, stop the workers and remove the scratch space."""
        if self._closed:
            return
        self._closed = True
        for handle in self._handles:
            handle.cancel()
        self._queue.put(None)
        self._thread.join()
        self.backend.close()
        self.store.release_run_dir(self._id)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
