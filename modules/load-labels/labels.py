"""Turn a label or mask image made elsewhere (ilastik, Fiji, hand annotation) into labels.

Labels are whole numbers, 0 = background, each other value one object (or one class).
"""

from __future__ import annotations

import numpy as np
from skimage.measure import label as connected_components

from lamella.core.sdk import as_label_array

__all__ = ["LabelProblem", "cut_bottom", "match_height", "one_channel", "one_plane",
           "to_labels"]

_PLANE_AXES = "ZIQT"
_MAX_LABEL = 2**32 - 1  # labels travel as uint32 at most


class LabelProblem(ValueError):
    """Why an image cannot become labels; ``where`` names the input or parameter at fault."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


def one_channel(data: np.ndarray, axes: str, *, name: str) -> tuple[np.ndarray, str]:
    """Drop colour samples that are all equal (grey saved as RGB); refuse colour or channels."""
    if "S" in axes:
        samples = np.moveaxis(data, axes.index("S"), -1)
        colours = samples[..., :3]  # grey + alpha has 1 colour, RGB(A) 3; alpha is ignored
        if samples.shape[-1] >= 3 and not (np.array_equal(colours[..., 0], colours[..., 1])
                                           and np.array_equal(colours[..., 0], colours[..., 2])):
            raise LabelProblem("input 'path'", f"{name} is a colour (RGB) image; labels cannot be "
                               "read from colours. Export the labels as a single-channel integer "
                               "image (e.g. a 16-bit grey TIFF from Fiji or ilastik)")
        data, axes = samples[..., 0], axes.replace("S", "")
    if "C" in axes:
        count = data.shape[axes.index("C")]
        raise LabelProblem("input 'path'", f"{name} has {count} channels (axes {axes}); a label "
                           "image has one channel. Export the labels as a single-channel integer "
                           "image")
    return data, axes


def one_plane(data: np.ndarray, axes: str, *, plane: int | None, name: str) -> np.ndarray:
    """Return the 2-D plane to read labels from: the image itself, or plane ``plane`` of a stack."""
    axis = next((a for a in _PLANE_AXES if a in axes), None)
    count = data.shape[axes.index(axis)] if axis else 1
    if axis is not None and plane is None:
        raise LabelProblem("parameter 'plane'", f"{name} is a stack of {count} planes (axes "
                           f"{axes}); set 'plane' to the one to load (0 to {count - 1})")
    if plane is not None and plane >= count:
        planes = f"{count} planes (0 to {count - 1})" if count > 1 else "1 plane (0)"
        raise LabelProblem("parameter 'plane'", f"{name} has {planes}; there is no plane {plane}")
    if axis is not None:
        data, axes = np.take(data, plane, axis=axes.index(axis)), axes.replace(axis, "")
    if axes != "YX":
        raise LabelProblem("input 'path'", f"{name} has axes {axes}; load-labels reads 2-D label "
                           "images (rows and columns)")
    return data


def cut_bottom(plane: np.ndarray, rows: int, *, name: str) -> np.ndarray:
    """``plane`` without its bottom ``rows`` rows (the data bar the image lost); 2 rows stay."""
    height = plane.shape[0]
    if rows > height - 2:
        raise LabelProblem("parameter 'crop_bottom_rows'", f"{rows} rows is too many; {name} is "
                           f"{height} rows high and at least 2 rows must remain")
    return plane[:height - rows]


def match_height(plane: np.ndarray, shape: tuple[int, int], *, name: str,
                 like: str) -> np.ndarray:
    """``plane`` cut to the height of the image ``like`` (``shape`` rows, columns).

    Hand masks are often drawn on the whole SEM file; the image they belong to lost its
    data bar, so the labels may be taller by the bar, never wider or shorter.
    """
    (height, width), (rows, columns) = plane.shape, shape
    if width != columns:
        raise LabelProblem("input 'like'", f"{name} is {width} pixels wide and {like} "
                           f"{columns}; labels and image must have the same width (only the "
                           "data bar rows may differ). Connect the image the labels were drawn on")
    if height < rows:
        raise LabelProblem("input 'like'", f"{name} is {height} rows high, fewer than the {rows} "
                           f"of {like}; the labels must cover the whole image. Export them at "
                           "the image's full size")
    return plane[:rows]


def to_labels(data: np.ndarray, *, kind: str = "auto", background: float = 0,
              foreground_value: float | None = None, connectivity: int = 8,
              name: str = "the image") -> tuple[np.ndarray, str]:
    """Labels from a 2-D label or mask image, and a note on how they were read.

    Parameters
    ----------
    data
        2-D array of any integer, bool or float dtype (floats must hold whole numbers).
    kind
        'labels' keeps the values; 'mask' labels connected foreground regions; 'auto' picks
        'mask' when all non-background pixels hold one value, else 'labels'.
    background
        The value that means "no object"; it becomes 0.
    foreground_value
        If set, only pixels of this value are foreground, read as a mask.
    connectivity
        4 (edge neighbours) or 8 (also diagonal neighbours), for masks.
    name
        The file name, for messages.

    Returns
    -------
    labels, note
        Integer labels (0 = background), and how they were read, for the log.

    Examples
    --------
    >>> to_labels(np.array([[0, 255, 0], [0, 0, 255]], np.uint8))[0].tolist()
    [[0, 1, 0], [0, 0, 1]]
    """
    data = data.astype(np.uint8) if data.dtype == bool else data
    _refuse_fractions(data, name)
    if foreground_value is not None:
        return _one_value(data, foreground_value, kind, connectivity, name)
    foreground = data != background
    if kind == "auto":
        values = data[foreground]
        kind = "mask" if values.size == 0 or values.min() == values.max() else "labels"
    if kind == "mask":
        return _components(foreground, connectivity), f"mask ({connectivity}-connected objects)"
    if background != 0 and bool(np.any(data[foreground] == 0)):
        raise LabelProblem("parameter 'background'", f"{name} holds the value 0 as well as the "
                           f"background {background:g}; as labels, 0 can only be background. "
                           "Set kind to 'mask', or re-export with background 0")
    labels = as_label_array(np.where(foreground, data, 0), f"input 'path' ({name})")
    if labels.size and labels.max() > _MAX_LABEL:
        raise LabelProblem("input 'path'", f"{name} holds labels above {_MAX_LABEL}; relabel "
                           "it (Fiji: Remap Labels) before loading")
    return labels, "labels (values kept as in the file)"


def _refuse_fractions(data: np.ndarray, name: str) -> None:
    if np.issubdtype(data.dtype, np.floating):
        # The SDK's check gives the standard message for fractional or non-finite values;
        # abs() keeps it from judging the sign, which 'background' may still explain.
        as_label_array(np.abs(data), f"input 'path' ({name})")


def _one_value(data: np.ndarray, value: float, kind: str, connectivity: int,
               name: str) -> tuple[np.ndarray, str]:
    if kind == "labels":
        raise LabelProblem("parameter 'foreground_value'", "picks one class as a mask, which kind "
                           "'labels' does not do; set kind to 'auto' or 'mask', or clear "
                           "foreground_value")
    foreground = data == value
    if not foreground.any():
        present = np.unique(data)
        values = ", ".join(f"{v:g}" for v in present[:10]) + (", ..." if present.size > 10 else "")
        raise LabelProblem("parameter 'foreground_value'", f"no pixel of {name} holds {value:g}; "
                           f"its values are {values}")
    return (_components(foreground, connectivity),
            f"mask of the pixels holding {value:g} ({connectivity}-connected objects)")


def _components(foreground: np.ndarray, connectivity: int) -> np.ndarray:
    return connected_components(foreground, connectivity=1 if connectivity == 4 else 2)
