"""SDK images as the pixel classifier takes them: channels first, pixel size as (value, unit)."""

from __future__ import annotations

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk._image import Calibration, Image
from lamella.core.sdk.ml.pixel_model import PixelSize

__all__ = ["channels_of", "pixel_size_of"]


def channels_of(image: Image, what: str = "input 'image'") -> np.ndarray:
    """The image as (C, Y, X): grey 'YX', channels 'CYX' or colour samples 'YXS'.

    Anything else (a Z stack, time series) is refused in one line naming the axes.
    """
    if image.axes == "YX":
        return image.data[np.newaxis]
    if image.axes == "CYX":
        return image.data
    if image.axes == "YXS":
        return np.moveaxis(image.data, -1, 0)
    raise InputFileError(f"{what} ({image.name}) has axes '{image.axes}' (shape "
                         f"{image.data.shape}); the pixel classifier takes one 2-D plane with "
                         "any number of channels (YX, CYX or RGB): pick a plane in load-image")


def pixel_size_of(calibration: Calibration | None) -> PixelSize | None:
    """(x size, unit) of a calibration, or None."""
    return None if calibration is None else (float(calibration.x), calibration.unit)
