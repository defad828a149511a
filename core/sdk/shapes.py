"""Object shape on the pixel outline: convex hull, solidity, Crofton perimeter, circularity.

These are the definitions of docs/measurements.md, in one place, so that every module that
measures or filters objects gives the same number for the same object (``lamella/measure``
writes them, ``lamella/filter-objects`` keeps or drops objects by them). An object is the
union of its pixel squares: pixel (row i, column j) is the square x in [j, j+1),
y in [i, i+1), x to the right and y down, in pixel units.

Only numpy is used: the code ships with the SDK into every module's container. The convex
hull is built with exact integer arithmetic, so it does not depend on a geometry library's
rounding.

Examples
--------
>>> disk = np.hypot(*np.mgrid[-2:3, -2:3]) <= 2  # a digitised disk of radius 2
>>> round(mask_solidity(disk), 3), round(mask_circularity(disk), 3)
(0.765, 0.909)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "circularity",
    "convex_hull",
    "crofton_perimeter",
    "crossings",
    "mask_circularity",
    "mask_outline_hull",
    "mask_perimeter",
    "mask_solidity",
    "outline_corners",
    "polygon_area",
    "row_extents",
    "solidity",
]


def row_extents(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows a boolean mask occupies, with the column of each row's first and last True pixel.

    Examples
    --------
    >>> [a.tolist() for a in row_extents(np.array([[0, 1, 1], [0, 0, 0], [1, 0, 1]], bool))]
    [[0, 2], [1, 0], [2, 2]]
    """
    rows = np.flatnonzero(mask.any(axis=1))
    occupied = mask[rows]
    left = occupied.argmax(axis=1)
    right = occupied.shape[1] - 1 - occupied[:, ::-1].argmax(axis=1)
    return rows, left, right


