"""Separate touching particles in a mask (distance-map watershed)."""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image, Task
from lamella.core.sdk.sizes import auto_h, auto_min_distance

from . import sizes, split


def run(task: Task) -> None:
    """Label the mask's particles, splitting touching ones, and write the labels."""
    mask = task.mask("mask")
    if mask.axes != "YX":
        task.fail(f"input 'mask' has axes '{mask.axes}' (shape {mask.data.shape}); watershed "
                  "works on one 2-D mask (YX): pick a plane or channel in load-image before "
                  "thresholding")
    _require_square_pixels(task, mask)
    boundaries = _boundaries(task, mask) if task.has_input("boundaries") else None
    min_distance, h = _marker_sizes(task, mask)
    labels = split.split_particles(
        mask.data,
        markers=task.param("markers"),
        min_distance=min_distance,
        h=h,
        connectivity=task.param("connectivity"),
        smooth=task.length_in_pixels("smooth", mask),
        boundaries=boundaries,
        progress=lambda done: task.progress(0.05 + 0.85 * done, "separating particles"),
    )
    print(f"{int(labels.max())} particles")
    task.save_labels("labels", labels, like=mask)
    task.progress(1.0, "done")


def _marker_sizes(task: Task, mask: Image) -> tuple[int, float]:
    """min_distance (whole px) and h (px); the one the marker method uses may be 'auto'."""
    name = "h" if task.param("markers") == "h-maxima" else "min_distance"
    min_distance, h = 1, 0.0
    if not task.is_auto(name):
        pixels = task.length_in_pixels(name, mask)
        return (max(1, _whole(pixels)), h) if name == "min_distance" else (min_distance, pixels)
    task.progress(0.02, "estimating the particle size")
    radius = sizes.mask_typical_radius(mask.data, connectivity=task.param("connectivity"))
    why = "the mask holds no particle"
    if radius is not None:
        why = f"typical particle radius {radius:.1f} px from the mask's distance map"
        min_distance, h = auto_min_distance(radius), round(auto_h(radius), 2)
    task.resolved(name, _px(min_distance if name == "min_distance" else h), why)
    return min_distance, h


def _px(value: float) -> str:
    return f"{value:g} px"


def _require_square_pixels(task: Task, mask: Image) -> None:
    """Refuse non-square pixels: the distance map counts a pixel step as one along x and y.

    On 2 x 3 nm pixels a particle would be split as if it were 1.5 times wider than it is
    tall, and the labels could not be measured anyway (measure needs square pixels).
    """
    cal = mask.calibration
    if cal is not None and not cal.is_square:
        task.fail(f"input 'mask' has non-square pixels ({cal.x:g} x {cal.y:g} {cal.unit}); the "
                  "distance map that separates particles needs square pixels: resample the "
                  "image to square pixels, or correct its pixel size in load-image "
                  "('pixel_size')")


def _boundaries(task: Task, mask: Image) -> np.ndarray:
    """The boundary-probability plane, checked against the mask's size."""
    probs = task.image("boundaries")
    data, axes = probs.data, probs.axes
    if axes != "YX":
        if len(axes) != 3 or not axes.endswith("YX"):
            task.fail(f"input 'boundaries' has axes '{axes}'; expected one boundary map (YX) or "
                      "class maps with the class first (CYX)")
        channel = task.param("boundary_channel")
        channel = data.shape[0] - 1 if channel is None else channel
        if channel >= data.shape[0]:
            task.fail(f"parameter 'boundary_channel': {channel} is out of range; the "
                      f"boundaries map has {data.shape[0]} channels (0..{data.shape[0] - 1})")
        data = data[channel].copy()  # let the other channels be freed
    if data.shape != mask.data.shape:
        task.fail(f"input 'boundaries' is {data.shape[1]}x{data.shape[0]} pixels but 'mask' is "
                  f"{mask.data.shape[1]}x{mask.data.shape[0]}; connect a boundary map made "
                  "from the same image")
    return data


def _whole(pixels: float) -> int:
    """Round half up (Python's round() sends 2.5 to 2)."""
    return int(np.floor(pixels + 0.5))
