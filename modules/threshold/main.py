"""Threshold one grey plane into a foreground mask and a class map."""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image, Task
from lamella.core.sdk.sizes import PILOT_SMOOTH_PX, auto_min_area, auto_smooth

from . import cleanup, edges, halo, levels, sizes


def run(task: Task) -> None:
    """Smooth, threshold, fill holes, remove small objects, write mask and classes."""
    image = task.image("image")
    _check_input(task, image)
    method, invert = task.param("method"), task.param("invert")
    data = _smoothed(task, image)
    task.progress(0.2, f"thresholding ({method})")
    if method == "multi-otsu":
        classes = _multi_otsu(task, data)
        mask = classes == (1 if invert else task.param("classes"))
    else:
        mask = _foreground(task, data, method, invert)
        classes = mask.astype(np.uint8) + np.uint8(1)
    task.save_labels("classes", classes, like=image)
    del classes, data
    connectivity = task.param("connectivity")
    if task.param("refine_edges") != "off":
        task.progress(0.5, "placing edges at the Otsu level")
        mask = edges.refine_edges(mask, image.data, invert=invert, connectivity=connectivity)
        depth = _halo_depth(task, mask)
        if depth:
            task.progress(0.55, f"trimming the edge halo ({depth} px)")
            mask = halo.trim_halo(mask, image.data, depth=depth, invert=invert)
    if task.param("fill_holes"):
        task.progress(0.6, "filling holes")
        mask = cleanup.fill_holes(mask, connectivity=connectivity)
    task.progress(0.8, "removing small objects")
    min_area = _min_area(task, mask, image)
    mask = cleanup.remove_small_objects(mask, min_area=min_area, connectivity=connectivity)
    task.save_mask("mask", mask, like=image)
    task.progress(1.0, "done")


def _smoothed(task: Task, image: Image) -> np.ndarray:
    """The image smoothed by 'smooth' (Gaussian sigma); 'auto' scales it to the objects."""
    if not task.is_auto("smooth"):
        return edges.gaussian(image.data, task.length_in_pixels("smooth", image))
    radius = sizes.mask_typical_radius(_pilot_mask(task, edges.gaussian(image.data, PILOT_SMOOTH_PX)))
    sigma = round(auto_smooth(radius), 2) if radius is not None else PILOT_SMOOTH_PX
    why = (f"typical object radius {radius:.1f} px in a first threshold of the image smoothed "
           f"by {PILOT_SMOOTH_PX:g} px" if radius is not None else "no object in a first threshold")
    task.resolved("smooth", f"{sigma:g} px", why)
    return edges.gaussian(image.data, sigma)


def _pilot_mask(task: Task, pilot: np.ndarray) -> np.ndarray:
    """The mask the chosen method gives on the lightly smoothed image (for 'auto' smooth)."""
    method, invert = task.param("method"), task.param("invert")
    if method == "multi-otsu":
        return _multi_otsu(task, pilot, quiet=True) == (1 if invert else task.param("classes"))
    return _foreground(task, pilot, method, invert, quiet=True)


def _halo_depth(task: Task, mask: np.ndarray) -> int:
    """Rings of outline pixels to trim at the local half-maximum; 'auto' by object size."""
    choice = task.param("refine_edges")
    if choice == "half-max":
        return task.param("half_max_depth")
    if choice != "auto":
        return 0
    radius = sizes.mask_typical_radius(mask)
    depth = halo.auto_depth(radius)
    rule = ", ".join(f"{d} px deep below {below:g} px" for below, d in halo.AUTO_DEPTHS)
    why = (f"typical object radius {radius:.1f} px with edges at the Otsu level" if radius
           is not None else "no object with edges at the Otsu level") + f"; rule: {rule}"
    task.resolved("refine_edges", f"half-max, {depth} px deep" if depth else "otsu", why)
    return depth


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


def _foreground(task: Task, data: np.ndarray, method: str, invert: bool, *,
                quiet: bool = False) -> np.ndarray:
    if method == "sauvola":
        window = task.param("window_size")
        if window % 2 == 0:
            task.fail(f"parameter 'window_size': must be odd, got {window}; use e.g. "
                      f"{window - 1} or {window + 1}")
        return levels.sauvola_foreground(data, window_size=window, k=task.param("k"),
                                         dark_objects=invert)
    level = task.param("level") if method == "manual" else levels.global_level(data, method=method)
    if not quiet:
        print(f"{method} threshold: {level:.6g}")
    return data <= level if invert else data > level


def _multi_otsu(task: Task, data: np.ndarray, *, quiet: bool = False) -> np.ndarray:
    count = task.param("classes")
    try:
        thresholds = levels.multi_otsu_levels(data, classes=count)
    except ValueError:
        task.fail(f"parameter 'classes': the image has too few distinct grey levels to split "
                  f"into {count} classes; use fewer classes")
    if not quiet:
        print("multi-otsu thresholds: " + ", ".join(f"{t:.6g}" for t in thresholds))
    return levels.brightness_classes(data, thresholds)
