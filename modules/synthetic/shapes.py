"""Particle shapes: ellipses and irregular, convex-ish outlines, drawn from size statistics.

Coordinates are pixel coordinates with pixel centres on integers: ``x`` is the column,
``y`` the row (pointing down). Angles are measured counter-clockwise from the +x axis as the
image is displayed (y up on screen), in radians here and in degrees in the tables.

An irregular particle is an ellipse whose radius is modulated by small harmonics,
``r(phi) = r_ellipse(phi) * (1 + sum_k c_k cos(k phi + psi_k))`` for k = 2, 3, 4, with
amplitudes small enough that the outline stays (nearly) convex.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Shapes", "draw_shapes"]

HARMONICS = np.array([2, 3, 4])
_MAX_AMPLITUDES = np.array([0.08, 0.05, 0.035])  # k^2 * c_k < 1 keeps the outline convex


@dataclass
class Shapes:
    """Per-particle shape parameters (one entry per particle) and, once placed, centres."""

    a: np.ndarray          # semi-major axis, px
    b: np.ndarray          # semi-minor axis, px
    theta: np.ndarray      # major-axis angle, radians, counter-clockwise from +x
    amp: np.ndarray        # (n, 3) harmonic amplitudes, all 0 for ellipses
    phase: np.ndarray      # (n, 3) harmonic phases
    cx: np.ndarray | None = None
    cy: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.a)

    @property
    def irregular(self) -> np.ndarray:
        """True for particles with a modulated (non-elliptic) outline."""
        return self.amp.any(axis=1)

    @property
    def r_max(self) -> np.ndarray:
        """Radius of a circle around each particle's centre that contains the whole particle."""
        return self.a * (1.0 + self.amp.sum(axis=1))

    def subset(self, keep: np.ndarray) -> Shapes:
        """Return the particles selected by an index or boolean array."""
        cx = None if self.cx is None else self.cx[keep]
        cy = None if self.cy is None else self.cy[keep]
        return Shapes(self.a[keep], self.b[keep], self.theta[keep], self.amp[keep],
                      self.phase[keep], cx, cy)

    def radius(self, i: int, alpha: np.ndarray | float) -> np.ndarray:
        """Distance from the centre of particle ``i`` to its outline in direction ``alpha``."""
        phi = np.asarray(alpha) - self.theta[i]
        a, b = self.a[i], self.b[i]
        ellipse = a * b / np.sqrt((b * np.cos(phi)) ** 2 + (a * np.sin(phi)) ** 2)
        return ellipse * self._modulation(i, phi)

    def radii(self, index: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """``radius`` of particles ``index[j]`` in directions ``alpha[j]``, all at once."""
        phi = alpha - self.theta[index]
        a, b = self.a[index], self.b[index]
        ellipse = a * b / np.sqrt((b * np.cos(phi)) ** 2 + (a * np.sin(phi)) ** 2)
        terms = self.amp[index] * np.cos(HARMONICS[None, :] * phi[:, None] + self.phase[index])
        return ellipse * (1.0 + terms.sum(axis=1))

    def rho(self, i: int, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        """Normalised distance of offsets (dx right, dy down) from the centre of particle ``i``.

        0 at the centre, 1 on the outline, above 1 outside.
        """
        cos_t, sin_t = np.cos(self.theta[i]), np.sin(self.theta[i])
        up = -dy
        u = dx * cos_t + up * sin_t
        v = -dx * sin_t + up * cos_t
        rho = np.sqrt((u / self.a[i]) ** 2 + (v / self.b[i]) ** 2)
        if self.amp[i].any():
            rho = rho / self._modulation(i, np.arctan2(v, u))
        return rho

    def _modulation(self, i: int, phi: np.ndarray) -> np.ndarray:
        phi = np.asarray(phi)
        terms = self.amp[i][:, None] * np.cos(
            HARMONICS[:, None] * phi.reshape(1, -1) + self.phase[i][:, None])
        return (1.0 + terms.sum(axis=0)).reshape(phi.shape)


def draw_shapes(rng: np.random.Generator, n: int, *, mean_diameter: float, spread: float,
                max_aspect: float, irregular: float) -> Shapes:
    """Draw ``n`` particle shapes.

    Equivalent circle diameters ``2 sqrt(a b)`` are log-normal with arithmetic mean
    ``mean_diameter`` (px) and log-standard deviation ``spread``; aspect ratios ``a / b`` are
    uniform in [1, ``max_aspect``]; orientations uniform; a share ``irregular`` of the
    particles gets a modulated outline.

    Examples
    --------
    >>> s = draw_shapes(np.random.default_rng(0), 3, mean_diameter=20.0, spread=0.0,
    ...                 max_aspect=1.0, irregular=0.0)
    >>> np.round(s.a, 6).tolist()
    [10.0, 10.0, 10.0]
    """
    mu = np.log(mean_diameter) - spread**2 / 2  # so that E[diameter] = mean_diameter
    diameters = np.maximum(np.exp(rng.normal(mu, spread, n)), 2.0)
    aspect = rng.uniform(1.0, max_aspect, n)
    radius = diameters / 2
    theta = rng.uniform(0.0, np.pi, n)
    is_irregular = rng.random(n) < irregular
    amp = rng.uniform(0.0, 1.0, (n, 3)) * _MAX_AMPLITUDES * is_irregular[:, None]
    phase = rng.uniform(0.0, 2 * np.pi, (n, 3))
    return Shapes(radius * np.sqrt(aspect), radius / np.sqrt(aspect), theta, amp, phase)
