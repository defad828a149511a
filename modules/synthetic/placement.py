"""Place particles in the field: isolated ones apart, agglomerated ones touching a neighbour.

Touching particles overlap only a little: their centre distance along the line of centres is
at least ``TOUCH_MIN`` times the sum of their radii in that direction, so the neck between
them stays narrow enough for a distance-transform watershed to split them (two equal discs
at 0.85 x (r1 + r2) leave a neck about half a diameter wide).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .shapes import Shapes

__all__ = ["GAP", "TOUCH_MAX", "TOUCH_MIN", "place"]

TOUCH_MIN, TOUCH_MAX = 0.85, 0.97
GAP = 3.0  # px of background kept between an isolated particle and any other
_TOUCH_ATTEMPTS = 12
_FREE_ATTEMPTS = 30
_FULL_AFTER_MISSES = 200
_CHAIN_SHARE = 0.5  # touching particles attached to the previous particle (chains) vs any


def place(shapes: Shapes, width: int, height: int, *, agglomeration: float,
          rng: np.random.Generator, touch: tuple[float, float] = (TOUCH_MIN, TOUCH_MAX),
          area_budget: float | None = None, vectorised: bool = False) -> Shapes:
    """Give the particles centres; return those that found room, in placement order.

    Each particle is, with probability ``agglomeration``, placed touching an already placed
    one (the previous one half of the time, forming chains; any other otherwise, forming
    clusters), else at a random free spot. Particles that find no room are left out; after
    200 such particles in a row the field counts as full and placement stops.

    ``touch`` is the range of centre distances of a touching pair, as a share of the sum of
    their radii towards each other (smaller: deeper overlaps). With ``area_budget`` (px^2),
    placement stops once the outline areas of the placed particles add up to it.
    ``vectorised`` checks all neighbours of a candidate spot at once (several times faster
    for thousands of particles; rounding may differ in the last bit from the one-by-one
    check of version 1.0, which stays the default so its images are reproduced exactly).
    """
    placer = _Placer(shapes, width, height, rng, touch)
    placer.vectorised = vectorised
    misses, area = 0, 0.0
    outline_area = np.pi * shapes.a * shapes.b
    for i in range(len(shapes)):
        if area_budget is not None and area >= area_budget:
            break
        position = None
        if placer.order and rng.random() < agglomeration:
            position = placer.touching_spot(i)
        if position is None:
            position = placer.free_spot(i)
        if position is not None:
            placer.add(i, *position)
            area += outline_area[i]
        misses = 0 if position is not None else misses + 1
        if misses == _FULL_AFTER_MISSES:
            break  # the field is full: stop instead of trying every remaining particle
    placed = shapes.subset(np.array(placer.order, dtype=np.int64))
    placed.cx = placer.cx[placer.order]
    placed.cy = placer.cy[placer.order]
    return placed


class _Placer:
    """Placed centres plus a grid of cells for finding near neighbours quickly."""

    def __init__(self, shapes: Shapes, width: int, height: int, rng: np.random.Generator,
                 touch: tuple[float, float]):
        self.shapes, self.width, self.height, self.rng = shapes, width, height, rng
        self.touch = touch
        self.vectorised = False
        self.r_max = shapes.r_max
        self.cell = 2 * float(self.r_max.max(initial=1.0)) + GAP  # any pair that can interact
        self.cells: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.cx = np.full(len(shapes), np.nan)
        self.cy = np.full(len(shapes), np.nan)
        self.order: list[int] = []

    def add(self, i: int, x: float, y: float) -> None:
        self.cx[i], self.cy[i] = x, y
        self.cells[self._key(x, y)].append(i)
        self.order.append(i)

    def free_spot(self, i: int) -> tuple[float, float] | None:
        for _ in range(_FREE_ATTEMPTS):
            x = self.rng.uniform(0, self.width - 1)
            y = self.rng.uniform(0, self.height - 1)
            near = self._near(x, y)
            distance = np.hypot(self.cx[near] - x, self.cy[near] - y)
            if np.all(distance >= self.r_max[i] + self.r_max[near] + GAP):
                return x, y
        return None

    def touching_spot(self, i: int) -> tuple[float, float] | None:
        order = self.order
        use_previous = self.rng.random() < _CHAIN_SHARE
        anchor = order[-1] if use_previous else order[self.rng.integers(len(order))]
        for _ in range(_TOUCH_ATTEMPTS):
            alpha = self.rng.uniform(0, 2 * np.pi)
            t = self.rng.uniform(*self.touch)
            reach = self.shapes.radius(i, alpha + np.pi) + self.shapes.radius(anchor, alpha)
            x = self.cx[anchor] + t * float(reach) * np.cos(alpha)
            y = self.cy[anchor] - t * float(reach) * np.sin(alpha)  # rows grow downwards
            inside = 0 <= x <= self.width - 1 and 0 <= y <= self.height - 1
            if inside and self._only_shallow_overlaps(i, x, y):
                return x, y
        return None

    def _only_shallow_overlaps(self, i: int, x: float, y: float) -> bool:
        near = self._near(x, y)
        dx, dy = self.cx[near] - x, self.cy[near] - y
        distance = np.hypot(dx, dy)
        if self.vectorised:
            return self._no_deep_overlap(i, near, dx, dy, distance)
        for k, d, beta in zip(near, distance, np.arctan2(-dy, dx), strict=True):
            if d >= self.r_max[i] + self.r_max[k]:
                continue  # cannot overlap at all
            reach = self.shapes.radius(i, beta) + self.shapes.radius(k, beta + np.pi)
            if d < self.touch[0] * float(reach):
                return False
        return True

    def _no_deep_overlap(self, i: int, near: np.ndarray, dx: np.ndarray, dy: np.ndarray,
                         distance: np.ndarray) -> bool:
        close = distance < self.r_max[i] + self.r_max[near]
        if not close.any():
            return True
        beta = np.arctan2(-dy[close], dx[close])
        reach = (self.shapes.radii(np.full(beta.size, i), beta)
                 + self.shapes.radii(near[close], beta + np.pi))
        return bool(np.all(distance[close] >= self.touch[0] * reach))

    def _near(self, x: float, y: float) -> np.ndarray:
        kx, ky = self._key(x, y)
        found = [j for ox in (-1, 0, 1) for oy in (-1, 0, 1)
                 for j in self.cells.get((kx + ox, ky + oy), ())]
        return np.array(found, dtype=np.int64)

    def _key(self, x: float, y: float) -> tuple[int, int]:
        return int(x // self.cell), int(y // self.cell)
