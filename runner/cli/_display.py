"""How a run looks in the terminal: progress bars, plain lines, or JSON events.

All three are event sinks; they hold only what they need to draw.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Protocol, TextIO

from lamella.core.events import RunEvent

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

__all__ = ["Display", "JsonEvents", "PlainLines", "ProgressBars", "Silent", "batch_words"]

_STATE_WORDS = {
    "node_started": "running",
    "node_cached": "reused",
    "node_finished": "done",
    "node_failed": "FAILED",
    "node_skipped": "skipped",
}


class Display(Protocol):
    """What every way of showing a run offers: take events, then tidy up once."""

    def __call__(self, event: RunEvent) -> None:
        """Show one event."""

    def close(self) -> None:
        """Finish drawing (stop live bars)."""


class Silent:
    """``--quiet``: draw nothing."""

    def __call__(self, event: RunEvent) -> None:
        """Ignore the event."""

    def close(self) -> None:
        """Nothing to tidy."""


class JsonEvents:
    """``--json-events``: one JSON object per line on stdout, for programs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: RunEvent) -> None:
        """Write the event as one line; if the reader went away, the run goes on silently."""
        try:
            self.stream.write(event.to_json() + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self.stream = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the sink)

    def close(self) -> None:
        """Nothing to tidy."""


class PlainLines:
    """When output is not a terminal (logs, CI): one line per node state change."""

    def __init__(self, console: Console) -> None:
        self.console, self._start = console, time.monotonic()

    def __call__(self, event: RunEvent) -> None:
        """Print a line for started/finished/failed/reused/skipped nodes and images done."""
        if event.kind == "batch_progress" and event.item is not None:
            self.console.print(f"[{time.monotonic() - self._start:6.1f} s] images: "
                               f"{batch_words(event.detail)}", highlight=False)
            return
        word = _STATE_WORDS.get(event.kind)
        if word is None:
            return
        where = f"{event.item}/{event.node}" if event.item else event.node
        seconds = event.detail.get("duration_s")
        took = f" in {seconds:.1f} s" if isinstance(seconds, float) else ""
        self.console.print(f"[{time.monotonic() - self._start:6.1f} s] {where}: {word}{took}",
                           highlight=False)

    def close(self) -> None:
        """Nothing to tidy."""


class ProgressBars:
    """In a terminal: one bar per node, counting items (a batch) or module progress."""

    def __init__(self, console: Console, node_order: list[str], items: int) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.items = items
        self.progress = Progress(
            TextColumn("{task.description:<18}"), BarColumn(), TextColumn("{task.fields[state]:<9}"),
            TextColumn("{task.completed:.0f}/{task.total:.0f}" if items > 1 else ""),
            TimeElapsedColumn(), console=console, transient=False)
        self.bars: dict[str, TaskID] = {
            node: self.progress.add_task(node, total=items, state="queued") for node in node_order}
        # A batch also counts whole images, with the time left.
        self.images = (self.progress.add_task("images", total=items, state="")
                       if items > 1 else None)
        self._fraction: dict[tuple[str | None, str], float] = {}
        self._failed: dict[str, int] = {}
        self.progress.start()

    def __call__(self, event: RunEvent) -> None:
        """Move the node's bar (the images bar for ``batch_progress``)."""
        if event.kind == "batch_progress" and self.images is not None:
            self.progress.update(self.images, completed=event.detail["done"],
                                 state=batch_words(event.detail, counts=False))
            return
        if event.node is None or event.node not in self.bars:
            return
        bar = self.bars[event.node]
        key = (event.item, event.node)
        if event.kind == "node_progress" and event.progress is not None:
            self._advance(bar, key, event.progress)
        elif event.kind in ("node_finished", "node_cached", "node_failed", "node_skipped"):
            self._advance(bar, key, 1.0)
            self.progress.update(bar, state=self._state(event))
        elif event.kind == "node_started" and self.items == 1:
            self.progress.update(bar, state="running")

    def _state(self, event: RunEvent) -> str:
        if self.items == 1:
            return _STATE_WORDS[event.kind]
        if event.kind in ("node_failed", "node_skipped"):  # a batch counts what went wrong
            self._failed[event.node or ""] = self._failed.get(event.node or "", 0) + 1
        lost = self._failed.get(event.node or "", 0)
        return f"{lost} not done" if lost else ""

    def _advance(self, bar: TaskID, key: tuple[str | None, str], fraction: float) -> None:
        previous = self._fraction.get(key, 0.0)
        self._fraction[key] = fraction
        self.progress.advance(bar, max(0.0, fraction - previous))

    def close(self) -> None:
        """Stop redrawing."""
        self.progress.stop()


def batch_words(detail: dict[str, object], *, counts: bool = True) -> str:
    """``'3/10 done, 1 failed, about 25 s left'`` from a ``batch_progress`` event's detail."""
    done, total, failed, eta = (detail.get(k) for k in ("done", "total", "failed", "eta_s"))
    words = [f"{done}/{total} done"] if counts else []
    if failed:
        words.append(f"{failed} failed")
    if isinstance(eta, int | float) and done != total:
        words.append(f"about {_duration(float(eta))} left")
    return ", ".join(words)


def _duration(seconds: float) -> str:
    """``'25 s'``, ``'3 min 05 s'``, ``'1 h 02 min'``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
