"""Runs and previews from the window, off the UI thread, through a warm runner Session.

The session's own thread runs them (warm workers: a re-run costs the node's work, not a
new interpreter); its events arrive here on that thread and are re-emitted as Qt signals,
which Qt queues to the window's thread. A newer preview cancels the one still running, so
dragging a value never queues stale work. Preview results live in the session's bounded
scratch space, never in the user's results folder.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6 import QtCore

from lamella.runner import Analysis, Session
from lamella.runner._handle import RunHandle
from lamella.runner._results import RunResult

__all__ = ["RunController"]


class RunController(QtCore.QObject):
    """Starts preview and full runs in one session and reports them as Qt signals."""

    run_event = QtCore.Signal(str, object)  # "preview" or "run", RunEvent
    finished = QtCore.Signal(str, object, object)  # kind, RunResult or None, error text or None

    def __init__(self, *, jobs: int | None = None, cache_dir: Path | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs, self._cache_dir = jobs, cache_dir
        self._session: Session | None = None
        self._handles: dict[str, RunHandle] = {}

    @property
    def session(self) -> Session:
        """The warm session, started at first use (its workers start with the first run)."""
        if self._session is None:
            self._session = Session(jobs=self._jobs, cache_dir=self._cache_dir)
        return self._session

    def busy(self, kind: str) -> bool:
        """True while a run of ``kind`` ("preview" or "run") is on."""
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
        handle = self._handles.get(kind)
        if handle is not None and not handle.done:
            handle.cancel()

    def close(self) -> None:
        """Cancel everything and stop the session's workers."""
        for kind in list(self._handles):
            self.cancel(kind)
        if self._session is not None:
            self._session.close()
            self._session = None

    def _start(self, kind: str, analysis: Analysis, **arguments: Any) -> None:
        arguments = {k: v for k, v in arguments.items() if v is not None}
        try:
            handle = self.session.start(analysis, on_event=lambda e: self.run_event.emit(kind, e),
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


