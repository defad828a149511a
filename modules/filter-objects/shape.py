"""Per-object measures for filtering: area, border contact, solidity, circularity.

Conventions (pixel units; the caller converts physical limits):

* area: number of pixels carrying the object's id (all of them, connected or not);
* solidity: area / area of the convex hull (``skimage.morphology.convex_hull_image``),
  1 for convex objects, low for C-shapes, rings and branched objects;
* circularity: 4 pi area / perimeter^2, near 1 for a disk (0.91 at radius 8 px, 0.98 at
  30 px), 0.9 for a pixel square (the ideal square's pi/4 = 0.785 is not reached: pixel
  perimeter estimates run short on straight edges), near 0 for thin lines. The perimeter is
  Crofton's estimate over 4 directions (``skimage.measure.perimeter_crofton``), not
  ``skimage.measure.perimeter``: the latter counts a one-pixel-wide line's boundary pixels
  once, so a 1 x 20 px line scores 0.78 (Crofton: 0.17), and it overestimates disk outlines
  (a radius-30 disk scores 0.91). Objects of a few pixels can exceed 1 (a single pixel
  scores 1.75), as with any pixel estimate.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.measure import perimeter_crofton
from skimage.morphology import convex_hull_image

__all__ = ["areas", "border_ids", "circularity", "shape_measures", "solidity"]


def areas(labels: np.ndarray) -> np.ndarray:
    """Pixel count per id: ``areas(labels)[i]`` is the area of object i (index 0 = background)."""
    return np.bincount(labels.ravel())


def border_ids(labels: np.ndarray) -> np.ndarray:
    """Ids of the objects with at least one pixel on the outermost rows or columns."""
    edges = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    ids = np.unique(edges)
    return ids[ids > 0]


def solidity(region: np.ndarray) -> float:
    """Area over convex-hull area of a boolean object image.

    Examples
    --------
    >>> c = np.ones((5, 5), bool); c[1:4, 2:] = False  # a C opening to the right
    >>> round(solidity(c), 2)
    0.64
    """
    hull = convex_hull_image(region)
    return float(region.sum()) / float(hull.sum())


def circularity(region: np.ndarray) -> float:
    """``4 pi area / perimeter^2`` with Crofton's perimeter (see the module notes).

    Examples
    --------
    >>> yy, xx = np.indices((65, 65))
    >>> round(circularity((yy - 32) ** 2 + (xx - 32) ** 2 <= 30 ** 2), 2)
    0.98
    """
    perimeter = perimeter_crofton(np.pad(region, 1), directions=4)
    return float(4 * np.pi * region.sum() / perimeter**2)


def shape_measures(labels: np.ndarray, ids: np.ndarray, *, with_solidity: bool,
                   with_circularity: bool) -> tuple[np.ndarray, np.ndarray]:
    """Solidity and circularity of the objects ``ids`` (NaN where not asked for).

    Each object is measured on its own bounding box, so the cost follows the objects'
    sizes, not the image's.
    """
    boxes = ndimage.find_objects(labels, max_label=int(ids.max(initial=0)))
    solid = np.full(ids.size, np.nan)
    circular = np.full(ids.size, np.nan)
    for index, label in enumerate(ids.tolist()):
        region = labels[boxes[label - 1]] == label
        if with_solidity:
            solid[index] = solidity(region)
        if with_circularity:
            circular[index] = circularity(region)
    return solid, circular
