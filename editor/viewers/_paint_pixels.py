"""The pixels the live classifier learns from: the painted plane, channels last."""

from __future__ import annotations

from typing import Any

import numpy as np

from lamella.core.sdk import Image

__all__ = ["classifier_pixels", "pixel_size_of"]

_CHANNELS = "CS"  # channel and colour-sample axes: features are computed per channel


def classifier_pixels(image: Image) -> tuple[np.ndarray, bool]:
    """``(pixels, channel_axis)``: (Y, X) grey, or (Y, X, C) with ``channel_axis`` true.

    Axes other than rows, columns and channels (Z, T, pages) are taken at their first
    position, the plane a label image of one plane belongs to.
    """
    data, axes = image.data, image.axes
    index = tuple(slice(None) if a in "YX" + _CHANNELS else 0 for a in axes)
    data = data[index]
    kept = [a for a in axes if a in "YX" + _CHANNELS]
    channels = [a for a in kept if a in _CHANNELS]
    order = [kept.index("Y"), kept.index("X")] + [kept.index(a) for a in channels]
    data = np.transpose(data, order)
    if data.ndim > 3:  # channels and colour samples both: one axis of all of them
        data = data.reshape(*data.shape[:2], -1)
    return data, data.ndim == 3


def pixel_size_of(image: Image) -> Any:
    """The image's pixel size as the classifier takes it (None without a calibration)."""
    return image.calibration
