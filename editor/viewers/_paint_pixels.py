"""The pixels the live classifier learns from: the painted plane, channels first."""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image

__all__ = ["classifier_pixels", "pixel_size_of"]

_CHANNELS = "CS"  # channel and colour-sample axes: features are computed per channel


def classifier_pixels(image: Image) -> tuple[np.ndarray, bool]:
    """``(pixels, channel_axis)``: (Y, X) grey, or (C, Y, X) with ``channel_axis`` true.

    Axes other than rows, columns and channels (Z, T, pages) are taken at their first
    position, the plane a label image of one plane belongs to.
    """
    data, axes = image.data, image.axes
    index = tuple(slice(None) if a in "YX" + _CHANNELS else 0 for a in axes)
    data = data[index]
    kept = [a for a in axes if a in "YX" + _CHANNELS]
    channels = [a for a in kept if a in _CHANNELS]
    order = [kept.index(a) for a in channels] + [kept.index("Y"), kept.index("X")]
    data = np.transpose(data, order)
    if data.ndim > 3:  # channels and colour samples both: one axis of all of them
        data = data.reshape(-1, *data.shape[-2:])
    return data, data.ndim == 3


def pixel_size_of(image: Image) -> tuple[float, str] | None:
    """The image's pixel size as the classifier records it, ``(2.5, 'nm')``; None if unknown."""
    calibration = image.calibration
    return None if calibration is None else (float(calibration.x), calibration.unit)
