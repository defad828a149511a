"""Shapes digitised by pixel-centre inclusion (pixel (i, j) has its centre at (j+0.5, i+0.5))."""

from __future__ import annotations

import numpy as np


def _local(shape: tuple[int, int], centre: tuple[float, float], angle: float):
    """Pixel-centre coordinates along (u) and across (v) a direction ``angle`` from x."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    x, y = xx - centre[0], yy - centre[1]
    return x * np.cos(angle) + y * np.sin(angle), -x * np.sin(angle) + y * np.cos(angle)


def ellipse(semi_a: float, semi_b: float, angle: float = 0.0,
            offset: tuple[float, float] = (0.23, 0.41)) -> np.ndarray:
    """Boolean mask of an ellipse (``semi_a`` along ``angle``), centred near the middle."""
    size = int(2 * max(semi_a, semi_b)) + 6
    u, v = _local((size, size), (size / 2 + offset[0], size / 2 + offset[1]), angle)
    return (u / semi_a) ** 2 + (v / semi_b) ** 2 <= 1


def rectangle(width: float, height: float, angle: float,
              offset: tuple[float, float] = (0.17, 0.31)) -> np.ndarray:
    """Boolean mask of a ``width`` x ``height`` rectangle rotated by ``angle`` (radians)."""
    size = int(2 * np.hypot(width, height)) + 6
    u, v = _local((size, size), (size / 2 + offset[0], size / 2 + offset[1]), angle)
    return (np.abs(u) <= width / 2) & (np.abs(v) <= height / 2)


def expected_rectangle_feret(width: float, height: float, angle: float) -> tuple[float, float]:
    """Pixel-outline Feret (max, min) of a rotated rectangle: its widths plus |cos t| + |sin t|."""
    t = np.linspace(0, np.pi, 36000, endpoint=False)
    widths = (width * np.abs(np.cos(t - angle)) + height * np.abs(np.sin(t - angle))
              + np.abs(np.cos(t)) + np.abs(np.sin(t)))
    return float(widths.max()), float(widths.min())


def brute_force_feret(mask: np.ndarray, n_directions: int = 3600) -> tuple[float, float]:
    """Largest and smallest width of all pixel-square corners over ``n_directions`` directions."""
    ys, xs = np.nonzero(mask)
    corners = np.concatenate([np.column_stack([xs + dx, ys + dy])
                              for dx in (0, 1) for dy in (0, 1)]).astype(float)
    t = np.linspace(0, np.pi, n_directions, endpoint=False)
    projections = corners @ np.vstack([np.cos(t), np.sin(t)])
    widths = projections.max(axis=0) - projections.min(axis=0)
    return float(widths.max()), float(widths.min())
