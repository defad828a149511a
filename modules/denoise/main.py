"""Denoise, then flatten the background, then normalise one grey plane (fixed order)."""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image, Task

from . import background, contrast, smoothing


def run(task: Task) -> None:
    """Run the three steps the parameters switch on and write the image."""
    image = task.image("image")
    if image.axes != "YX":
        task.fail(f"input 'image' has axes '{image.axes}' (shape {image.data.shape}); denoise "
                  "works on one 2-D grey plane (YX): pick a plane or channel (or convert colour "
                  "to grey) in load-image")
    # All steps work in float32 in the image's own grey units, so strengths such as h and
    # the rolling-ball height keep the meaning the user sees in the image.
    data = image.data.astype(np.float32)
    task.progress(0.1, "reducing noise")
    data = _denoise(task, image, data)
    task.progress(0.4, "removing background")
    if task.param("background") == "rolling-ball":
        radius = _pixels(task, "ball_radius", image, minimum=1)
        data = background.subtract_background(
            data, radius=radius, light_background=task.param("light_background"),
            workers=task.spec.resources.threads)
    task.progress(0.7, "normalising")
    if task.param("normalise") == "none":
        data = _restore_type(data, image.data.dtype)
    else:
        data = _normalise(task, image, data)
    task.save_image("image", data, like=image)
    task.progress(1.0, "done")


def _denoise(task: Task, image: Image, data: np.ndarray) -> np.ndarray:
    method = task.param("method")
    if method == "gaussian":
        return smoothing.gaussian(data, sigma=task.length_in_pixels("sigma", image))
    if method == "median":
        return smoothing.median(data, radius=_whole(_pixels(task, "median_radius", image)))
    if method == "nl-means":
        data, strength = smoothing.nl_means(data, h=None if task.is_auto("h") else task.param("h"))
        if task.is_auto("h"):
            task.resolved("h", round(strength, 4), "0.8 x the noise standard deviation estimated "
                          "from the image")
        else:
            print(f"nl-means strength h = {strength:.4g} grey levels")
    return data


def _normalise(task: Task, image: Image, data: np.ndarray) -> np.ndarray:
    if task.param("normalise") == "clahe":
        tile = None
        if not task.is_auto("tile_size"):
            tile = _whole(_pixels(task, "tile_size", image, minimum=2))
        try:
            return contrast.clahe(data, clip_limit=task.param("clip_limit"), tile=tile)
        except ValueError as exc:
            task.fail(f"parameter 'normalise': CLAHE needs contrast but {exc}; "
                      "choose normalise 'none'")
    low, high = task.param("low_percentile"), task.param("high_percentile")
    if low >= high:
        task.fail(f"parameter 'low_percentile' ({low:g}) must be below 'high_percentile' "
                  f"({high:g}), e.g. 1 and 99")
    try:
        data, levels = contrast.percentile_stretch(data, low=low, high=high)
    except ValueError as exc:
        task.fail(f"parameter 'normalise': {exc} (the image is nearly constant); widen "
                  "low_percentile/high_percentile or choose normalise 'none'")
    print(f"percentiles {low:g}/{high:g} = grey levels {levels[0]:.6g}/{levels[1]:.6g} -> 0/1")
    return data


def _pixels(task: Task, name: str, image: Image, *, minimum: float = 0.5) -> float:
    """Return a length parameter in pixels, refusing sizes below ``minimum`` pixels."""
    value = task.length_in_pixels(name, image)
    if value < minimum:
        task.fail(f"parameter '{name}': '{task.param(name)}' is {value:.3g} px, less than "
                  f"{minimum:g} px; use at least '{max(1, round(minimum))} px'")
    return value


def _whole(pixels: float) -> int:
    """Round half up (Python's round() sends 0.5 to 0)."""
    return int(np.floor(pixels + 0.5))


def _restore_type(data: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Integer images go back to their type (rounded, clipped); others stay float32."""
    if dtype.kind not in "ui":
        return data
    info = np.iinfo(dtype)
    np.rint(data, out=data)
    np.clip(data, info.min, info.max, out=data)
    return data.astype(dtype)
