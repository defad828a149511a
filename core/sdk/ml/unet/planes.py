"""Images as the network sees them: a list of (C, H, W) planes, one per z slice.

A grey image (YX) is one plane of one channel; a colour image (YXS) or a channel image
(CYX) one plane of several channels; a z-stack (ZYX, ZCYX, ...) one plane per slice, each
predicted on its own. :func:`stack_planes` puts per-plane results back in the image's
layout. Only numpy is needed here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["image_planes", "label_planes", "stack_planes"]

_CHANNEL_AXES = "CS"


def image_planes(data: np.ndarray, axes: str, what: str) -> list[np.ndarray]:
    """The (C, H, W) planes of an image with ``axes`` (Y, X; optional Z and C or S).

    Raises ValueError, naming ``what``, for other axes (time series, several channel axes).
    """
    extra = [a for a in axes if a not in "YX"]
    unknown = [a for a in extra if a not in "Z" + _CHANNEL_AXES]
    channels = [a for a in extra if a in _CHANNEL_AXES]
    if "Y" not in axes or "X" not in axes or unknown or len(channels) > 1:
        raise ValueError(f"{what} has axes '{axes}'; the U-Net takes images with axes Y and X, "
                         "optionally Z (slices, each predicted on its own) and one channel axis "
                         "(C or S): pick the plane, time point or channel in load-image")
    order = [axes.index(a) for a in ("Z", *channels, "Y", "X") if a in axes]
    arranged = np.transpose(np.asarray(data), order)
    if "Z" not in axes:
        arranged = arranged[None]
    if not channels:
        arranged = arranged[:, None]
    return list(arranged)


def label_planes(data: np.ndarray, axes: str, what: str) -> list[np.ndarray]:
    """The (H, W) planes of a label image with axes YX or ZYX."""
    if axes not in ("YX", "ZYX"):
        raise ValueError(f"{what} has axes '{axes}'; labels for the U-Net are one plane (YX) or "
                         "a z-stack (ZYX) of the image's size")
    return list(np.asarray(data)[None] if axes == "YX" else np.asarray(data))


def stack_planes(planes: list[np.ndarray], axes: str) -> tuple[np.ndarray, str]:
    """Per-plane results ((H, W) or (K, H, W) each) in the layout of an image with ``axes``.

    Returns the array and its axes: ``YX`` / ``CYX`` for a single plane, ``ZYX`` / ``CZYX``
    for a z-stack (the class axis first, as probabilities are written).
    """
    stacked = np.stack(planes)  # (Z, [K,] H, W)
    per_class = stacked.ndim == 4
    if "Z" in axes:
        return (np.moveaxis(stacked, 1, 0), "CZYX") if per_class else (stacked, "ZYX")
    return (stacked[0], "CYX") if per_class else (stacked[0], "YX")
