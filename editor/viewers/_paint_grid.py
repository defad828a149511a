"""The pixels a zoomed-out view shows, and a map classified on them spread to every pixel.

A view that shows the image smaller than 1:1 draws one image pixel per screen pixel (the
layers are drawn nearest-neighbour). Classifying only those pixels first costs a fraction of
the whole area and looks nearly the same at that zoom: :func:`screen_grid` picks, for each
screen pixel, the image pixel under its centre; :func:`spread` gives every image pixel the
value of the nearest picked one, so a picked pixel keeps its own value. The full-resolution
map then needs only the pixels not picked (:func:`rest_of`), written in with :func:`place`.
"""

from __future__ import annotations

import math

import numpy as np

from lamella.editor.viewers._paint_labels import Region

__all__ = ["place", "rest_of", "screen_grid", "spread"]

Grid = tuple[np.ndarray, np.ndarray]


def screen_grid(region: Region, scale: float) -> Grid | None:
    """Image rows and columns under the centres of the screen pixels that show ``region``.

    ``scale`` is screen pixels per image pixel (the view's zoom times the screen's device
    pixel ratio). None when the screen shows every pixel of ``region`` (1:1 or closer).

    >>> rows, columns = screen_grid((slice(0, 10), slice(4, 8)), 0.5)
    >>> rows.tolist(), columns.tolist()
    ([1, 3, 5, 7, 9], [5, 7])
    """
    axes = []
    for part in region:
        count = part.stop - part.start
        shown = max(1, min(count, math.ceil(count * scale)))
        step = count / shown  # >= 1: neighbouring picks differ, so they increase strictly
        axes.append(part.start + np.floor((np.arange(shown) + 0.5) * step).astype(np.intp))
    rows, columns = axes
    if rows.size == region[0].stop - region[0].start and columns.size == region[1].stop - region[1].start:
        return None
    return rows, columns


def spread(values: np.ndarray, grid: Grid, region: Region) -> np.ndarray:
    """``values`` (len(rows), len(columns), ...) on ``grid``, at every pixel of ``region``."""
    rows, columns = (_nearest(picked, part) for picked, part in zip(grid, region, strict=True))
    return values[rows[:, None], columns[None, :]]


def rest_of(grid: Grid, region: Region) -> list[Grid]:
    """Grids covering the pixels of ``region`` off ``grid`` (none empty).

    The other rows at every column, then the grid's rows at the other columns.
    """
    rows, columns = grid
    every_row, every_column = (np.arange(part.start, part.stop) for part in region)
    other_rows, other_columns = np.setdiff1d(every_row, rows), np.setdiff1d(every_column, columns)
    parts = [(other_rows, every_column), (rows, other_columns)]
    return [(r, c) for r, c in parts if r.size and c.size]


def place(target: np.ndarray, values: np.ndarray, grid: Grid, region: Region) -> None:
    """Write ``values`` (len(rows), len(columns)) into ``target`` (the size of ``region``)."""
    target[np.ix_(grid[0] - region[0].start, grid[1] - region[1].start)] = values


def _nearest(picked: np.ndarray, part: slice) -> np.ndarray:
    """For each index of ``part``, the position in ``picked`` of the nearest picked index."""
    middles = (picked[:-1] + picked[1:]) / 2
    return np.searchsorted(middles, np.arange(part.start, part.stop), side="left")
