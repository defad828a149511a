"""Per-object measurements of an instance label image, in pixel units.

Each object is measured on its bounding-box crop, read in slabs of rows so that even an
object as large as the image needs only a few small temporary arrays. Sums are kept as
exact integers (moments) or counts (perimeter), so slabbing does not change any result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from skimage.segmentation import relabel_sequential

from lamella.core.sdk import shapes

from . import feret

__all__ = ["COLUMNS", "measure_objects"]

# Columns in pixel units, in table order (mean_intensity is added when an image is given).
COLUMNS = ("label", "area", "ecd", "perimeter", "feret_max", "feret_min", "aspect_ratio",
           "circularity", "solidity", "centroid_x", "centroid_y")

_SLAB_PIXELS = 1 << 20
# find_objects keeps one entry per value up to the largest label: beyond this, renumber.
_MAX_DIRECT_LABEL = 1 << 24


@dataclass
class _Sums:
    """Running sums over an object's pixels (coordinates relative to its bounding box)."""

    n: int = 0
    sx: int = 0
    sy: int = 0
    sxx: int = 0
    syy: int = 0
    sxy: int = 0
    intensity: float = 0.0
    transitions: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=np.int64))
    runs: list[np.ndarray] = field(default_factory=list)


def measure_objects(labels: np.ndarray, *, image: np.ndarray | None = None,
                    on_progress: Callable[[float], None] | None = None,
                    slab_pixels: int = _SLAB_PIXELS) -> dict[str, np.ndarray]:
    """Measure every labelled object; sizes in pixels, centroids from the image's top-left corner.

    Parameters
    ----------
    labels
        2-D integer array, 0 = background, each other value one object (its pixels need not
        be connected).
    image
        Optional 2-D grey image of the same shape; adds ``mean_intensity``.
    on_progress
        Called with the fraction of objects done, now and then.
    slab_pixels
        Largest number of crop pixels read at once (bounds memory for huge objects).

    Returns
    -------
    dict of column name -> 1-D array, one entry per object in increasing label order;
    the columns of :data:`COLUMNS` (plus ``mean_intensity``).
    """
    labels, original = _compact(labels)
    boxes = ndimage.find_objects(labels)
    found = [(value, box) for value, box in enumerate(boxes, start=1) if box is not None]
    rows = []
    for i, (value, box) in enumerate(found):
        rows.append(_describe(_accumulate(labels, box, value, image, slab_pixels), box))
        if on_progress is not None and i % 1000 == 999:
            on_progress((i + 1) / len(found))
    values = np.array([value for value, _ in found], dtype=np.int64)
    # rows always end with a mean intensity; it is kept only when an image was given
    names = [*COLUMNS[1:], *(["mean_intensity"] if image is not None else [])]
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(COLUMNS))
    return {"label": values if original is None else np.asarray(original[values]),
            **{name: table[:, k] for k, name in enumerate(names)}}


def _compact(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Renumber labels 1..n when values are too large to index; also return new -> old values."""
    if labels.size == 0 or int(labels.max()) <= _MAX_DIRECT_LABEL:
        return labels, None
    renumbered, _, inverse = relabel_sequential(labels)
    return renumbered, inverse


def _slabs(labels: np.ndarray, box: tuple[slice, slice], value: int,
           slab_pixels: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield (first row, row count, slab) pieces of the object's crop, padded by one pixel.

    A slab holds the row above its rows (padding for the first) so changes between rows are
    counted once; the last slab also holds an empty row below the crop.
    """
    y0, y1 = box[0].start, box[0].stop
    x0, x1 = box[1].start, box[1].stop
    width = x1 - x0 + 2
    step = max(1, slab_pixels // width)
    above = np.zeros(width, dtype=bool)
    for top in range(y0, y1, step):
        bottom = min(top + step, y1)
        count = bottom - top
        slab = np.zeros((count + 1 + (bottom == y1), width), dtype=bool)
        slab[0] = above
        slab[1:count + 1, 1:-1] = labels[top:bottom, x0:x1] == value
        above = slab[count].copy()
        yield top - y0, count, slab


def _accumulate(labels: np.ndarray, box: tuple[slice, slice], value: int,
                image: np.ndarray | None, slab_pixels: int) -> _Sums:
    sums = _Sums()
    for top, count, slab in _slabs(labels, box, value, slab_pixels):
        sums.transitions += shapes.crossings(slab, count)
        ys, xs = np.nonzero(slab[1:count + 1, 1:-1])
        if image is not None:
            y_first, x_first = box[0].start + top, box[1].start
            sums.intensity += float(image[ys + y_first, xs + x_first].sum(dtype=np.float64))
        _add_moments(sums, ys + top, xs)
    return sums


def _add_moments(sums: _Sums, ys: np.ndarray, xs: np.ndarray) -> None:
    if not len(ys):
        return
    sums.n += len(ys)
    sums.sx += int(xs.sum())
    sums.sy += int(ys.sum())
    sums.sxx += int(np.dot(xs, xs))
    sums.syy += int(np.dot(ys, ys))
    sums.sxy += int(np.dot(xs, ys))
    # np.nonzero lists pixels row by row, so a row's first and last entries are its extremes
    breaks = np.flatnonzero(np.diff(ys)) + 1
    firsts = np.concatenate([[0], breaks])
    lasts = np.concatenate([breaks - 1, [len(ys) - 1]])
    sums.runs.append(np.column_stack([ys[firsts], xs[firsts], xs[lasts]]))


def _describe(sums: _Sums, box: tuple[slice, slice]) -> list[float]:
    n = sums.n
    runs = np.concatenate(sums.runs)
    hull = shapes.convex_hull(shapes.outline_corners(runs[:, 0], runs[:, 1], runs[:, 2]))
    feret_max, feret_min = feret.feret_diameters(hull)
    perimeter = shapes.crofton_perimeter(sums.transitions)
    row = [float(n), np.sqrt(4 * n / np.pi), perimeter, feret_max, feret_min,
           _aspect_ratio(sums), shapes.circularity(n, perimeter), shapes.solidity(n, hull),
           box[1].start + sums.sx / n + 0.5, box[0].start + sums.sy / n + 0.5]
    return [*row, sums.intensity / n]


def _aspect_ratio(sums: _Sums) -> float:
    """Major/minor axis of the ellipse with the object's second moments (pixels as squares)."""
    n = sums.n
    # exact integer central moments; + 1/12 is each pixel square's own variance, so a
    # w x h rectangle gives exactly w/h and a single pixel gives 1
    vxx = (n * sums.sxx - sums.sx**2) / n**2 + 1 / 12
    vyy = (n * sums.syy - sums.sy**2) / n**2 + 1 / 12
    vxy = (n * sums.sxy - sums.sx * sums.sy) / n**2
    half_gap = np.hypot((vxx - vyy) / 2, vxy)
    mid = (vxx + vyy) / 2
    return float(np.sqrt((mid + half_gap) / (mid - half_gap)))
