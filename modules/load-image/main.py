"""Load a microscope image (TIFF, OME-TIFF, PNG, JPEG) with its physical pixel size."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lamella.core.sdk import Image, Task

from . import infobar, selection


def run(task: Task) -> None:
    """Read the file, pick channel/plane, cut the SEM data bar, set the pixel size."""
    # Resolve the task folder's link so messages name the user's own file.
    path = task.input_path("path").resolve()
    image = task.user_image("path")
    used = task.calibration_for(image)
    data, axes = _select(task, image)
    data = _crop_info_bar(task, data, axes, path)
    print(f"image: {' x '.join(map(str, data.shape))} ({axes}), {data.dtype}")
    task.save_image("image", data, axes=axes, calibration=used)


def _select(task: Task, image: Image) -> tuple[np.ndarray, str]:
    data, axes = image.data, image.axes
    try:
        if task.param("plane") is not None:
            data, axes = selection.pick_plane(data, axes, plane=task.param("plane"),
                                              name=image.name)
    except ValueError as exc:
        task.fail(f"parameter 'plane': {exc}")
    try:
        if task.param("channel") is not None:
            data, axes = selection.pick_channel(data, axes, channel=task.param("channel"),
                                                name=image.name)
    except ValueError as exc:
        task.fail(f"parameter 'channel': {exc}")
    if task.param("colour") == "grey":
        data, axes, note = selection.samples_to_grey(data, axes)
        if note:
            print(f"colour: {note}")
    return data, axes


def _crop_info_bar(task: Task, data: np.ndarray, axes: str, path: Path) -> np.ndarray:
    mode = task.param("crop_info_bar")
    if mode == "off":
        return data
    height = data.shape[axes.index("Y")]
    if mode == "rows":
        rows, where = task.param("info_bar_rows"), "parameter 'info_bar_rows'"
        if rows > height - 2:
            task.fail(f"parameter 'info_bar_rows': {rows} rows is too many; {path.name} is "
                      f"{height} rows high and at least 2 rows must remain")
    else:
        rows, where = _auto_bar_rows(task, data, axes, path)
    if rows == 0:
        print(f"info bar: nothing removed ({where})")
        return data
    print(f"info bar: removed the bottom {rows} of {height} rows ({where})")
    keep = [slice(None)] * data.ndim
    keep[axes.index("Y")] = slice(0, height - rows)
    return data[tuple(keep)]


def _auto_bar_rows(task: Task, data: np.ndarray, axes: str, path: Path) -> tuple[int, str]:
    """Bar rows from the metadata, else from the pixels; warn if a vendor file shows none."""
    height = data.shape[axes.index("Y")]
    found = infobar.bar_rows_from_metadata(path, height)
    if found is not None:
        return found
    bar = infobar.find_bar(_grey_plane(data, axes))
    if bar is not None:
        print(f"info bar: {bar.describe(height)}")
        return bar.rows, "pixel content"
    vendor = infobar.sem_vendor(path)
    if vendor is not None:
        # SEM software nearly always paints a bar; one not found may be a layout not known.
        task.warn(f"info bar: {path.name} has {vendor} metadata but no data bar was found; if "
                  "the image has one, set crop_info_bar: rows and info_bar_rows: N (the bar's "
                  "height in rows)")
    return 0, "pixel content"


def _grey_plane(data: np.ndarray, axes: str) -> np.ndarray:
    """One 2-D plane to look for the bar in: brightest colour sample, first plane of a stack."""
    plane = np.moveaxis(data, [axes.index("Y"), axes.index("X")], [-2, -1])
    others = [a for a in axes if a not in "YX"]
    if "S" in others:
        # max keeps the dtype (no float copy of a large image), white text and a black bar
        plane = plane.max(axis=others.index("S"))
    while plane.ndim > 2:
        plane = plane[0]
    return plane
