"""Undo and redo as whole-document snapshots, one per user action.

A snapshot (a copy of the round-trip document, comments included) makes every undo exact by
construction: no inverse operation to get wrong. Workflows are small (tens of nodes, at
most 1000), so a copy per action is cheap next to what a person does between two actions.

Each document state has a number; the file is clean when the current state is the one last
saved, so undoing back to it clears the unsaved mark.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

__all__ = ["History", "Step"]

_MAX_STEPS = 200  # far more than anyone undoes; bounds the memory the snapshots take


@dataclass
class Step:
    """One undoable action: its label, the document on the other side of it, and that state."""

    label: str
    document: Any
    state: int
    renames: dict[str, str] = field(default_factory=dict)  # old -> new node ids, forwards
    merge: object | None = None


class History:
    """The undo and redo stacks and the document state numbers."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.state = 0
        self.saved: int | None = 0
        self.undo_steps: list[Step] = []
        self.redo_steps: list[Step] = []
        self._open_merge: object | None = None

    def merges(self, merge: object | None) -> bool:
        """True if an action with this merge key joins the last step (a drag going on)."""
        return merge is not None and merge == self._open_merge and bool(self.undo_steps)

    def record(self, label: str, before: Any, renames: dict[str, str] | None = None,
               merge: object | None = None) -> None:
        """Push the step that led from ``before`` to the current document."""
        if not self.merges(merge):
            self.undo_steps.append(Step(label, before, self.state, dict(renames or {}), merge))
            del self.undo_steps[:-_MAX_STEPS]
        self._open_merge = merge
        self.redo_steps.clear()
        self.state = next(self._numbers)

    def close_merge(self) -> None:
        """The next action starts a new step even if it could merge (a drag ended)."""
        self._open_merge = None

    def undo(self, current: Any) -> tuple[Any, dict[str, str]] | None:
        """The document to go back to and the renames that lead to it; None if nothing to undo."""
        return self._swap(self.undo_steps, self.redo_steps, current, backwards=True)

    def redo(self, current: Any) -> tuple[Any, dict[str, str]] | None:
        """The document to go forward to and the renames that lead to it."""
        return self._swap(self.redo_steps, self.undo_steps, current, backwards=False)

    def _swap(self, source: list[Step], target: list[Step], current: Any,
              backwards: bool) -> tuple[Any, dict[str, str]] | None:
        if not source:
            return None
        step = source.pop()
        target.append(Step(step.label, current, self.state, step.renames))
        self.state = step.state
        self._open_merge = None
        renames = {new: old for old, new in step.renames.items()} if backwards else step.renames
        return step.document, renames

    def mark_saved(self) -> None:
        """The current state is what the file holds."""
        self.saved = self.state

    def forget_saved(self) -> None:
        """No state matches the file any more (the file was written from elsewhere)."""
        self.saved = None

    @property
    def dirty(self) -> bool:
        """True if the document differs from the file."""
        return self.state != self.saved

    def text(self, steps: list[Step]) -> str:
        """The label of the next step on a stack, or '' if none."""
        return steps[-1].label if steps else ""

    def snapshots(self) -> list[Step]:
        """Every stored step (so a save-as can move their relative paths too)."""
        return [*self.undo_steps, *self.redo_steps]
