"""Intensity normalisation: each image plane mapped so its 1st-99th percentiles span 0..1.

Per plane, so one model works on images of another bit depth, brightness or contrast (a
synthetic 8-bit image trains a model for a 16-bit detector image). The percentiles are
stored in the model file and applied the same way at prediction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DEFAULT", "normalise"]

DEFAULT: dict[str, Any] = {"method": "percentile", "low": 1.0, "high": 99.0}


def normalise(plane: np.ndarray, settings: dict[str, Any] | None = None) -> np.ndarray:
    """``plane`` as float32 with its ``low``..``high`` percentiles at 0..1 (per channel).

    Parameters
    ----------
    plane : (H, W) or (C, H, W) ndarray
        One image plane; channels are normalised separately.
    settings : dict, optional
        ``{"method": "percentile", "low": 1.0, "high": 99.0}`` (the default).

    Examples
    --------
    >>> scaled = normalise(np.arange(101.0))
    >>> round(float(scaled[1]), 6), round(float(scaled[99]), 6)
    (0.0, 1.0)
    """
    settings = settings or DEFAULT
    if settings.get("method") != "percentile":
        raise ValueError(f"normalisation {settings.get('method')!r} is unknown (expected "
                         "'percentile'); train the model again with this Lamella")
    data = np.asarray(plane, dtype=np.float32)
    if data.ndim == 3:
        return np.stack([normalise(channel, settings) for channel in data])
    low, high = np.percentile(data, [float(settings["low"]), float(settings["high"])])
    spread = float(high - low)
    if not np.isfinite(spread) or spread <= 0:
        spread = 1.0  # a flat image: keep it flat at 0 rather than divide by zero
    return ((data - np.float32(low)) / np.float32(spread)).astype(np.float32)
