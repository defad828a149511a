"""Holding the window's live preview while a compare run is on.

The session runs one preview at a time and a newer one cancels the one still running, so a
live preview started by an edit or a click would cancel the comparison. While held, the live
preview starts nothing; released, it refreshes, because the comparison's result also reached
the window's output pane (it listens to every preview) and shows the swept values, not the
workflow's.
"""

from __future__ import annotations

from lamella.editor._preview import Preview

__all__ = ["PreviewHold"]


class PreviewHold:
    """Stops ``preview`` from starting runs between :meth:`hold` and :meth:`release`."""

    def __init__(self, preview: Preview) -> None:
        self._preview = preview
        self._was: bool | None = None  # 'enabled' before the hold; None: not holding

    @property
    def holding(self) -> bool:
        """True between :meth:`hold` and :meth:`release`."""
        return self._was is not None

    def hold(self) -> None:
        """Keep the live preview from starting (holding twice is holding once)."""
        if self._was is None:
            self._was = self._preview.enabled
            self._preview.enabled = False

    def release(self) -> None:
        """Let the live preview run again, and refresh it with the workflow's values."""
        if self._was is None:
            return
        self._preview.enabled, self._was = self._was, None
        self._preview.changed()
