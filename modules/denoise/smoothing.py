"""Noise filters for one grey plane: Gaussian, median, non-local means.

All functions take and return float32 arrays in the image's own grey units (no rescaling),
so strengths such as ``h`` are in the same units the user reads off the image.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import disk
from skimage.restoration import denoise_nl_means

__all__ = ["NLM_PATCH_DISTANCE", "NLM_PATCH_SIZE", "gaussian", "median", "nl_means",
           "noise_sigma"]

# Patch 5x5 searched within 13x13: the values of scikit-image's own NL-means example, a good
# balance for SEM/LM noise; larger windows cost time quadratically for little gain.
NLM_PATCH_SIZE = 5
NLM_PATCH_DISTANCE = 6

# High-pass decomposition filter of the Daubechies-2 wavelet (PyWavelets' db2 dec_hi).
_S3, _NORM = np.sqrt(3.0), 4.0 * np.sqrt(2.0)
_DB2_HIGH = np.array([-(1 + _S3), 3 + _S3, -(3 - _S3), 1 - _S3]) / _NORM
# Median of |N(0, 1)|: turns a median absolute deviation into a standard deviation.
_MAD_TO_SIGMA = 0.6744897501960817


def gaussian(image: np.ndarray, *, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels (mirror edges).

    Parameters
    ----------
    image : (M, N) float32 ndarray
    sigma : float
        Standard deviation in pixels; white noise std drops by about ``1 / (2 sqrt(pi) sigma)``.

    Returns
    -------
    (M, N) float32 ndarray
    """
    return ndimage.gaussian_filter(image, sigma=sigma, output=np.float32, mode="reflect")


def median(image: np.ndarray, *, radius: int) -> np.ndarray:
    """Median over a disk of ``radius`` whole pixels (radius 1 is the 5-pixel cross).

    Examples
    --------
    >>> img = np.full((5, 5), 10, np.float32); img[2, 2] = 255
    >>> float(median(img, radius=1)[2, 2])
    10.0
    """
    return ndimage.median_filter(image, footprint=disk(radius), mode="reflect")


def noise_sigma(image: np.ndarray) -> float:
    """Estimate the Gaussian noise standard deviation of ``image``, in its grey units.

    The estimator of ``skimage.restoration.estimate_sigma`` (Donoho & Johnstone 1994): the
    median absolute value of the finest diagonal Daubechies-2 wavelet coefficients divided
    by 0.6745. Written with scipy so the module does not need PyWavelets; coefficients that
    are exactly zero (flat, masked areas) are ignored, as scikit-image does.
    """
    rows = ndimage.convolve1d(image, _DB2_HIGH, axis=0, mode="reflect")[1::2].copy()
    detail = ndimage.convolve1d(rows, _DB2_HIGH, axis=1, mode="reflect")[:, 1::2]
    detail = detail[detail != 0]
    return float(np.median(np.abs(detail)) / _MAD_TO_SIGMA) if detail.size else 0.0


def nl_means(image: np.ndarray, *, h: float | None) -> tuple[np.ndarray, float]:
    """Non-local means (fast mode) with noise sigma estimated from the image.

    Parameters
    ----------
    image : (M, N) float32 ndarray
    h : float or None
        Filter strength in grey levels; None uses ``0.8 * sigma``, the value scikit-image
        recommends with fast mode and a known sigma.

    Returns
    -------
    denoised : (M, N) float32 ndarray
    h : float
        The strength actually used (for the log).
    """
    sigma = noise_sigma(image)
    strength = 0.8 * sigma if h is None else float(h)
    if strength <= 0:
        return image, strength  # a noise-free image: nothing to average away
    out = denoise_nl_means(image, patch_size=NLM_PATCH_SIZE, patch_distance=NLM_PATCH_DISTANCE,
                           h=strength, sigma=sigma, fast_mode=True, preserve_range=True)
    return out.astype(np.float32, copy=False), strength
