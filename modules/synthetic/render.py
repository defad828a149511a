"""Turn ground truth into an 8-bit micrograph: grey levels, blur, shot noise.

Images are rendered in bands of rows, each with a margin as wide as the blur kernel, so a
band's pixels equal those of blurring the whole image at once while memory stays at a few
band-sized float arrays even for 8192 x 8192 images.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from .raster import contact_pixels

__all__ = ["BAND_ROWS", "particle_intensity", "render_bands", "smooth_background"]

BAND_ROWS = 512
_TRUNCATE = 4.0  # Gaussian kernel radius in sigmas (scipy's default)
_RIM_CLIP = 0.96  # rho where secondary-electron edge brightening stops growing
_CREVICE = 0.55  # brightness factor on pixels where two particles meet (shadowed neck)

IntensityRows = Callable[[int, int], np.ndarray]
BandStep = Callable[[int, int, np.ndarray], np.ndarray]


def render_bands(height: int, width: int, intensity_rows: IntensityRows, *, blur: float,
                 noise: float, seed: int, after_blur: BandStep | None = None,
                 after_noise: BandStep | None = None) -> np.ndarray:
    """Render rows ``[0, height)`` to uint8.

    Parameters
    ----------
    intensity_rows
        ``f(top, bottom)`` returning the noise-free float32 grey levels (0..255 scale) of
        rows ``top`` to ``bottom``.
    blur
        Gaussian sigma in pixels (0 = none), applied before the noise as in a real detector.
    noise
        Shot noise: standard deviation relative to full scale at a white pixel. Grey level
        ``g`` becomes ``gain * Poisson(g / gain)`` with ``gain = 255 * noise**2``.
    seed
        Seeds the noise of every band, so the output depends only on the inputs.
    after_blur, after_noise
        Optional ``f(top, bottom, band)`` steps applied to the band of rows ``top`` to
        ``bottom`` after the blur (detector effects such as charging streaks) and after the
        shot noise (scan electronics such as line jitter).
    """
    margin = int(_TRUNCATE * blur + 0.5) if blur > 0 else 0
    out = np.empty((height, width), dtype=np.uint8)
    for index, top in enumerate(range(0, height, BAND_ROWS)):
        bottom = min(height, top + BAND_ROWS)
        lo, hi = max(0, top - margin), min(height, bottom + margin)
        band = intensity_rows(lo, hi)
        if blur > 0:
            band = ndimage.gaussian_filter(band, blur, mode="reflect", truncate=_TRUNCATE)
        band = band[top - lo:bottom - lo]
        if after_blur is not None:
            band = after_blur(top, bottom, band)
        rng = np.random.default_rng([seed, 7, index])
        band = _shot_noise(band, noise, rng)
        if after_noise is not None:
            band = after_noise(top, bottom, band)
        out[top:bottom] = _quantise(band)
    return out


def _shot_noise(grey: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    if noise <= 0:
        return grey
    gain = 255.0 * noise**2
    counts = rng.poisson(np.maximum(grey, 0) / gain)
    return counts.astype(np.float32) * np.float32(gain)


def _quantise(grey: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)


def smooth_background(rng: np.random.Generator, height: int, width: int, *,
                      level: float = 55.0, tilt: float = 25.0) -> IntensityRows:
    """Make a dark background: a linear gradient (uneven detector collection) plus a gentle wave.

    Returns ``f(top, bottom)`` giving the background rows as float32.
    """
    gamma = rng.uniform(0, 2 * np.pi)
    waves = rng.uniform(0.6, 1.4, 2)
    phases = rng.uniform(0, 2 * np.pi, 2)
    x = np.arange(width, dtype=np.float32) / max(width - 1, 1)
    across = tilt * np.cos(gamma) * x + 6.0 * np.sin(2 * np.pi * waves[0] * x + phases[0])

    def rows(top: int, bottom: int) -> np.ndarray:
        y = np.arange(top, bottom, dtype=np.float32)[:, None] / max(height - 1, 1)
        down = tilt * np.sin(gamma) * y + 6.0 * np.sin(2 * np.pi * waves[1] * y + phases[1])
        return (level + across[None, :] + down).astype(np.float32)

    return rows


def particle_intensity(labels: np.ndarray, rho: np.ndarray, levels: np.ndarray,
                       background: IntensityRows, *, rim: float = 32.0) -> IntensityRows:
    """Grey levels of SEM-like particles over ``background``.

    Each particle has its own base level (``levels[label]``); secondary-electron edge
    brightening grows as ``1 / cos(tilt)`` of a sphere's surface, ``1 / sqrt(1 - rho^2)``,
    so rims are bright; where two particles meet the neck is darkened (shadowed).
    """
    height = labels.shape[0]

    def rows(top: int, bottom: int) -> np.ndarray:
        grey = background(top, bottom)
        lo, hi = max(0, top - 1), min(height, bottom + 1)  # one row more for neighbours
        block = labels[top:bottom]
        inside = block > 0
        r = np.minimum(rho[top:bottom][inside].astype(np.float32), _RIM_CLIP)
        grey[inside] = levels[block[inside]] + rim * (1.0 / np.sqrt(1.0 - r * r) - 1.0)
        contact = contact_pixels(labels[lo:hi])[top - lo:top - lo + (bottom - top)]
        grey[contact] *= _CREVICE
        return grey

    return rows
