"""Painted annotations without Qt: a label image, brush strokes, undo and redo.

The label image holds 0 where nothing is painted and the class value (1..K) elsewhere, the
form the pixel classifier's ``annotations`` input reads. A brush of size ``d`` covers the
pixels whose centres lie within ``d / 2`` of the stroke's path (the segments between the
pixel centres the mouse passed), so size 1 is one pixel, 3 a 3 x 3 square and larger sizes
round discs; painting overwrites any class, erasing sets 0. Each stroke (press to release)
is one undo step, kept as the before and after pixels of the box it touched.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_BRUSH", "Annotations", "Region", "stroke_mask"]

MAX_BRUSH = 250  # pixels across; wider is a fill, not a stroke
_MAX_UNDO_BYTES = 256 << 20  # the strokes kept for undo stay below this much memory
_EPSILON = 1e-9  # a pixel centre exactly on the brush's edge is inside

Region = tuple[slice, slice]  # (rows, columns) of the label image


@dataclass
class _Stroke:
    region: Region
    before: np.ndarray
    after: np.ndarray
    states: tuple[int, int]  # the annotation state numbers before and after the stroke

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes


def stroke_mask(start: tuple[int, int], end: tuple[int, int], size: int,
                shape: tuple[int, int]) -> tuple[Region, np.ndarray] | None:
    """The pixels a brush of ``size`` covers along ``start`` -> ``end`` (pixel x, y).

    Returns the box of the label image of ``shape`` (rows, columns) that holds them and the
    boolean mask within that box; None when the brush lies wholly outside the image.
    """
    (x0, y0), (x1, y1) = start, end
    radius = max(1, int(size)) / 2
    reach = math.ceil(radius)
    top, bottom = max(0, min(y0, y1) - reach), min(shape[0], max(y0, y1) + reach + 1)
    left, right = max(0, min(x0, x1) - reach), min(shape[1], max(x0, x1) + reach + 1)
    if top >= bottom or left >= right:
        return None
    ys, xs = np.mgrid[top:bottom, left:right]
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    # Distance of every pixel centre to the segment: project, clamp to the ends.
    t = np.zeros(xs.shape) if length2 == 0 else np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0, 1)
    distance2 = (xs - (x0 + t * dx)) ** 2 + (ys - (y0 + t * dy)) ** 2
    mask = distance2 <= radius * radius + _EPSILON
    return (slice(top, bottom), slice(left, right)), mask


class Annotations:
    """The label image being painted, with the strokes that made it; see the module docstring.

    Parameters
    ----------
    shape
        (rows, columns) of the image painted on.
    labels
        Annotations read from a file (values kept); None starts empty.
    """

    def __init__(self, shape: tuple[int, int], labels: np.ndarray | None = None) -> None:
        self.labels = np.zeros(shape, dtype=np.uint16)
        if labels is not None:
            self.labels[...] = labels
        self._undo: list[_Stroke] = []
        self._redo: list[_Stroke] = []
        self._before: np.ndarray | None = None  # the labels when the stroke began
        self._touched: list[int] | None = None  # top, bottom, left, right of the stroke so far
        self._last: tuple[int, int] | None = None
        self._numbers = itertools.count(1)
        self._state = self._saved = 0  # as in the workflow's undo: a number per state

    # ----- strokes ----------------------------------------------------------------------
    def begin(self, x: int, y: int, size: int, value: int) -> Region | None:
        """Start a stroke at pixel (x, y) painting ``value`` (0 erases); the region changed."""
        self.end()
        self._before, self._touched, self._last = self.labels.copy(), None, (x, y)
        return self._apply((x, y), (x, y), size, value)

    def extend(self, x: int, y: int, size: int, value: int) -> Region | None:
        """Continue the stroke to pixel (x, y); the region changed (None: nothing)."""
        if self._last is None:
            return self.begin(x, y, size, value)
        start, self._last = self._last, (x, y)
        return self._apply(start, (x, y), size, value)

    def end(self) -> bool:
        """End the stroke (one undo step); True if it changed any pixel."""
        before, touched = self._before, self._touched
        self._before = self._touched = self._last = None
        if before is None or touched is None:
            return False
        region = (slice(touched[0], touched[1]), slice(touched[2], touched[3]))
        if np.array_equal(before[region], self.labels[region]):
            return False
        state = next(self._numbers)
        self._push(_Stroke(region, before[region].copy(), self.labels[region].copy(),
                           (self._state, state)))
        self._redo.clear()
        self._state = state
        return True

    @property
    def painting(self) -> bool:
        """True between :meth:`begin` and :meth:`end`."""
        return self._before is not None

    def replace(self, labels: np.ndarray) -> Region | None:
        """Put ``labels`` in place as one undo step (classes renumbered, say); the region changed."""
        self.end()
        changed = labels != self.labels
        if not changed.any():
            return None
        rows, columns = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
        region = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(columns[0]), int(columns[-1]) + 1))
        before = self.labels[region].copy()
        self.labels[region] = labels[region]
        state = next(self._numbers)
        self._push(_Stroke(region, before, self.labels[region].copy(), (self._state, state)))
        self._redo.clear()
        self._state = state
        return region

    # ----- undo -------------------------------------------------------------------------
    def undo(self) -> Region | None:
        """Take back the last stroke; the region it changed (None: nothing to undo)."""
        if not self._undo:
            return None
        stroke = self._undo.pop()
        self._redo.append(stroke)
        self.labels[stroke.region] = stroke.before
        self._state = stroke.states[0]
        return stroke.region

    def redo(self) -> Region | None:
        """Paint the last undone stroke again; the region it changed."""
        if not self._redo:
            return None
        stroke = self._redo.pop()
        self._undo.append(stroke)
        self.labels[stroke.region] = stroke.after
        self._state = stroke.states[1]
        return stroke.region

    @property
    def can_undo(self) -> bool:
        """True if there is a stroke to take back."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True if there is an undone stroke to paint again."""
        return bool(self._redo)

    # ----- state ------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        """True if the strokes differ from what was last saved (or read)."""
        return self._state != self._saved

    def mark_saved(self) -> None:
        """The label file now holds these labels."""
        self._saved = self._state

    def counts(self) -> dict[int, int]:
        """Painted pixels per class value (classes with none left out)."""
        values, numbers = np.unique(self.labels[self.labels > 0], return_counts=True)
        return {int(v): int(n) for v, n in zip(values, numbers, strict=True)}

    # ----- internals --------------------------------------------------------------------
    def _apply(self, start: tuple[int, int], end: tuple[int, int], size: int, value: int) -> Region | None:
        found = stroke_mask(start, end, min(size, MAX_BRUSH), self.labels.shape)
        if found is None:
            return None
        region, mask = found
        self.labels[region][mask] = value
        rows, columns = region
        box = [rows.start, rows.stop, columns.start, columns.stop]
        if self._touched is None:
            self._touched = box
        else:
            self._touched = [min(self._touched[0], box[0]), max(self._touched[1], box[1]),
                             min(self._touched[2], box[2]), max(self._touched[3], box[3])]
        return region

    def _push(self, stroke: _Stroke) -> None:
        self._undo.append(stroke)
        while len(self._undo) > 1 and sum(s.nbytes for s in self._undo) > _MAX_UNDO_BYTES:
            del self._undo[0]
