"""Per-object measures for filtering: area, border contact, solidity, circularity.

Conventions (pixel units; the caller converts physical limits):

* area: number of pixels carrying the object's id (all of them, connected or not);
* solidity and circularity: exactly the ``lamella/measure`` columns of the same name
  (docs/measurements.md), computed by the same code, :mod:`lamella.core.sdk.shapes`. So a
  limit chosen from a measure table keeps exactly the objects the table shows at or above
  it. Solidity is the area over the area of the convex hull of the pixel outline (a digitised
  disk of radius 5 px scores 0.92, not 1: its staircase outline does not fill its hull);
  circularity is min(1, 4 pi area / perimeter^2) with the 4-direction Crofton perimeter.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lamella.core.sdk.shapes import mask_circularity, mask_solidity

__all__ = ["areas", "border_ids", "shape_measures"]


def areas(labels: np.ndarray) -> np.ndarray:
    """Pixel count per id: ``areas(labels)[i]`` is the area of object i (index 0 = background)."""
    return np.bincount(labels.ravel())


def border_ids(labels: np.ndarray) -> np.ndarray:
    """Ids of the objects with at least one pixel on the outermost rows or columns."""
    edges = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    ids = np.unique(edges)
    return ids[ids > 0]


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
            solid[index] = mask_solidity(region)
        if with_circularity:
            circular[index] = mask_circularity(region)
    return solid, circular
