"""The typical particle radius of a mask, for the 'auto' marker distance and h.

Estimated from the whole mask before any splitting (the rule is in
:mod:`lamella.core.sdk.sizes`): the heights of the distance map's hilltops, each hilltop
rising at least :data:`markers.OUTLINE_NOISE` above its saddle. The pass walks the same
batches of connected pieces as the split, so memory stays bounded on large images; it
costs one more distance transform per batch (about a fifth of the watershed's run time).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lamella.core.sdk.sizes import typical_radius

from . import markers as seeds
from .split import BATCH_PIXELS, batches

__all__ = ["hilltop_heights", "mask_typical_radius"]


def mask_typical_radius(mask: np.ndarray, *, connectivity: int = 8,
                        batch_pixels: int = BATCH_PIXELS) -> float | None:
    """Typical particle radius (px) of a boolean ``mask``; None if it has no particle.

    Examples
    --------
    >>> yy, xx = np.indices((60, 60))
    >>> round(mask_typical_radius((yy - 30) ** 2 + (xx - 30) ** 2 < 15 ** 2))
    15
    """
    return typical_radius(hilltop_heights(mask, connectivity=connectivity,
                                          batch_pixels=batch_pixels))


def hilltop_heights(mask: np.ndarray, *, connectivity: int = 8,
                    batch_pixels: int = BATCH_PIXELS) -> np.ndarray:
    """Height (px) of every distance-map hilltop of ``mask``, one per particle-like bump."""
    labels, _ = ndimage.label(mask, structure=seeds.structure(connectivity), output=np.int32)
    heights = []
    for first, last, window in batches(ndimage.find_objects(labels), labels.shape, batch_pixels):
        crop = labels[window]
        inside = (crop >= first) & (crop <= last)
        distance = ndimage.distance_transform_edt(crop != 0).astype(np.float32)
        tops = seeds.hilltops(distance, inside, h=seeds.OUTLINE_NOISE, connectivity=connectivity)
        if tops.max(initial=0) > 0:
            heights.append(ndimage.maximum(distance, tops, index=np.arange(1, tops.max() + 1)))
    return np.concatenate(heights) if heights else np.zeros(0)
