"""Intensity normalisation to 0..1: percentile stretch or CLAHE."""

from __future__ import annotations

import numpy as np
from skimage.exposure import equalize_adapthist

__all__ = ["clahe", "percentile_stretch"]


def percentile_stretch(image: np.ndarray, *, low: float, high: float) -> tuple[np.ndarray, tuple]:
    """Map the ``low`` and ``high`` percentiles to 0 and 1, clipping beyond them.

    Parameters
    ----------
    image : (M, N) float32 ndarray
    low, high : float
        Percentiles in 0..100, ``low < high``.

    Returns
    -------
    stretched : (M, N) float32 ndarray in 0..1
    levels : (float, float)
        The grey values found at the two percentiles.

    Raises
    ------
    ValueError
        If both percentiles fall on the same grey value (nothing to stretch).

    Examples
    --------
    >>> out, levels = percentile_stretch(np.arange(101, dtype=np.float32), low=10, high=90)
    >>> float(out[50]), levels
    (0.5, (10.0, 90.0))
    """
    lo, hi = (float(v) for v in np.percentile(image, [low, high]))
    if hi <= lo:
        raise ValueError(f"percentiles {low:g} and {high:g} are both {lo:g}")
    out = image - np.float32(lo)
    out *= np.float32(1.0 / (hi - lo))
    return np.clip(out, 0.0, 1.0, out=out), (lo, hi)


def clahe(image: np.ndarray, *, clip_limit: float, tile: int | None) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation (scikit-image), output 0..1.

    The image is first scaled min..max to 0..1 (scikit-image requires floats in that range);
    CLAHE then equalises each ``tile`` x ``tile`` region (None: 1/8 of the image height and
    width) with histograms clipped at ``clip_limit`` (0..1; higher = more contrast), and
    stretches its result to exactly 0..1.

    Returns
    -------
    (M, N) float32 ndarray in 0..1
    """
    lo, hi = float(image.min()), float(image.max())
    if hi <= lo:
        raise ValueError(f"the image is constant ({lo:g})")
    scaled = (image - np.float32(lo)) * np.float32(1.0 / (hi - lo))
    np.clip(scaled, 0.0, 1.0, out=scaled)  # float rounding can step just past 1
    out = equalize_adapthist(scaled, kernel_size=tile, clip_limit=clip_limit)
    return out.astype(np.float32, copy=False)
