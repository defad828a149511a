"""The handle of a run started in the background: its events, cancel, wait, result."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from lamella.core.events import RunEvent
from lamella.runner._results import RunResult

__all__ = ["RunHandle"]

_END = object()  # put on the event queue when the run has ended


class RunHandle:
    """A run going on in a session's background thread (see :class:`lamella.runner.Session`).

    Events arrive through :meth:`events` (an iterator ending with ``run_finished``) and
    through the ``on_event`` callback given to ``start`` (called on the run's thread).
    :meth:`cancel` may be called from any thread; :meth:`wait` returns the
    :class:`RunResult` (status ``cancelled`` after a cancel) or raises what stopped the run.
    """

    def __init__(self, on_event: Callable[[RunEvent], None] | None = None) -> None:
        self._on_event = on_event
        self._events: queue.Queue[Any] = queue.Queue()
        self.cancel_event = threading.Event()
        self._result: RunResult | None = None
        self._error: BaseException | None = None
        self._ended = threading.Event()
        self.run_id = ""

    def execute(self, work: Callable[[], RunResult]) -> None:
        """Run ``work`` here and keep what it gives or raises (called on the session's thread)."""
        try:
            self._result = work()
        except BaseException as exc:  # handed to the caller of wait()
            self._error = exc
        finally:
            self._events.put(_END)
            self._ended.set()

    def emit(self, event: RunEvent) -> None:
        """Take one event of the run (called on the run's thread)."""
        if event.kind == "run_started":
            self.run_id = event.run_id
        self._events.put(event)
        if self._on_event is not None:
            self._on_event(event)

    # ----- for the caller -------------------------------------------------------------------
    def events(self, timeout: float | None = None) -> Iterator[RunEvent]:
        """The run's events as they happen, ending when the run has ended.

        Raises ``TimeoutError`` if no event comes for ``timeout`` seconds.
        """
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no event from the run for {timeout} s") from None
            if event is _END:
                self._events.put(_END)  # a second iterator ends too
                return
            yield event

    def cancel(self) -> None:
        """Stop the run: running nodes are killed, nothing new starts; safe from any thread."""
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> RunResult:
        """Wait for the run's end and return its result (or raise what stopped it)."""
        if not self.join(timeout):
            raise TimeoutError(f"the run did not end within {timeout} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run's end without raising; True if it has ended."""
        return self._ended.wait(timeout)

    @property
    def done(self) -> bool:
        """True once the run has ended."""
        return self._ended.is_set()

    @property
    def record(self) -> dict[str, Any] | None:
        """The run record once the run has ended (also for a cancelled run)."""
        return self._result.record if self._result is not None else None
