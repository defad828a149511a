"""The secondary-electron (SE) look of real SEM images of particle agglomerates.

What an Everhart-Thornley or in-lens SE image of nanoparticles shows, and how it is made here
(grey levels on the 0..255 scale, before noise):

* Edge brightening: SE escape from a surface grows where the beam hits it at a slant and near
  an edge, so a particle has a bright rim and a darker core. The rim is
  ``rim * exp(-d / rim_width)`` with ``d`` the distance to the particle's own outline, plus
  the secant law of a sphere, ``slope * (1 / cos(tilt) - 1)``. A global threshold therefore
  splits a particle into a bright ring and a dark core close to the substrate.
* Surfaces tilted towards the detector are brighter (``facing``); particles lifted higher in
  an agglomerate are brighter; the hidden side of a contact (the particle behind) is dark.
* Shading across the field: a gradient (off-axis detector) and vignetting, multiplying
  everything.
* Charging: short bright streaks trailing bright regions along the scan direction (+x) on
  some scan lines.
* Scan-line noise: every row gets its own offset and gain, after the shot noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from .depth import FrontView
from .raster import contact_pixels
from .render import BandStep, IntensityRows

__all__ = ["SELook", "charging_step", "line_jitter_step", "se_intensity", "shading_rows",
           "tones"]

BACKGROUND = 38.0     # substrate grey level
CORE_STEP = 30.0      # a particle core's mean level above the substrate
RIM = 125.0           # rim brightening at the outline, for edge_contrast 1
SLOPE = 18.0          # secant-law brightening, for edge_contrast 1
DETECTOR = 20.0       # brightening of surfaces tilted fully towards the detector
LIFT_GAIN = 20.0      # brightening per lift of one radius (particles on top of others)
CREVICE = 0.55        # factor on the hidden side of a contact
_SECANT_CLIP = 3.0    # 1 / cos(tilt) stops growing here (tilt ~ 70 degrees)
_CHARGE_LEVEL = 130.0  # grey level above which a region charges
_CHARGE_GAIN = 1.0    # streak start per grey level x px of excess crossed, for charging 1
_CHARGED_ROWS = 0.06  # share of scan lines that carry a streak, for charging 1


@dataclass(frozen=True)
class SELook:
    """Strength of each SE effect; 0 turns one off.

    Attributes
    ----------
    edge_contrast
        Scales rim and secant brightening (1 = typical in-lens SE image).
    rim_width
        Decay length of the rim, px (the SE escape region; about 1-3 px at 5-10 nm/px).
    shading
        Depth of the gradient and vignetting, as a share of the signal (0.3: corners about
        30 % darker or brighter than the centre).
    charging
        Height and frequency of charging streaks (0..1).
    line_noise
        Standard deviation of the per-row offset (share of full scale) and of the per-row
        gain.
    """

    edge_contrast: float = 1.0
    rim_width: float = 2.0
    shading: float = 0.3
    charging: float = 0.3
    line_noise: float = 0.02


def tones(rng: np.random.Generator, lift: np.ndarray, radius: np.ndarray,
          look: SELook) -> tuple[np.ndarray, np.ndarray]:
    """Per-label core level and rim height (index 0 = substrate, unused)."""
    n = len(lift)
    core = np.zeros(n + 1, dtype=np.float32)
    rim = np.zeros(n + 1, dtype=np.float32)
    core[1:] = BACKGROUND + CORE_STEP * rng.uniform(0.6, 1.4, n) + LIFT_GAIN * lift / radius
    rim[1:] = RIM * look.edge_contrast * rng.uniform(0.7, 1.3, n)
    return core, rim


def se_intensity(view: FrontView, radius: np.ndarray, core: np.ndarray, rim: np.ndarray,
                 shade: IntensityRows, look: SELook) -> IntensityRows:
    """Noise-free SE grey levels, row band by row band (``radius`` indexed by label)."""
    labels, height = view.labels, view.labels.shape[0]
    slope = np.float32(SLOPE * look.edge_contrast)
    width = np.float32(max(look.rim_width, 1e-3))

    def rows(top: int, bottom: int) -> np.ndarray:
        block = labels[top:bottom]
        inside = block > 0
        k = block[inside]
        r = view.rho[top:bottom][inside].astype(np.float32)
        secant = np.minimum(1.0 / np.sqrt(np.maximum(1.0 - r * r, 1e-6)), _SECANT_CLIP) - 1.0
        edge = rim[k] * np.exp(-(1.0 - r) * radius[k] / width)
        grey = np.full(block.shape, BACKGROUND, dtype=np.float32)
        grey[inside] = (core[k] + edge + slope * secant
                        + DETECTOR * view.facing[top:bottom][inside].astype(np.float32))
        lo, hi = max(0, top - 1), min(height, bottom + 1)
        contact = contact_pixels(labels[lo:hi])[top - lo:top - lo + (bottom - top)]
        hidden = contact & (view.rho[top:bottom] < 0.9)  # the owner's interior: it is behind
        grey[hidden] *= CREVICE
        return grey * shade(top, bottom)

    return rows


def shading_rows(rng: np.random.Generator, height: int, width: int,
                 strength: float) -> IntensityRows:
    """Multiplicative field about 1: a linear gradient, vignetting and a slow wave."""
    gamma, phase = rng.uniform(0, 2 * np.pi, 2)
    wave = rng.uniform(0.5, 1.2)
    x = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]

    def rows(top: int, bottom: int) -> np.ndarray:
        y = (np.arange(top, bottom, dtype=np.float32)[:, None] * 2 / max(height - 1, 1)) - 1
        gradient = 0.5 * (np.cos(gamma) * x + np.sin(gamma) * y)
        vignette = 0.35 * (x * x + y * y)
        slow = 0.15 * np.sin(np.pi * wave * (x + y) + phase)
        return (1.0 + strength * (gradient - vignette + slow)).astype(np.float32)

    return rows


def charging_step(rng: np.random.Generator, height: int, strength: float) -> BandStep:
    """Bright streaks trailing bright regions to the right, on a few scan lines.

    Charged lines come in short runs (1-3 lines); on them the excess over the charging level
    is accumulated along the line and decays with an exponential tail 6-20 px long, so a
    bright rim crossed by the beam leaves a streak tens of grey levels high behind it.
    """
    gain = np.zeros(height, dtype=np.float32)
    runs = rng.poisson(strength * _CHARGED_ROWS * height / 2)
    starts = rng.integers(0, max(height, 1), runs)
    lengths = rng.integers(1, 4, runs)
    heights = rng.uniform(0.4, 1.0, runs).astype(np.float32)
    for start, length, value in zip(starts, lengths, heights, strict=True):
        gain[start:start + length] = np.maximum(gain[start:start + length], value)
    decay = float(np.exp(-1.0 / rng.uniform(6.0, 20.0)))
    scale = np.float32(_CHARGE_GAIN * strength)

    def step(top: int, bottom: int, band: np.ndarray) -> np.ndarray:
        lines = np.flatnonzero(gain[top:bottom])
        if lines.size == 0:
            return band
        excess = np.maximum(band[lines] - np.float32(_CHARGE_LEVEL), 0)
        tail = signal.lfilter([0.0, 1.0], [1.0, -decay], excess, axis=1)
        band[lines] += (scale * gain[top + lines, None] * tail).astype(np.float32)
        return band

    return step


def line_jitter_step(rng: np.random.Generator, height: int, strength: float) -> BandStep:
    """Per-row offset (``strength`` x 255 standard deviation) and gain (1 +- ``strength``)."""
    offset = (rng.standard_normal(height) * 255.0 * strength).astype(np.float32)
    gain = (1.0 + rng.standard_normal(height) * strength).astype(np.float32)

    def step(top: int, bottom: int, band: np.ndarray) -> np.ndarray:
        return band * gain[top:bottom, None] + offset[top:bottom, None]

    return step
