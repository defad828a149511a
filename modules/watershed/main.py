"""Separate touching particles in a mask (distance-map watershed)."""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image, Task

from . import necks, settings, split


def run(task: Task) -> None:
    """Label the mask's particles, splitting touching ones, and write the labels."""
    mask = task.mask("mask")
    if mask.axes != "YX":
        task.fail(f"input 'mask' has axes '{mask.axes}' (shape {mask.data.shape}); watershed "
                  "works on one 2-D mask (YX): pick a plane or channel in load-image before "
                  "thresholding")
    _require_square_pixels(task, mask)
    boundaries = _boundaries(task, mask) if task.has_input("boundaries") else None
    labels = split.split_particles(
        mask.data,
        markers=task.param("markers"),
        connectivity=task.param("connectivity"),
        smooth=task.length_in_pixels("smooth", mask),
        boundaries=boundaries,
        progress=lambda done: task.progress(0.05 + 0.85 * done, "separating particles"),
        **settings.marker_settings(task, mask),
    )
    depth = settings.neck_depth(task, mask)
    if depth > 0:
        before = int(labels.max())
        labels = necks.split_at_necks(labels, h=depth, connectivity=task.param("connectivity"))
        print(f"necks at least {depth:g} px deep cut {before} objects into {int(labels.max())}")
    print(f"{int(labels.max())} particles")
    task.save_labels("labels", labels, like=mask)
    task.progress(1.0, "done")


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
