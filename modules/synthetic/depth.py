"""Rasterise particles seen from above: where two overlap, the one in front owns the pixel.

Each particle is a spheroid cap resting at a height ``lift`` above the substrate; its surface
at normalised distance ``rho`` from its centre is ``lift + r * sqrt(1 - rho^2)`` with ``r``
its equivalent radius. A pixel (centre inside an outline) goes to the particle whose surface
is highest there, as the secondary-electron detector sees the front surface. Particles are
drawn in placement order until the labelled share of the field reaches the requested
coverage, so coverage is met to about one particle's area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shapes import Shapes

__all__ = ["FrontView", "rasterise_front"]


@dataclass
class FrontView:
    """What the detector sees: owner, position within the owner and surface tilt direction."""

    labels: np.ndarray   # (H, W) uint16/uint32, particle i has label i + 1, 0 = substrate
    rho: np.ndarray      # (H, W) float16, 0 at the owner's centre, 1 on its outline
    facing: np.ndarray   # (H, W) float16, sin(tilt) * cos(azimuth - detector azimuth)
    drawn: int           # particles drawn (the first ``drawn`` of the shapes)


def rasterise_front(shapes: Shapes, height: int, width: int, *, lift: np.ndarray,
                    detector_angle: float, coverage: float | None = None) -> FrontView:
    """Draw the particles in order, front surface winning, until ``coverage`` is reached.

    Parameters
    ----------
    shapes
        Placed particles (centres set).
    lift
        Height of each particle's equator above the substrate, px.
    detector_angle
        Direction (radians, counter-clockwise from +x on screen) the detector sits in:
        surfaces tilted towards it get ``facing`` > 0.
    coverage
        Stop after the particle that brings the labelled share to this; None draws all.
    """
    dtype = np.uint16 if len(shapes) < 2**16 else np.uint32
    labels = np.zeros((height, width), dtype=dtype)
    rho = np.full((height, width), np.inf, dtype=np.float16)
    facing = np.zeros((height, width), dtype=np.float16)
    top = np.full((height, width), -np.inf, dtype=np.float32)
    target = np.inf if coverage is None else coverage * height * width
    covered, drawn = 0, 0
    radius = np.sqrt(shapes.a * shapes.b)
    cos_d, sin_d = np.float32(np.cos(detector_angle)), np.float32(np.sin(detector_angle))
    for i in range(len(shapes)):
        if covered >= target:
            break
        drawn = i + 1
        window = _window(shapes, i, height, width)
        if window is None:
            continue
        (y0, y1, x0, x1), dx, dy = window
        mine = shapes.rho(i, dx, dy).astype(np.float32)
        inside = mine <= 1.0
        surface = np.float32(lift[i]) + np.float32(radius[i]) * np.sqrt(
            np.maximum(0.0, 1.0 - mine * mine))
        box = (slice(y0, y1), slice(x0, x1))
        covered += int(np.count_nonzero(inside & (labels[box] == 0)))
        take = inside & (surface > top[box])
        labels[box][take] = i + 1
        rho[box][take] = mine[take]
        top[box][take] = surface[take]
        toward = (dx * cos_d - dy * sin_d) / np.maximum(np.hypot(dx, dy), np.float32(1e-6))
        facing[box][take] = (mine * toward)[take]
    return FrontView(labels, rho, facing, drawn)


def _window(shapes: Shapes, i: int, height: int, width: int):  # type: ignore[no-untyped-def]
    """Bounding box of particle ``i`` in the image and the pixel offsets from its centre."""
    cx, cy, r = shapes.cx[i], shapes.cy[i], shapes.r_max[i] + 1
    x0, x1 = max(0, int(np.floor(cx - r))), min(width, int(np.ceil(cx + r)) + 1)
    y0, y1 = max(0, int(np.floor(cy - r))), min(height, int(np.ceil(cy + r)) + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(cx)
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(cy)
    return (y0, y1, x0, x1), dx, dy
