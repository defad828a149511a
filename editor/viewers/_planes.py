"""Pick the 2-D plane to show from an image of any axes (channels, z, time, RGB samples)."""

from __future__ import annotations

import numpy as np

__all__ = ["AXIS_NAMES", "extra_axes", "is_rgb", "plane_of", "rows_columns"]

AXIS_NAMES = {"C": "Channel", "Z": "Z", "T": "Time", "S": "Sample", "Q": "Page", "I": "Page"}


def is_rgb(axes: str, shape: tuple[int, ...]) -> bool:
    """True when the last axis holds 3 or 4 colour samples (shown as colour, not chosen)."""
    return axes.endswith("S") and shape[-1] in (3, 4)


def rows_columns(axes: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """(rows, columns) of an image with these axes and shape; () without Y and X axes."""
    if "Y" not in axes or "X" not in axes:
        return ()
    return shape[axes.index("Y")], shape[axes.index("X")]


def extra_axes(axes: str, shape: tuple[int, ...]) -> list[tuple[str, int]]:
    """The axes a user chooses a position on (letter, length): all but Y, X and RGB samples."""
    rgb = is_rgb(axes, shape)
    return [(a, n) for i, (a, n) in enumerate(zip(axes, shape, strict=True))
            if a not in "YX" and not (rgb and i == len(axes) - 1)]


def plane_of(data: np.ndarray, axes: str, position: dict[str, int]) -> np.ndarray:
    """The (Y, X) plane, or (Y, X, 3) colour plane, at ``position`` on the other axes.

    Raises
    ------
    ValueError
        If the image has no Y or X axis (it cannot be shown as a picture).
    """
    if "Y" not in axes or "X" not in axes:
        raise ValueError(f"the image has axes '{axes}' without rows and columns (Y, X)")
    index: list[int | slice] = []
    kept = ""
    for letter, length in zip(axes, data.shape, strict=True):
        if letter in "YX" or (letter == "S" and is_rgb(axes, data.shape)):
            index.append(slice(None))
            kept += letter
        else:
            index.append(min(max(position.get(letter, 0), 0), length - 1))
    plane = data[tuple(index)]
    order = [kept.index("Y"), kept.index("X")] + ([kept.index("S")] if "S" in kept else [])
    return np.transpose(plane, order)
