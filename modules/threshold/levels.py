"""Split a grey plane into foreground and background, or into n brightness classes.

Convention everywhere: a pixel is above a threshold ``t`` when ``value > t``, so a pixel
exactly at ``t`` belongs to the darker side (scikit-image's ``image > threshold_otsu(image)``).
For integer images the automatic thresholds land on grey levels, so this keeps a level that is
itself the threshold with the class it was computed from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from skimage import filters

__all__ = ["GLOBAL_METHODS", "brightness_classes", "global_level", "multi_otsu_levels",
           "sauvola_foreground"]

GLOBAL_METHODS: dict[str, Callable[[np.ndarray], float]] = {
    "otsu": filters.threshold_otsu,
    "li": filters.threshold_li,
    "triangle": filters.threshold_triangle,
    "yen": filters.threshold_yen,
}

# Rows per strip for Sauvola: scikit-image's local statistics use several float64 images of
# the input's size, so an 8192 x 8192 plane is done in strips to keep memory near 200 MB.
_STRIP_ROWS = 1024
# Grey-level bins for multi-Otsu. scikit-image gives integer images one bin per grey value,
# and its search grows with bins^2 x classes: 138 s for a 16-bit 8192 x 8192 image with 4
# classes, against well under a second with 256 bins.
_MULTI_OTSU_BINS = 256


def global_level(image: np.ndarray, *, method: str) -> float:
    """One grey level for the whole image by ``method`` (otsu, li, triangle, yen).

    Examples
    --------
    >>> img = np.array([[20, 20, 200, 200]], np.uint8)
    >>> global_level(img, method="otsu")
    20.0
    """
    return float(GLOBAL_METHODS[method](image))


def multi_otsu_levels(image: np.ndarray, *, classes: int) -> list[float]:
    """``classes - 1`` thresholds splitting the grey-level histogram (multi-Otsu, 256 bins).

    Each threshold is the highest value of the last bin of the darker class (for integer
    images bins hold whole grey levels), so ``value > threshold`` reproduces the split
    exactly.

    Raises
    ------
    ValueError
        If the histogram has fewer occupied bins than ``classes``.

    Examples
    --------
    >>> img = np.repeat(np.array([10, 100, 200], np.uint8), 20)
    >>> multi_otsu_levels(img, classes=3)
    [10.0, 100.0]
    """
    counts, edges = _histogram(image)
    centres = (edges[:-1] + edges[1:]) / 2
    cuts = filters.threshold_multiotsu(classes=classes, hist=(counts, centres))
    last_bins = np.searchsorted(centres, cuts)  # cuts are bin centres: index of that bin
    uppers = edges[last_bins + 1]
    if image.dtype.kind in "ui":
        return [float(np.ceil(u) - 1) for u in uppers]  # last whole grey level below the edge
    return [float(u) for u in uppers]


def _histogram(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = float(image.min()), float(image.max())
    if image.dtype.kind in "ui":
        width = max(1, int(np.ceil((hi - lo + 1) / _MULTI_OTSU_BINS)))
        edges = lo + width * np.arange(int((hi - lo) // width) + 2, dtype=np.float64)
        return np.histogram(image, bins=edges)[0], edges
    return np.histogram(image, bins=_MULTI_OTSU_BINS, range=(lo, hi))


def brightness_classes(image: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """Class per pixel, 1 (darkest) .. len(thresholds) + 1 (brightest), as uint8.

    Examples
    --------
    >>> brightness_classes(np.array([[10, 100, 200]]), [10.0, 100.0]).tolist()
    [[1, 2, 3]]
    """
    classes = np.ones(image.shape, np.uint8)
    for level in sorted(thresholds):
        classes += image > level  # one comparison at a time: no int64 index image
    return classes


def sauvola_foreground(image: np.ndarray, *, window_size: int, k: float,
                       dark_objects: bool) -> np.ndarray:
    """Local (Sauvola) threshold: foreground where a pixel stands out from its window.

    Sauvola's rule ``t = m * (1 + k * (s / R - 1))`` (m, s: mean and standard deviation in the
    window; R: half the image's grey range) is written for dark objects on a light
    background, with grey values counted from black. Here they are counted from the image's
    darkest pixel, so adding a constant to the image (a detector offset, a 16-bit camera's
    pedestal) does not change the result. For bright objects the grey scale is flipped
    within its range first, so ``k`` means the same either way: larger ``k`` keeps only
    objects with stronger local contrast.

    Parameters
    ----------
    image : (M, N) ndarray
    window_size : int
        Odd side of the window in pixels; about two to three object diameters.
    k : float
        Sensitivity, typically 0.1-0.5.
    dark_objects : bool
        True if the objects are darker than their surroundings.

    Returns
    -------
    (M, N) bool ndarray
    """
    lo, hi = float(image.min()), float(image.max())
    margin = window_size // 2 + 1
    out = np.empty(image.shape, bool)
    for start in range(0, image.shape[0], _STRIP_ROWS):
        stop = min(start + _STRIP_ROWS, image.shape[0])
        top, bottom = max(start - margin, 0), min(stop + margin, image.shape[0])
        # m in Sauvola's rule is a grey level, not a contrast: counted from the image's
        # darkest value, an offset added to every pixel leaves the level where it was.
        strip = image[top:bottom].astype(np.float32) - np.float32(lo)
        if not dark_objects:
            strip = np.float32(hi - lo) - strip
        # R passed explicitly: scikit-image's default takes it from the dtype range, which
        # for float images is 0..1 whatever the data hold.
        level = filters.threshold_sauvola(strip, window_size=window_size, k=k, r=0.5 * (hi - lo))
        out[start:stop] = (strip <= level)[start - top:stop - top]
    return out
