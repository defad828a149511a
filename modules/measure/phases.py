"""Phase (class) area fractions of a semantic label image."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MAX_CLASS", "phase_table"]

# Class images number a handful of phases; a larger value means instance labels were wired.
MAX_CLASS = 65535

# Rows counted at once: np.bincount converts its input to int64, so counting the whole
# image at once would need 8 bytes per pixel.
_CHUNK_PIXELS = 1 << 22


def phase_table(classes: np.ndarray, *, image: np.ndarray | None = None,
                pixel_area: float = 1.0, unit: str = "px") -> pd.DataFrame:
    """Pixels, area and area fractions of every class value present in ``classes``.

    Parameters
    ----------
    classes
        2-D integer array, 1..n = class, 0 = unlabelled; values at most :data:`MAX_CLASS`.
    image
        Optional grey image of the same shape; adds each class's mean intensity.
    pixel_area, unit
        Area of one pixel in ``unit``² (x size times y size: the pixels need not be square)
        and the ASCII length unit (1 and ``'px'`` when uncalibrated).

    Returns
    -------
    DataFrame
        One row per value present (0 included when some pixels are unlabelled):
        ``class``, ``pixels``, ``area_<unit>2``, ``area_fraction`` (of all pixels of the
        image), ``labelled_fraction`` (of the labelled pixels; empty for class 0), and
        ``mean_intensity`` when ``image`` is given.
    """
    counts, sums = _count(classes, image)
    present = np.flatnonzero(counts)
    labelled = counts[1:].sum()
    table = pd.DataFrame({
        "class": present,
        "pixels": counts[present],
        f"area_{unit}2": counts[present] * pixel_area,
        "area_fraction": counts[present] / classes.size,
        "labelled_fraction": [counts[c] / labelled if c else np.nan for c in present],
    })
    if sums is not None:
        table["mean_intensity"] = sums[present] / counts[present]
    return table


def _count(classes: np.ndarray, image: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    length = int(classes.max()) + 1 if classes.size else 1
    counts = np.zeros(length, dtype=np.int64)
    sums = None if image is None else np.zeros(length)
    step = max(1, _CHUNK_PIXELS // max(1, classes.shape[1]))
    for top in range(0, classes.shape[0], step):
        block = classes[top:top + step].ravel().astype(np.intp)  # uint64 refuses a cast
        counts += np.bincount(block, minlength=length)
        if sums is not None and image is not None:
            weights = image[top:top + step].ravel().astype(np.float64)
            sums += np.bincount(block, weights=weights, minlength=length)
    return counts, sums
