"""Seeds at dark particle cores, for secondary-electron (SE) SEM images.

In an SE image every particle has a bright rim (the edge effect: more secondary electrons
escape where the surface is steep) around a darker core, so two touching particles meet in
a bright ridge: their two rims. The rims cut particles apart better than the mask's shape
does when particles overlap deeply, and the cores are where their centres are. So the
image is smoothed a little (``smooth`` px, against noise), the seeds are its dark basins
inside the mask that are at least ``depth`` grey levels deep (h-minima), and the regions
grow from them over the smoothed image, so the cuts run along the bright ridges.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import h_minima

__all__ = ["DEPTH_PERCENTILES", "contrast", "core_markers", "smoothed"]

DEPTH_PERCENTILES = (10, 90)
"""The image's contrast inside the mask is the spread between these percentiles of its
smoothed grey values; ``core_depth`` is a share of it, so it works at any bit depth and
brightness."""


def smoothed(image: np.ndarray, sigma: float) -> np.ndarray:
    """The grey image as float32, Gaussian-smoothed with ``sigma`` px (0 = as it is)."""
    data = np.asarray(image, dtype=np.float32)
    return ndimage.gaussian_filter(data, sigma) if sigma > 0 else data


def contrast(surface: np.ndarray, mask: np.ndarray) -> float:
    """Spread of the grey values inside ``mask`` between :data:`DEPTH_PERCENTILES`."""
    if not mask.any():
        return 0.0
    low, high = np.percentile(surface[mask], DEPTH_PERCENTILES)
    return float(high - low)


def core_markers(surface: np.ndarray, components: np.ndarray, *, depth: float,
                 connectivity: int) -> np.ndarray:
    """Markers 1..k at the dark basins of ``surface`` inside ``components`` at least ``depth`` deep.

    Outside the components the surface is lowered below every value: a basin counts only if
    a rim at least ``depth`` higher closes it off from the background, so the dark margin of
    the mask (where the grey values fall to the background's) gives no seeds, and a batch
    window gives the markers the whole image would.

    Examples
    --------
    >>> surface = np.array([[0, 9, 2, 6, 1, 9, 0]], np.float32)  # two cores in their rims
    >>> inside = np.array([[0, 1, 1, 1, 1, 1, 0]])
    >>> core_markers(surface, inside, depth=4, connectivity=8).tolist()
    [[0, 0, 1, 0, 2, 0, 0]]
    >>> core_markers(surface, inside, depth=5, connectivity=8).tolist()  # core 2 is 4 deep
    [[0, 0, 0, 0, 1, 0, 0]]
    """
    inside = components > 0
    if not inside.any():
        return np.zeros(components.shape, np.int32)
    depth = max(depth, 1e-6)  # h-minima needs a positive depth; this keeps every basin
    lowered = np.where(inside, surface, surface[inside].min() - depth - 1).astype(np.float32)
    footprint = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    basins = h_minima(lowered, depth, footprint=footprint).astype(bool) & inside
    markers, _ = ndimage.label(basins, structure=footprint, output=np.int32)
    return markers
