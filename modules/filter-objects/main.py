"""Keep the labelled objects that pass size, shape and border criteria."""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image, Task

from . import shape


def run(task: Task) -> None:
    """Measure, decide per object, write the filtered labels."""
    labels = task.labels("labels")
    if labels.axes != "YX":
        task.fail(f"input 'labels' has axes '{labels.axes}' (shape {labels.data.shape}); "
                  "filter-objects works on one 2-D label image (YX)")
    keep = _decide(task, labels)
    kept = np.flatnonzero(keep)
    if task.param("relabel"):
        lookup = np.zeros(keep.size, labels.data.dtype)
        lookup[kept] = np.arange(1, kept.size + 1)
    else:
        lookup = np.where(keep, np.arange(keep.size), 0).astype(labels.data.dtype)
    task.save_labels("labels", lookup[labels.data], like=labels)
    task.progress(1.0, "done")


def _decide(task: Task, labels: Image) -> np.ndarray:
    """``keep[i]`` is True if object i passes every criterion; prints why others did not."""
    area = shape.areas(labels.data)
    keep = area > 0
    keep[0] = False
    total = int(keep.sum())
    removed: dict[str, int] = {}

    def drop(reason: str, failing: np.ndarray) -> None:
        removed[reason] = int((keep & failing).sum())
        keep[failing] = False

    # Unit conversion leaves rounding dust ('0.01 um^2' at 2 nm/px is 2500.0000000000005 px);
    # an object of exactly a limit must pass, so limits are widened by a relative 1e-9.
    drop("min_area", area < task.area_in_pixels("min_area", labels) * (1 - 1e-9))
    if task.param("max_area") is not None:
        drop("max_area", area > task.area_in_pixels("max_area", labels) * (1 + 1e-9))
    if task.param("exclude_border"):
        drop("exclude_border", _at(shape.border_ids(labels.data), True, keep.size))
    min_solidity, min_circularity = task.param("min_solidity"), task.param("min_circularity")
    if min_circularity > 0:
        _require_square_pixels(task, labels)
    if min_solidity > 0 or min_circularity > 0:
        task.progress(0.3, "measuring shapes")
        ids = np.flatnonzero(keep)
        solid, circular = shape.shape_measures(labels.data, ids, with_solidity=min_solidity > 0,
                                               with_circularity=min_circularity > 0)
        drop("min_solidity", _at(ids, solid < min_solidity, keep.size))
        drop("min_circularity", _at(ids, circular < min_circularity, keep.size))
    summary = ", ".join(f"{n} by {reason}" for reason, n in removed.items() if n)
    print(f"kept {int(keep.sum())} of {total} objects" + (f" (removed {summary})" if summary else ""))
    return keep


def _require_square_pixels(task: Task, labels: Image) -> None:
    """Circularity needs square pixels: on 2 x 3 nm pixels a disk is an ellipse in pixels.

    Solidity does not: stretching one axis scales an object and its hull alike.
    """
    cal = labels.calibration
    if cal is not None and not cal.is_square:
        task.fail(f"parameter 'min_circularity': input 'labels' has non-square pixels "
                  f"({cal.x:g} x {cal.y:g} {cal.unit}) and circularity needs square pixels: "
                  "resample the image to square pixels or correct its pixel size when loading "
                  "it (min_solidity and the area limits work on any pixels)")


def _at(ids: np.ndarray, flags: np.ndarray | bool, size: int) -> np.ndarray:
    """Spread per-object flags (aligned with ``ids``) to an array indexed by id."""
    out = np.zeros(size, bool)
    out[ids] = flags
    return out
