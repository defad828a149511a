"""Cut objects again at the necks of their own outline.

The first split (dark cores, distance peaks) can leave two touching particles in one object
when neither seed shows, e.g. on small particles whose dark cores drown in noise. Such an
object still has a waist: its own distance map (each pixel's distance to the object's
outline, the cuts to its neighbours included) has two hilltops with a saddle between them.
Each object is split at the hilltops that rise at least ``h`` above their saddle (the
dynamic, as for markers 'h-maxima'); an object with one such hilltop stays whole.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.segmentation import watershed

from . import markers as seeds

__all__ = ["split_at_necks"]


def split_at_necks(labels: np.ndarray, *, h: float, connectivity: int = 8) -> np.ndarray:
    """``labels`` (ids 1..n) with every object cut at necks at least ``h`` px deep; ids 1..m.

    Examples
    --------
    >>> yy, xx = np.indices((30, 50))
    >>> two = ((yy - 15) ** 2 + (xx - 15) ** 2 < 100) | ((yy - 15) ** 2 + (xx - 31) ** 2 < 100)
    >>> int(split_at_necks(two.astype(np.int32), h=1.0).max())
    2
    >>> int(split_at_necks(two.astype(np.int32), h=5.0).max())  # the neck is 3.8 px deep
    1
    """
    if h <= 0:
        return labels
    out = np.zeros(labels.shape, np.int32)
    flood = 1 if connectivity == 4 else 2
    count = 0
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        window = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in box)
        inside = labels[window] == index
        distance = ndimage.distance_transform_edt(inside).astype(np.float32)
        tops = seeds.hilltops(distance, inside, h=h, connectivity=connectivity)
        pieces = int(tops.max(initial=0))
        if pieces > 1:
            parts = watershed(-distance, tops, mask=inside, connectivity=flood)
            parts[inside & (parts == 0)] = 1  # corner-joined pixels the flood did not reach
        else:
            parts, pieces = inside.astype(np.int32), 1
        target = out[window]
        target[inside] = parts[inside] + count
        count += pieces
    return out

