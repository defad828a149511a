"""Runs and previews from the window, off the UI thread, through a warm runner Session.

The session's own thread runs them (warm workers: a re-run costs the node's work, not a
new interpreter); its events arrive here on that thread and are re-emitted as Qt signals,
which Qt queues to the window's thread. A newer preview cancels the one still running, so
dragging a value never queues stale work. Preview results live in the session's bounded
scratch space, never in the user's results folder.

The backend (local, isolated or docker, with Docker hosts, GPUs and a memory limit) is
the window's choice, :meth:`RunController.set_backend`; the session for it opens at the
first run or preview, on a thread of its own (connecting to a remote Docker engine takes
seconds, a host that does not answer up to a minute), and what is asked meanwhile starts
once it is open. A session that cannot open (no engine) fails those runs with its one-line
error; the next one tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6 import QtCore

from lamella.runner import Analysis, Session
from lamella.runner._arguments import check_backend, check_docker_hosts, check_gpus, check_memory_limit
from lamella.runner._handle import RunHandle
from lamella.runner._results import RunResult
from lamella.runner.backends import DEFAULT_BACKEND

__all__ = ["BackendChoice", "RunController"]


@dataclass(frozen=True)
class BackendChoice:
    """Where runs from the window go: a backend and, for docker, its hosts, GPUs and memory.

    Build one with :meth:`checked`; ``memory_limit`` keeps the user's wording ('4GB').
    """

    name: str = DEFAULT_BACKEND
    docker_hosts: tuple[str, ...] = ()
    gpus: tuple[str, ...] | None = None
    memory_limit: str | float | None = None

    @classmethod
    def checked(cls, name: str, docker_hosts: Sequence[str] = (), gpus: str | Sequence[str] | None = None,
                memory_limit: str | float | None = None) -> BackendChoice:
        """A choice with every value checked as the runner checks it (raises ArgumentError)."""
        check_memory_limit(memory_limit)
        return cls(check_backend(name), check_docker_hosts(list(docker_hosts)), check_gpus(gpus),
                   memory_limit)

    def describe(self) -> str:
        """One line for the status bar: 'local', 'docker on tcp://gpu-box:2376, GPUs 0,1'."""
        if self.name != "docker":
            return self.name
        parts = [f"docker on {', '.join(self.docker_hosts)}" if self.docker_hosts
                 else "docker on this machine's engine"]
        if self.gpus:
            parts.append(f"GPUs {','.join(self.gpus)}")
        if self.memory_limit is not None:
            parts.append(f"memory {self.memory_limit}")
        return ", ".join(parts)


class RunController(QtCore.QObject):
    """Starts preview and full runs in one session and reports them as Qt signals."""

    run_event = QtCore.Signal(str, object)  # "preview" or "run", RunEvent
    finished = QtCore.Signal(str, object, object)  # kind, RunResult or None, error text or None
    backend_changed = QtCore.Signal(object)  # BackendChoice
    _opened = QtCore.Signal(int, object, object)  # generation, Session or None, error text

    def __init__(self, *, jobs: int | None = None, cache_dir: Path | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs, self._cache_dir = jobs, cache_dir
        self._choice = BackendChoice()
        self._session: Session | None = None
        self._handles: dict[str, RunHandle] = {}
        # Runs asked for while the session opens, started (or failed) when it has.
        self._waiting: dict[str, tuple[Analysis, dict[str, Any]]] = {}
        self._opening = False
        self._generation = 0  # a new backend or close() makes a session still opening stale
        self._opened.connect(self._on_opened)

    @property
    def backend(self) -> BackendChoice:
        """The backend runs and previews use."""
        return self._choice

    @property
    def session(self) -> Session | None:
        """The open session, or None before the first run (or after a backend change)."""
        return self._session

    def set_backend(self, name: str, docker_hosts: Sequence[str] = (),
                    gpus: str | Sequence[str] | None = None,
                    memory_limit: str | float | None = None) -> None:
        """Run on backend ``name`` from now on; what runs is cancelled, its session closed.

        Values are checked as ``lamella run`` checks them (ArgumentError, one line). The new
        backend's session opens at the next run or preview. Choosing the backend in use
        changes nothing (its warm workers stay).
        """
        choice = BackendChoice.checked(name, docker_hosts, gpus, memory_limit)
        if choice == self._choice:
            return
        self._choice = choice
        self._drop_waiting("the backend changed before it started")
        old = self._stop()
        if old is not None:  # its last run may take a moment to stop: not on the UI thread
            threading.Thread(target=old.close, daemon=True, name="lamella-editor-close").start()
        self.backend_changed.emit(choice)

    def busy(self, kind: str) -> bool:
        """True while a run of ``kind`` ("preview" or "run") is on or waits for the session."""
        if kind in self._waiting:
            return True
        handle = self._handles.get(kind)
        return handle is not None and not handle.done

    def preview(self, analysis: Analysis, targets: Sequence[str], inputs: Mapping[str, Path],
                params: Mapping[str, Any] | None = None, sweep: Mapping[str, Sequence[Any]] | None = None,
                ) -> None:
        """Run what ``targets`` need on one image, cancelling a preview still running."""
        self.cancel("preview")
        self._start("preview", analysis, preview=True, targets=list(targets), inputs=dict(inputs),
                    params=dict(params or {}), sweep=dict(sweep) if sweep else None)

    def run(self, analysis: Analysis, *, out: Path, inputs: Mapping[str, Path] | None = None,
            batch: str | None = None) -> None:
        """Run the whole workflow on one image or, with ``batch``, a folder's images."""
        self.cancel("preview")  # a run takes the session's thread; a preview would wait for it
        self._start("run", analysis, out=out, inputs=dict(inputs or {}), batch=batch)

    def cancel(self, kind: str) -> None:
        """Cancel the run of ``kind`` if one is on (its record says 'cancelled')."""
        self._waiting.pop(kind, None)  # asked for, waiting for the session: it never starts
        handle = self._handles.get(kind)
        if handle is not None and not handle.done:
            handle.cancel()

    def close(self) -> None:
        """Cancel everything and stop the session's workers."""
        self._waiting.clear()
        old = self._stop()
        if old is not None:
            old.close()

    def _stop(self) -> Session | None:
        """Cancel what runs and let go of the session (returned, for the caller to close)."""
        for kind in list(self._handles):
            self.cancel(kind)
        self._generation += 1
        old, self._session = self._session, None
        return old

    def _drop_waiting(self, why: str) -> None:
        waiting, self._waiting = self._waiting, {}
        for kind in waiting:
            self.finished.emit(kind, None, why)

    # ----- the session: opened off the UI thread ------------------------------------------
    def _start(self, kind: str, analysis: Analysis, **arguments: Any) -> None:
        arguments = {k: v for k, v in arguments.items() if v is not None}
        if self._session is not None:
            self._start_in_session(kind, analysis, arguments)
            return
        self._waiting[kind] = (analysis, arguments)
        if not self._opening:
            self._open()

    def _open(self) -> None:
        generation, choice = self._generation, self._choice
        jobs, cache_dir = self._jobs, self._cache_dir
        self._opening = True

        def open_session() -> None:
            session: Session | None = None
            error: str | None = None
            try:
                session = Session(backend=choice.name, jobs=jobs, cache_dir=cache_dir, gpus=choice.gpus,
                                  docker_hosts=choice.docker_hosts, memory_limit=choice.memory_limit)
            except Exception as exc:  # no Docker engine, a bad cache folder: one line in the window
                error = str(exc) or type(exc).__name__
            if session is not None and generation != self._generation:
                session.close()  # stale already (the window may be gone): closed here, not leaked
                session = None
            self._opened.emit(generation, session, error)

        threading.Thread(target=open_session, daemon=True, name="lamella-editor-open").start()

    def _on_opened(self, generation: int, session: object, error: object) -> None:
        assert session is None or isinstance(session, Session)
        self._opening = False
        if generation != self._generation:  # the backend changed (or the window closed) meanwhile
            if session is not None:
                session.close()
            if self._waiting:
                self._open()
            return
        if session is None:
            self._drop_waiting(str(error or "the session did not start"))
            return
        self._session = session
        waiting, self._waiting = self._waiting, {}
        for kind, (analysis, arguments) in waiting.items():
            self._start_in_session(kind, analysis, arguments)

    def _start_in_session(self, kind: str, analysis: Analysis, arguments: dict[str, Any]) -> None:
        assert self._session is not None
        try:
            handle = self._session.start(analysis, on_event=lambda e: self.run_event.emit(kind, e),
                                         **arguments)
        except Exception as exc:  # a bad argument: said in the window, never a crash
            self.finished.emit(kind, None, str(exc))
            return
        self._handles[kind] = handle
        threading.Thread(target=self._follow, args=(kind, handle), daemon=True,
                         name=f"lamella-editor-{kind}").start()

    def _follow(self, kind: str, handle: RunHandle) -> None:
        result: RunResult | None = None
        error: str | None = None
        try:
            result = handle.wait()
        except BaseException as exc:  # whatever stopped the run is shown, not raised in Qt
            error = str(exc) or type(exc).__name__
        if kind == "preview" and self._handles.get(kind) is not handle:
            return  # a newer preview replaced this one: its outputs would be stale
        self.finished.emit(kind, result, error)


