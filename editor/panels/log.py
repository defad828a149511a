"""The log panel: run events as lines, and a failed node's error with its log tail."""

from __future__ import annotations

import time

from PySide6 import QtGui, QtWidgets

from lamella.core.events import RunEvent

__all__ = ["LogPanel", "describe"]

_MAX_BLOCKS = 5000  # a batch of thousands of images must not grow the panel without end


def describe(event: RunEvent) -> str | None:
    """One line for an event worth reading (progress ticks are shown on the nodes instead)."""
    where = f"{event.node}" + (f" [{event.item}]" if event.item else "")
    if event.kind == "node_failed":
        tail = "".join(event.detail.get("log_tail", []) or [])
        return f"✗ {where} failed: {event.message}" + (f"\n{tail.rstrip()}" if tail.strip() else "")
    lines = {
        "run_started": f"run started ({event.detail.get('nodes', '?')} steps)",
        "node_started": f"{where}: running",
        "node_finished": f"{where}: done in {event.detail.get('duration_s', 0):.1f} s",
        "node_cached": f"{where}: reused from the cache",
        "node_skipped": f"{where}: skipped ({event.message})",
        "node_cancelled": f"{where}: cancelled",
        "run_finished": f"run {event.message}",
        "error": f"error: {event.message}",
    }
    return lines.get(event.kind)


class LogPanel(QtWidgets.QPlainTextEdit):
    """Read-only, newest line last, capped at a few thousand lines."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(_MAX_BLOCKS)
        self.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))

    def add_event(self, prefix: str, event: RunEvent) -> None:
        """Add the line for ``event`` (if it has one), tagged with the run kind."""
        line = describe(event)
        if line is not None:
            self.add_line(f"{prefix}: {line}" if prefix else line)

    def add_line(self, text: str) -> None:
        """Add a line with the time of day."""
        self.appendPlainText(f"{time.strftime('%H:%M:%S')}  {text}")
