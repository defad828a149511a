"""Batch progress: images done of total, with the time left, as ``batch_progress`` events.

An image is done when every one of its nodes has ended (ran, reused, failed or skipped);
it failed when one of its nodes failed or was skipped. The time left is the mean wall-clock
time per finished image so far times the images left: images running side by side count
once, so the estimate follows the batch's real pace.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lamella.core.events import RunEvent

__all__ = ["BatchProgress"]

_ENDS = frozenset({"node_finished", "node_cached", "node_failed", "node_skipped"})
_FAILS = frozenset({"node_failed", "node_skipped"})


class BatchProgress:
    """An event sink that passes every event on and adds ``batch_progress`` events.

    One goes out when the run starts (``done`` 0, ``eta_s`` None) and one each time an image
    is done. ``detail``: ``done``, ``total``, ``failed`` (images), ``eta_s`` (seconds left,
    None before the first image is done) and ``elapsed_s``.
    """

    def __init__(self, emit: Callable[[RunEvent], None], *, items: list[str], nodes: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._emit, self._clock = emit, clock
        self._left = dict.fromkeys(items, nodes)  # nodes not ended yet, per image
        self._failed: set[str] = set()
        self._done = 0
        self._started = clock()

    def __call__(self, event: RunEvent) -> None:
        """Pass ``event`` on; follow it with a ``batch_progress`` event when it ends an image."""
        self._emit(event)
        if event.kind == "run_started":
            self._started = self._clock()
            self._emit_progress(event.run_id, None)
        elif event.kind in _ENDS and event.item in self._left:
            item = event.item
            if event.kind in _FAILS:
                self._failed.add(item)
            self._left[item] -= 1
            if self._left[item] == 0:
                self._done += 1
                self._emit_progress(event.run_id, item)

    def _emit_progress(self, run_id: str, item: str | None) -> None:
        elapsed = self._clock() - self._started
        total = len(self._left)
        eta = None if not self._done else round(elapsed / self._done * (total - self._done), 1)
        self._emit(RunEvent("batch_progress", run_id, item=item, detail={
            "done": self._done, "total": total, "failed": len(self._failed), "eta_s": eta,
            "elapsed_s": round(elapsed, 1)}))
