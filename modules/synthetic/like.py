"""Read the settings for simulated images off a user's micrograph: size, pixel size, particles.

Simulated training images should look like the images a model will be applied to: the same
pixel size and field, and particles of about the same size in pixels. The field and pixel
size are read from the image; the particle size is estimated the way the threshold module's
'auto' sizes are (lamella.core.sdk.sizes): a Li threshold of the lightly smoothed image with
holes filled (SE particles have dark cores), then twice the median height of the distance
map's hilltops (one per particle, alone or in an agglomerate). The plain median is used, not
the area-weighted one of the threshold module: merged agglomerates make a few tall
hilltops that would outweigh the particles (on the bundled sample, 32 px against a true mean
diameter of 30 px; the weighted median gives 58 px).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import gaussian, threshold_li
from skimage.morphology import local_maxima

from lamella.core.sdk.sizes import MIN_RADIUS_PX, PILOT_SMOOTH_PX

__all__ = ["plane", "typical_diameter"]

_SAMPLE_SIDE = 2048  # a centred window this big holds plenty of particles of any usable size


def plane(data: np.ndarray, axes: str) -> np.ndarray:
    """The first Y-X plane of an image (channels, z and time at their first index)."""
    index = tuple(slice(None) if axis in "YX" else 0 for axis in axes)
    return np.asarray(data[index], dtype=np.float32)


def typical_diameter(image: np.ndarray) -> float | None:
    """Typical particle diameter (px) of bright particles on a dark background; None if none.

    Twice the median inscribed radius, so elongated particles come out a little small (an
    ellipse's inscribed radius is its semi-minor axis).

    Examples
    --------
    >>> yy, xx = np.indices((80, 80))
    >>> disc = ((yy - 40) ** 2 + (xx - 40) ** 2 < 15 ** 2) * 200.0
    >>> round(typical_diameter(disc))  # 30 px across; the Li level lies below half height
    32
    """
    rows, cols = (max(0, (n - _SAMPLE_SIDE) // 2) for n in image.shape)
    sample = gaussian(image[rows:rows + _SAMPLE_SIDE, cols:cols + _SAMPLE_SIDE],
                      PILOT_SMOOTH_PX, preserve_range=True)
    if float(sample.max()) == float(sample.min()):
        return None
    mask = ndimage.binary_fill_holes(sample > threshold_li(sample))
    distance = ndimage.distance_transform_edt(mask)
    tops, count = ndimage.label(local_maxima(distance, allow_borders=True) & mask,
                                structure=np.ones((3, 3), bool))
    if count == 0:
        return None
    heights = np.asarray(ndimage.maximum(distance, tops, index=np.arange(1, count + 1)))
    heights = heights[heights >= MIN_RADIUS_PX]
    return float(2.0 * np.median(heights)) if heights.size else None
