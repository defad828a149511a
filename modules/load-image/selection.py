"""Pick a channel and a plane of an image, and turn colour into grey.

Axis letters follow tifffile/OME: C channel, S colour sample (RGB), Z depth, T time,
I/Q pages of a multi-page TIFF without axis metadata, Y rows, X columns.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GREY_WEIGHTS", "pick_channel", "pick_plane", "rgb_to_grey", "samples_to_grey"]

GREY_WEIGHTS = (0.2125, 0.7154, 0.0721)
"""Rec. 709 luminance weights of red, green and blue (the same as scikit-image's rgb2gray)."""

_PLANE_AXES = "ZIQT"  # searched in this order: depth first, then pages, then time


def pick_channel(data: np.ndarray, axes: str, *, channel: int,
                 name: str = "the image") -> tuple[np.ndarray, str]:
    """Keep one channel (C axis, else the colour samples S), counted from 0.

    An image without a channel axis has one channel, number 0. ``name`` is used in messages.

    Raises
    ------
    ValueError
        If ``channel`` does not exist, with the number of channels there are.
    """
    axis = "C" if "C" in axes else "S" if "S" in axes else None
    count = data.shape[axes.index(axis)] if axis else 1
    if channel >= count:
        raise ValueError(f"{name} has {_count(count, 'channel')}; there is no channel {channel}")
    if axis is None:
        return data, axes
    return np.take(data, channel, axis=axes.index(axis)), axes.replace(axis, "")


def pick_plane(data: np.ndarray, axes: str, *, plane: int,
               name: str = "the image") -> tuple[np.ndarray, str]:
    """Keep one plane of a stack (Z, else pages I/Q, else time T), counted from 0.

    A 2-D image has one plane, number 0. ``name`` is used in messages.

    Raises
    ------
    ValueError
        If ``plane`` does not exist, with the number of planes there are.
    """
    axis = next((a for a in _PLANE_AXES if a in axes), None)
    count = data.shape[axes.index(axis)] if axis else 1
    if plane >= count:
        raise ValueError(f"{name} has {_count(count, 'plane')}; there is no plane {plane}")
    if axis is None:
        return data, axes
    return np.take(data, plane, axis=axes.index(axis)), axes.replace(axis, "")


def samples_to_grey(data: np.ndarray, axes: str) -> tuple[np.ndarray, str, str]:
    """Turn colour samples (S axis) into one grey plane; other images pass unchanged.

    Grey saved as RGB (all three colours equal) gives that grey exactly; real colour goes
    through :func:`rgb_to_grey`; alpha is dropped. Returns the data, its axes and a note on
    what was done ('' if nothing).
    """
    if "S" not in axes:
        return data, axes, ""
    samples = np.moveaxis(data, axes.index("S"), -1)
    rest = axes.replace("S", "")
    if samples.shape[-1] not in (2, 3, 4):
        return data, axes, ""  # multispectral samples: leave them to 'channel'
    if samples.shape[-1] == 2 or _all_equal(samples[..., :3]):
        return samples[..., 0], rest, "colour samples are equal (grey saved as RGB): kept as grey"
    weights = ", ".join(f"{w:g}" for w in GREY_WEIGHTS)
    return rgb_to_grey(samples[..., :3]), rest, f"RGB converted to grey ({weights})"


def rgb_to_grey(rgb: np.ndarray) -> np.ndarray:
    """Luminance of an RGB array (colours last): 0.2125 R + 0.7154 G + 0.0721 B.

    Integer input is rounded back to its own dtype (the weights sum to 1, so values stay in
    range); float input stays float.

    Examples
    --------
    >>> rgb_to_grey(np.array([[[255, 0, 0]]], np.uint8))
    array([[54]], dtype=uint8)
    """
    grey = rgb.astype(np.float64) @ np.asarray(GREY_WEIGHTS)
    if np.issubdtype(rgb.dtype, np.integer):
        info = np.iinfo(rgb.dtype)
        return np.clip(np.rint(grey), info.min, info.max).astype(rgb.dtype)
    return grey.astype(rgb.dtype, copy=False)


def _all_equal(rgb: np.ndarray) -> bool:
    red = rgb[..., 0]
    return bool(np.array_equal(red, rgb[..., 1]) and np.array_equal(red, rgb[..., 2]))


def _count(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun} (0)"
    return f"{count} {noun}s (0 to {count - 1})"
