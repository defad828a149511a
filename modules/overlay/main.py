"""Object outlines over the original image, with label numbers and a scale bar."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from scipy import ndimage

from lamella.core.sdk import Image

from . import compose, draw, scalebar

_MAX_NUMBER_FONT = 48


def run(task) -> None:
    """Compose the overlay and write it as PNG (full resolution) and SVG."""
    image = task.image("image")
    labels = task.labels("labels")
    pixels = _plane(task, image)
    if labels.axes != "YX":
        task.fail(f"input 'labels' has axes {labels.axes}; overlay needs 2-D labels (YX)")
    if labels.data.shape != pixels.shape[:2]:
        task.fail(f"input 'labels' is {_size(labels.data)} pixels but input 'image' is "
                  f"{_size(pixels)}; connect the labels that were made from this image")
    task.progress(0.1, "drawing outlines")
    single = _single_colour(task)
    rgb = compose.compose(pixels, labels.data, single=single)
    height, width = rgb.shape[:2]
    font_px = min(_MAX_NUMBER_FONT, max(10, round(min(height, width) / 45)))
    numbers = _numbers(task, labels.data)
    bar = _bar(task, image, labels, width, height)
    task.progress(0.6, "writing PNG and SVG")
    with tempfile.TemporaryDirectory() as folder:
        png = draw.write_png(Path(folder) / "plot.png", rgb, numbers=numbers, font_px=font_px,
                             bar=bar)
        svg = draw.write_svg(Path(folder) / "plot.svg", draw.png_bytes(rgb), width, height,
                             numbers=numbers, font_px=font_px, bar=bar)
        task.save_file("plot", png)
        task.save_file("plot", svg)


def _plane(task, image: Image) -> np.ndarray:
    """The grey (H, W) or colour (H, W, 3) pixels to draw on."""
    if image.axes == "YX":
        return image.data
    if image.axes == "YXS" and image.data.shape[2] in (3, 4):
        return image.data[:, :, :3]
    task.fail(f"input 'image' has axes {image.axes}; overlay draws on one 2-D grey or RGB "
              "image, so pick a plane or channel first (e.g. with load-image)")


def _size(data: np.ndarray) -> str:
    return f"{data.shape[1]} x {data.shape[0]}"


def _single_colour(task) -> tuple[int, int, int] | None:
    if task.param("colours") != "single":
        return None
    text = task.param("colour").lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _numbers(task, labels: np.ndarray) -> list[draw.Number]:
    """Label ids at object centroids, when asked for and there are few enough objects."""
    if not task.param("numbers"):
        return []
    ids = np.unique(labels)
    ids = ids[ids != 0]
    if not 0 < len(ids) <= task.param("max_numbers"):
        return []
    centres = ndimage.center_of_mass(np.ones_like(labels, dtype=np.uint8), labels, ids)
    return [(float(x), float(y), str(int(i))) for i, (y, x) in zip(ids, centres, strict=True)]


def _bar(task, image: Image, labels: Image, width: int, height: int):
    calibration = image.calibration or labels.calibration
    if not task.param("scale_bar") or calibration is None:
        return None
    return scalebar.scale_bar(calibration, width, height)
