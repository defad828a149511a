"""Training targets: what each labelled pixel should be classified as, and which pixels count.

A target is an int64 array of class indices with :data:`IGNORE` (-1) where a pixel is not
counted in the loss. Three ways to read a label image:

``classes``
    Hand-painted class labels (an annotation): value ``k >= 1`` is class ``k - 1``; 0 means
    "not painted" and is ignored, so a few strokes are enough to train.
``foreground``
    Instance or binary labels: 0 is background (class 0), any other value foreground
    (class 1).
``three-class``
    Instance labels (each object its own id, 0 = background): background (0), object
    interior (1) and boundary (2). The boundary is every object pixel next to a pixel of
    another label, background included, widened to ``boundary_width`` pixels; two touching
    objects are therefore cut apart by a line of boundary pixels, which a watershed can
    follow. The boundary class is last, the order ``lamella/watershed`` expects of a
    class-probability map.

In every mode, pixels equal to ``ignore_value`` (if given) are ignored too.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.segmentation import find_boundaries

__all__ = ["IGNORE", "TARGETS", "THREE_CLASS_NAMES", "class_names", "make_target"]

IGNORE = -1
TARGETS = ("classes", "foreground", "three-class")
THREE_CLASS_NAMES = ("background", "interior", "boundary")


def make_target(labels: np.ndarray, mode: str, *, ignore_value: int | None = None,
                boundary_width: int = 1) -> np.ndarray:
    """The int64 target of a label image; :data:`IGNORE` where the loss must not look.

    Parameters
    ----------
    labels : (H, W) integer ndarray
        Label image (see the module docstring for what its values mean per ``mode``).
    mode : {'classes', 'foreground', 'three-class'}
        How to read ``labels``.
    ignore_value : int, optional
        A label value that marks unlabelled pixels in any mode.
    boundary_width : int
        Width of the boundary band inside each object, in pixels (``three-class``).

    Examples
    --------
    >>> make_target(np.array([[0, 1, 2]]), "classes").tolist()
    [[-1, 0, 1]]
    """
    labels = np.asarray(labels)
    if mode == "classes":
        target = labels.astype(np.int64) - 1  # 0 (unpainted) becomes IGNORE
    elif mode == "foreground":
        target = (labels != 0).astype(np.int64)
    elif mode == "three-class":
        target = _three_class(labels, boundary_width)
    else:
        raise ValueError(f"target '{mode}' is unknown; use one of {', '.join(TARGETS)}")
    if ignore_value is not None:
        target[labels == ignore_value] = IGNORE
    return target


def _three_class(labels: np.ndarray, boundary_width: int) -> np.ndarray:
    """Background 0, interior 1, boundary 2 of instance labels."""
    # 4-connected inner boundaries: a pixel is boundary if an edge neighbour has another
    # label, so the line between two touching objects is two pixels (one of each) wide.
    boundary = find_boundaries(labels, connectivity=1, mode="inner")
    if boundary_width > 1:
        # Distance inside each object to its boundary line, so widening stays inside it.
        inside = (labels != 0) & ~boundary
        distance = ndimage.distance_transform_cdt(inside, metric="taxicab")
        boundary |= (labels != 0) & (distance < boundary_width) & (distance > 0)
    target = (labels != 0).astype(np.int64)
    target[boundary] = 2
    return target


def class_names(mode: str, count: int, given: list[str] | None = None) -> list[str]:
    """Names of the ``count`` classes a target of ``mode`` has (``given`` wins if complete)."""
    if mode == "three-class":
        return list(THREE_CLASS_NAMES)
    if mode == "foreground":
        return ["background", "foreground"]
    if given and len(given) == count:
        return list(given)
    return [f"class {k + 1}" for k in range(count)]