def outline_corners(rows: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Corners of the extreme pixels of each row, the only candidates for hull vertices.

    Parameters
    ----------
    rows, left, right
        For each pixel row the object occupies: its y index and the x indices of its
        leftmost and rightmost pixel (1-D integer arrays of equal length).

    Returns
    -------
    ndarray, shape (4 * len(rows), 2)
        Corner points (x, y): the outer corners of the row's first and last pixel square.
    """
    rows, left, right = (np.asarray(a, dtype=np.int64) for a in (rows, left, right))
    xs = np.concatenate([left, left, right + 1, right + 1])
    ys = np.concatenate([rows, rows + 1, rows, rows + 1])
    return np.column_stack([xs, ys])


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Vertices of the convex hull of 2-D points, counter-clockwise in (x, y).

    Andrew's monotone chain. Collinear points are not vertices. With integer coordinates
    (pixel corners) every orientation test is exact.

    Parameters
    ----------
    points : (n, 2) ndarray
        Points (x, y), in any order, repeats allowed.

    Returns
    -------
    (h, 2) ndarray of the input's dtype
        Hull vertices, counter-clockwise when y points up (clockwise on screen, y down).

    Examples
    --------
    >>> convex_hull(np.array([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 0]])).tolist()
    [[0, 0], [2, 0], [2, 2], [0, 2]]
    """
    points = np.asarray(points)
    lowest, highest = _column_extremes(points)
    # The lower chain runs left to right over each column's lowest point and ends at the
    # top of the last column, where the upper chain starts; and the other way round.
    lower = _left_turns([*lowest, highest[-1]])
    upper = _left_turns([*highest[::-1], lowest[0]])
    return np.array(lower[:-1] + upper[:-1], dtype=points.dtype).reshape(-1, 2)


def _column_extremes(points: np.ndarray) -> tuple[list[list], list[list]]:
    """Lowest and highest point of every distinct x, in increasing x.

    Points between them on the same vertical line are never hull vertices.
    """
    ordered = points[np.lexsort((points[:, 1], points[:, 0]))]
    starts = np.flatnonzero(np.diff(ordered[:, 0], prepend=ordered[0, 0] - 1))
    ends = np.append(starts[1:] - 1, len(ordered) - 1)
    return ordered[starts].tolist(), ordered[ends].tolist()


def _left_turns(chain: list[list]) -> list[list]:
    """Keep the points of a chain where it turns left (the convex side), dropping the rest."""
    kept: list[list] = []
    for x, y in chain:
        while len(kept) >= 2:
            (ax, ay), (bx, by) = kept[-2], kept[-1]
            if (bx - ax) * (y - ay) - (by - ay) * (x - ax) > 0:
                break
            kept.pop()
        kept.append([x, y])
    return kept


def polygon_area(vertices: np.ndarray) -> float:
    """Area enclosed by a simple polygon given by its ordered ``vertices`` (shoelace formula)."""
    x, y = vertices[:, 0].astype(np.float64), vertices[:, 1].astype(np.float64)
    nx, ny = np.roll(x, -1), np.roll(y, -1)
    return 0.5 * abs(float(np.dot(x, ny) - np.dot(y, nx)))


def mask_outline_hull(mask: np.ndarray) -> np.ndarray:
    """Convex hull (vertices, counter-clockwise) of the pixel outline of a boolean mask."""
    return convex_hull(outline_corners(*row_extents(mask)))


def solidity(area: float, hull: np.ndarray) -> float:
    """Object area (pixel count) over the area of its pixel-outline hull; 1 for rectangles."""
    return float(area) / polygon_area(hull)


def crossings(slab: np.ndarray, n_rows: int) -> np.ndarray:
    """In/out changes along rows, columns and both diagonals of a boolean slab of rows.

    Parameters
    ----------
    slab : (r, w) bool ndarray
        Row 0 is the row above the slab's own rows 1..``n_rows`` (empty above the object);
        any rows after them are counted only against the row before them. Columns must
        include one empty column on each side, so that leaving the object counts.
    n_rows : int
        The slab's own rows, whose changes along the row are counted.

    Returns
    -------
    (4,) int64 ndarray
        Changes along rows (0 degrees), columns (90), and the diagonals (45, 135). Sums over
        slabs that overlap by one row give the changes of the whole object.
    """
    own = slab[1:n_rows + 1]
    upper, lower = slab[:-1], slab[1:]
    return np.array([
        np.count_nonzero(own[:, :-1] != own[:, 1:]),
        np.count_nonzero(upper != lower),
        np.count_nonzero(upper[:, 1:] != lower[:, :-1]),
        np.count_nonzero(upper[:, :-1] != lower[:, 1:]),
    ], dtype=np.int64)


def crofton_perimeter(transitions: np.ndarray) -> float:
    """Boundary length from in/out changes along lines in 4 directions (Cauchy-Crofton).

    ``transitions`` counts neighbouring pixel pairs with one pixel in and one out, along
    rows, columns, and the two diagonals. Length = (pi/8) (T0 + T90 + (T45 + T135)/sqrt 2):
    lines in each direction are 1 (or 1/sqrt 2 for diagonals) apart, each crossing counts once.
    """
    t0, t90, t45, t135 = (float(t) for t in transitions)
    return float(np.pi / 8 * (t0 + t90 + (t45 + t135) / np.sqrt(2)))


def circularity(area: float, perimeter: float) -> float:
    """``min(1, 4 pi area / perimeter^2)`` with the Crofton perimeter.

    Capped at 1: no shape exceeds 1, so a higher value is the estimator reading small
    objects' perimeters short (one pixel would give 1.75).
    """
    return min(1.0, 4 * np.pi * float(area) / perimeter**2)


def mask_perimeter(mask: np.ndarray) -> float:
    """Crofton perimeter (pixels) of the True pixels of a 2-D boolean mask; holes count."""
    padded = np.pad(mask.astype(bool, copy=False), 1)
    return crofton_perimeter(crossings(padded, padded.shape[0] - 1))


def mask_solidity(mask: np.ndarray) -> float:
    """Solidity of the True pixels of a 2-D boolean mask (at least one pixel)."""
    return solidity(int(np.count_nonzero(mask)), mask_outline_hull(mask))


def mask_circularity(mask: np.ndarray) -> float:
    """Circularity of the True pixels of a 2-D boolean mask (at least one pixel)."""
    return circularity(int(np.count_nonzero(mask)), mask_perimeter(mask))
