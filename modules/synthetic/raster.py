"""Rasterise placed particles into exact ground-truth labels.

A pixel belongs to a particle if its centre lies inside the outline. Where two particles
overlap, the pixel goes to the one whose outline it lies deeper inside (smaller normalised
distance ``rho``), so every pixel has exactly one owner and the shared border runs through
the middle of the overlap. Each particle is drawn in its own bounding box only, so memory
stays at the size of the label image however many particles there are.
"""

from __future__ import annotations

import numpy as np

from .shapes import Shapes

__all__ = ["contact_pixels", "rasterise", "touching_labels"]


def rasterise(shapes: Shapes, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Label image (particle ``i`` has label ``i + 1``) and per-pixel ``rho`` of its owner.

    Returns
    -------
    labels : (height, width) uint16 or uint32 array, 0 = background
    rho : (height, width) float16 array, normalised distance to the owner's centre
        (0 centre, 1 outline), ``inf`` on background
    """
    dtype = np.uint16 if len(shapes) < 2**16 else np.uint32
    labels = np.zeros((height, width), dtype=dtype)
    rho = np.full((height, width), np.inf, dtype=np.float16)
    r_max = shapes.r_max
    for i in range(len(shapes)):
        cx, cy, r = shapes.cx[i], shapes.cy[i], r_max[i] + 1
        x0, x1 = max(0, int(np.floor(cx - r))), min(width, int(np.ceil(cx + r)) + 1)
        y0, y1 = max(0, int(np.floor(cy - r))), min(height, int(np.ceil(cy + r)) + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        dx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(cx)
        dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(cy)
        mine = shapes.rho(i, dx, dy).astype(np.float32)
        box_rho = rho[y0:y1, x0:x1]
        take = (mine <= 1.0) & (mine < box_rho)
        labels[y0:y1, x0:x1][take] = i + 1
        box_rho[take] = mine[take]
    return labels, rho


def contact_pixels(labels: np.ndarray) -> np.ndarray:
    """Flag labelled pixels with an 8-connected neighbour of another non-zero label."""
    contact = np.zeros(labels.shape, dtype=bool)
    pairs = [
        ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
        ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
        ((slice(None, -1), slice(None, -1)), (slice(1, None), slice(1, None))),
        ((slice(None, -1), slice(1, None)), (slice(1, None), slice(None, -1))),
    ]
    for first, second in pairs:
        a, b = labels[first], labels[second]
        differ = (a != b) & (a > 0) & (b > 0)
        contact[first] |= differ
        contact[second] |= differ
    return contact


def touching_labels(labels: np.ndarray, count: int, *, band: int = 1024) -> np.ndarray:
    """Boolean per label 0..count: True if the particle touches another particle.

    Works through the image in bands of rows (overlapping by one row) to bound memory.
    """
    touching = np.zeros(count + 1, dtype=bool)
    for top in range(0, labels.shape[0], band):
        block = labels[top:min(labels.shape[0], top + band + 1)]
        touching[block[contact_pixels(block)]] = True
    touching[0] = False
    return touching
