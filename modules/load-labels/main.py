"""Load a label or mask image made elsewhere (ilastik, Fiji, hand annotation) to measure it."""

from __future__ import annotations

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk import Image, Task

from . import labels


def run(task: Task) -> None:
    """Read the file, turn it into labels (0 = background) and a mask, keep the pixel size."""
    image = task.user_image("path")
    used = task.calibration_for(image)
    try:
        data, axes = labels.one_channel(image.data, image.axes, name=image.name)
        plane = labels.one_plane(data, axes, plane=task.param("plane"), name=image.name)
        plane = _fit_rows(task, plane, name=image.name)
        result, note = labels.to_labels(
            plane, kind=task.param("kind"), background=task.param("background"),
            foreground_value=task.param("foreground_value"),
            connectivity=task.param("connectivity"), name=image.name)
    except labels.LabelProblem as exc:
        task.fail(f"{exc.where}: {exc}")
    except InputFileError as exc:
        task.fail(str(exc))
    print(f"labels: {_count(result)} read as {note}")
    task.save_labels("labels", result, calibration=used)
    task.save_mask("mask", result > 0, calibration=used)


def _fit_rows(task: Task, plane: np.ndarray, *, name: str) -> np.ndarray:
    """Cut the rows the image lost with its data bar: a number of them, or to match 'like'."""
    rows, height = task.param("crop_bottom_rows"), plane.shape[0]
    if task.has_input("like"):
        if rows:
            raise labels.LabelProblem("parameter 'crop_bottom_rows'", "set it or connect input "
                                      "'like', not both (with 'like' the rows are counted)")
        like = task.image("like")
        plane = labels.match_height(plane, _rows_columns(task, like), name=name, like=like.name)
        why = f"to the height of input 'like', {like.name}"
    else:
        plane, why = labels.cut_bottom(plane, rows, name=name), "parameter 'crop_bottom_rows'"
    if plane.shape[0] < height:
        print(f"labels: removed the bottom {height - plane.shape[0]} of {height} rows ({why})")
    return plane


def _rows_columns(task: Task, image: Image) -> tuple[int, int]:
    if "Y" not in image.axes or "X" not in image.axes:
        task.fail(f"input 'like': {image.name} has axes '{image.axes}' without rows and columns")
    return image.data.shape[image.axes.index("Y")], image.data.shape[image.axes.index("X")]


def _count(result: np.ndarray) -> str:
    values = np.unique(result[result > 0])
    if values.size == 0:
        return "no objects (every pixel is background)"
    noun = "object" if values.size == 1 else "objects"
    return f"{values.size} {noun} (label values {values[0]} to {values[-1]})"
