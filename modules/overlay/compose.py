"""Compose the overlay as an RGB array: the contrast-stretched image with coloured outlines.

Everything is numpy on the full-resolution array (no plotting library), so an 8192 x 8192
image costs a few hundred MB, not a figure of millions of artists; the steps that need
temporary arrays work in blocks of rows.
"""

from __future__ import annotations

import numpy as np
from skimage.color import hsv2rgb
from skimage.segmentation import find_boundaries

__all__ = ["STRETCH_PERCENTILES", "outline_colours", "outlines", "stretch_to_uint8"]

STRETCH_PERCENTILES = (0.5, 99.5)
_SAMPLE_PIXELS = 4_000_000  # percentiles of larger images come from an evenly strided sample
_BLOCK_VALUES = 4_000_000  # values per block of rows when a whole-image temporary would be large
_GOLDEN = 0.618033988749895


def stretch_to_uint8(data: np.ndarray) -> np.ndarray:
    """Map the 0.5th..99.5th percentile of ``data`` linearly to 0..255 (clipping outside).

    Works for grey (H, W) and colour (H, W, 3) arrays (one stretch for all channels). A flat
    image becomes mid-grey. 8- and 16-bit images go through a lookup table, other types
    through blocks of rows, so no full-size float copy is ever made.

    Examples
    --------
    >>> stretch_to_uint8(np.array([[0, 50], [100, 200]])).tolist()
    [[0, 64], [128, 255]]
    """
    data = np.asarray(data)
    step = max(1, int(np.sqrt(data.shape[0] * data.shape[1] / _SAMPLE_PIXELS)))
    sample = data[::step, ::step]
    low, high = np.percentile(sample[np.isfinite(sample)], STRETCH_PERCENTILES)
    if not high > low:
        return np.full(data.shape, 128, dtype=np.uint8)
    if data.dtype.kind in "ui" and data.dtype.itemsize <= 2:
        info = np.iinfo(data.dtype)
        table = _stretch(np.arange(info.min, info.max + 1), low, high)
        return table[_table_index(data)]
    out = np.empty(data.shape, dtype=np.uint8)
    for rows in _row_blocks(data.shape[0], int(np.prod(data.shape[1:]))):
        out[rows] = _stretch(data[rows], low, high)
    return out


def _table_index(data: np.ndarray) -> np.ndarray:
    """Position of each value in a table that starts at the type's minimum, same byte size."""
    if data.dtype.kind == "u":
        return data
    # Two's complement: flipping the sign bit of the unsigned view adds -minimum (2**(n-1)).
    unsigned = data.view(f"u{data.dtype.itemsize}")
    return unsigned ^ unsigned.dtype.type(1 << (8 * data.dtype.itemsize - 1))


def _stretch(values: np.ndarray, low: float, high: float) -> np.ndarray:
    scaled = (values.astype(np.float32) - np.float32(low)) * np.float32(255.0 / (high - low))
    return np.clip(np.rint(np.nan_to_num(scaled)), 0, 255).astype(np.uint8)


def _row_blocks(height: int, values_per_row: int) -> list[slice]:
    rows = max(1, _BLOCK_VALUES // max(1, values_per_row))
    return [slice(top, min(top + rows, height)) for top in range(0, height, rows)]


def outlines(labels: np.ndarray) -> np.ndarray:
    """Pixels of each object that touch another label or the background (4-connected).

    These are skimage's ``find_boundaries(mode='inner')``: the outline lies on the object's
    own pixels, so each outline pixel has exactly one object and one colour. Computed in
    blocks of rows with one row of context above and below, which gives exactly the
    whole-image result (a pixel's outline state depends only on its 4 neighbours) without
    whole-image temporary copies of the labels.
    """
    height = labels.shape[0]
    edge = np.empty(labels.shape, dtype=bool)
    for rows in _row_blocks(height, labels.shape[1]):
        top, bottom = max(rows.start - 1, 0), min(rows.stop + 1, height)
        block = find_boundaries(labels[top:bottom], connectivity=1, mode="inner", background=0)
        edge[rows] = block[rows.start - top: rows.stop - top]
    return edge


def outline_colours(label_values: np.ndarray, *, single: tuple[int, int, int] | None = None
                    ) -> np.ndarray:
    """RGB uint8 colour for each label value: ``single`` for all, or distinct per object.

    Distinct colours step the hue by the golden ratio per label id, so neighbouring ids get
    far-apart hues, and the same id always gets the same colour.
    """
    values = np.asarray(label_values)
    if single is not None:
        return np.broadcast_to(np.array(single, dtype=np.uint8), (len(values), 3)).copy()
    hue = np.mod(values.astype(np.float64) * _GOLDEN, 1.0)
    hsv = np.stack([hue, np.full_like(hue, 0.85), np.ones_like(hue)], axis=-1)
    return np.rint(hsv2rgb(hsv[:, None, :])[:, 0, :] * 255).astype(np.uint8)


def compose(image: np.ndarray, labels: np.ndarray, *,
            single: tuple[int, int, int] | None = None) -> np.ndarray:
    """RGB uint8 overlay: ``image`` stretched to 8 bit, outlines of ``labels`` coloured on it."""
    grey = stretch_to_uint8(image)
    rgb = grey if grey.ndim == 3 else np.repeat(grey[:, :, None], 3, axis=2)
    edge = outlines(labels)
    # One colour per object, then spread to its outline pixels (there are ~100x more).
    ids, object_of_pixel = np.unique(labels[edge], return_inverse=True)
    rgb[edge] = outline_colours(ids, single=single)[object_of_pixel]
    return rgb
