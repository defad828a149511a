"""Tidy a binary mask: fill holes, remove small objects.

``connectivity`` is the neighbourhood of foreground pixels: 8 joins pixels that touch at a
corner, 4 only pixels that share an edge. Holes are judged with the complementary
neighbourhood (8-connected objects enclose 4-connected holes and vice versa), so a hole
closed off by diagonal steps is a hole exactly when the object around it is one object.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["fill_holes", "remove_small_objects"]


def _structure(connectivity: int) -> np.ndarray:
    return ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)


def fill_holes(mask: np.ndarray, *, connectivity: int = 8) -> np.ndarray:
    """Set background regions that do not reach the image edge to foreground.

    Labels the background once (linear time); scipy's ``binary_fill_holes`` dilates until
    nothing changes, which takes minutes on large images with long winding structures.

    Examples
    --------
    >>> ring = np.ones((5, 5), bool); ring[2, 2] = False
    >>> bool(fill_holes(ring)[2, 2])
    True
    """
    dual = 4 if connectivity == 8 else 8
    background, count = ndimage.label(~mask, structure=_structure(dual))
    reaches_edge = np.zeros(count + 1, bool)
    for edge in (background[0], background[-1], background[:, 0], background[:, -1]):
        reaches_edge[edge] = True
    reaches_edge[0] = True  # label 0 is the foreground itself
    return mask | ~reaches_edge[background]


def remove_small_objects(mask: np.ndarray, *, min_area: float,
                         connectivity: int = 8) -> np.ndarray:
    """Drop objects with fewer than ``min_area`` pixels; an object of exactly that size stays.

    Examples
    --------
    >>> m = np.zeros((4, 8), bool); m[:2, :2] = True; m[:3, 4:7] = True
    >>> int(remove_small_objects(m, min_area=5).sum())
    9
    """
    if min_area <= 1:
        return mask  # every object has at least one pixel
    labels, _ = ndimage.label(mask, structure=_structure(connectivity))
    # Unit conversion leaves rounding dust ('0.01 um^2' at 2 nm/px is 2500.0000000000005 px):
    # an object of exactly the asked area must not be dropped for it.
    keep = np.bincount(labels.ravel()) >= min_area * (1 - 1e-9)
    keep[0] = False
    return keep[labels]
