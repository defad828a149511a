"""The typical object radius of a mask, for the 'auto' minimum object area.

The rule is in :mod:`lamella.core.sdk.sizes`: heights of the distance map's hilltops (its
regional maxima: one per round object, alone or touching others), area-weighted median.
A whole-image exact distance transform needs 16 bytes per pixel (1 GB at 8192 x 8192), so
masks larger than :data:`SAMPLE_PIXELS` are estimated on a centred window of that size: a
field of 16 Mpx holds thousands of objects of any size this rule is meant for.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import local_maxima

from lamella.core.sdk.sizes import typical_radius

__all__ = ["SAMPLE_PIXELS", "mask_typical_radius"]

SAMPLE_PIXELS = 4096 * 4096


def mask_typical_radius(mask: np.ndarray) -> float | None:
    """Typical object radius (px) of a boolean 2-D ``mask``; None if it has no object.

    Examples
    --------
    >>> yy, xx = np.indices((60, 60))
    >>> round(mask_typical_radius((yy - 30) ** 2 + (xx - 30) ** 2 < 15 ** 2))
    15
    """
    sample = _centre_window(mask)
    if not sample.any():
        return None
    distance = ndimage.distance_transform_edt(sample)
    tops, count = ndimage.label(local_maxima(distance, allow_borders=True) & sample,
                                structure=np.ones((3, 3), bool))
    return typical_radius(ndimage.maximum(distance, tops, index=np.arange(1, count + 1)))


def _centre_window(mask: np.ndarray) -> np.ndarray:
    side = int(SAMPLE_PIXELS**0.5)
    rows, cols = (max(0, (n - side) // 2) for n in mask.shape)
    return mask[rows:rows + side, cols:cols + side]
