"""Threshold one grey plane into a foreground mask and a class map."""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image, Task
from lamella.core.sdk.sizes import auto_min_area

from . import cleanup, levels, sizes


def run(task: Task) -> None:
    """Threshold, fill holes, remove small objects, write mask and classes."""
    image = task.image("image")
    _check_input(task, image)
    method, invert = task.param("method"), task.param("invert")
    task.progress(0.2, f"thresholding ({method})")
    if method == "multi-otsu":
        classes = _multi_otsu(task, image.data)
        mask = classes == (1 if invert else task.param("classes"))
    else:
        mask = _foreground(task, image.data, method, invert)
        classes = mask.astype(np.uint8) + np.uint8(1)
    task.save_labels("classes", classes, like=image)
    del classes
    connectivity = task.param("connectivity")
    if task.param("fill_holes"):
        task.progress(0.6, "filling holes")
        mask = cleanup.fill_holes(mask, connectivity=connectivity)
    task.progress(0.8, "removing small objects")
    min_area = _min_area(task, mask, image)
    mask = cleanup.remove_small_objects(mask, min_area=min_area, connectivity=connectivity)
    task.save_mask("mask", mask, like=image)
    task.progress(1.0, "done")


def _min_area(task: Task, mask: np.ndarray, image: Image) -> float:
    """min_area in px^2; 'auto' derives it from the mask's typical object radius."""
    if not task.is_auto("min_area"):
        return task.area_in_pixels("min_area", image)
    radius = sizes.mask_typical_radius(mask)
    if radius is None:
        task.resolved("min_area", "0 px^2", "the mask holds no object of 1.5 px radius or more")
        return 0.0
    area = auto_min_area(radius)
    task.resolved("min_area", f"{area:.3g} px^2",
                  f"typical object radius {radius:.1f} px from the mask's distance map")
    return area


def _check_input(task: Task, image: Image) -> None:
    if image.axes != "YX":
        task.fail(f"input 'image' has axes '{image.axes}' (shape {image.data.shape}); threshold "
                  "works on one 2-D grey plane (YX): pick a plane or channel (or convert colour "
                  "to grey) in load-image")
    data = image.data
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        task.fail("input 'image' has NaN or infinite pixels; replace them (e.g. crop them away "
                  "in load-image) before thresholding")
    lo, hi = data.min(), data.max()
    if lo == hi and task.param("method") != "manual":
        task.fail(f"input 'image' is constant (every pixel is {lo:g}); an automatic threshold "
                  "needs at least two grey levels: check the image or the step before, or use "
                  "method 'manual'")


def _foreground(task: Task, data: np.ndarray, method: str, invert: bool) -> np.ndarray:
    if method == "sauvola":
        window = task.param("window_size")
        if window % 2 == 0:
            task.fail(f"parameter 'window_size': must be odd, got {window}; use e.g. "
                      f"{window - 1} or {window + 1}")
        return levels.sauvola_foreground(data, window_size=window, k=task.param("k"),
                                         dark_objects=invert)
    level = task.param("level") if method == "manual" else levels.global_level(data, method=method)
    print(f"{method} threshold: {level:.6g}")
    return data <= level if invert else data > level


def _multi_otsu(task: Task, data: np.ndarray) -> np.ndarray:
    count = task.param("classes")
    try:
        thresholds = levels.multi_otsu_levels(data, classes=count)
    except ValueError:
        task.fail(f"parameter 'classes': the image has too few distinct grey levels to split "
                  f"into {count} classes; use fewer classes")
    print("multi-otsu thresholds: " + ", ".join(f"{t:.6g}" for t in thresholds))
    return levels.brightness_classes(data, thresholds)
