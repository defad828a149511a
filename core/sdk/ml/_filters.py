"""The filters of the pixel feature bank, one function per feature group.

Each function takes one normalised grey plane (float32, YX) and one scale ``sigma`` in
pixels and returns a list of float32 planes (one per output of the group). Every filter
comes from scipy.ndimage or scikit-image; what is written here only chooses their scales.
The functions report how far they look (``support``), so a tile padded by that many
pixels gives exactly the values the whole image gives (features.py relies on this).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import ndimage as ndi
from scipy.signal import fftconvolve

__all__ = ["FILTERS", "OUTPUTS", "support"]

# scipy's Gaussian kernels reach int(TRUNCATE * sigma + 0.5) pixels.
_TRUNCATE = 4.0
# Difference of Gaussians: G(sigma) - G(DOG_RATIO * sigma), the ratio Marr and Hildreth found
# closest to a Laplacian of Gaussian.
DOG_RATIO = 1.6
# Gabor: envelope sigma = sigma, wavelength 2 * sigma (one light and one dark band across the
# envelope's width), but never under 2.5 px (no aliasing near Nyquist); 4 orientations.
_GABOR_MIN_WAVELENGTH = 2.5
_GABOR_ORIENTATIONS = 4
_GABOR_STDS = 3
# Local entropy: grey levels quantised to 32 (a histogram of a 5-pixel disc with 256 bins
# is all ones), disc radius 2 * sigma (at least 1).
_ENTROPY_LEVELS = 32

Plane = np.ndarray
Filter = Callable[[Plane, float], list[Plane]]


def _radius(sigma: float) -> int:
    return int(_TRUNCATE * sigma + 0.5)


def _f32(*planes: Plane) -> list[Plane]:
    return [np.asarray(p, dtype=np.float32) for p in planes]


def intensity(plane: Plane, sigma: float) -> list[Plane]:
    """The normalised pixel value itself (sigma is ignored)."""
    return _f32(plane)


def gaussian(plane: Plane, sigma: float) -> list[Plane]:
    """Gaussian smoothing G_sigma * I."""
    return _f32(ndi.gaussian_filter(plane, sigma, truncate=_TRUNCATE))


def difference_of_gaussians(plane: Plane, sigma: float) -> list[Plane]:
    """G_sigma * I - G_(1.6 sigma) * I: blobs and lines about sigma wide."""
    fine = ndi.gaussian_filter(plane, sigma, truncate=_TRUNCATE)
    return _f32(fine - ndi.gaussian_filter(plane, DOG_RATIO * sigma, truncate=_TRUNCATE))


def laplacian_of_gaussian(plane: Plane, sigma: float) -> list[Plane]:
    """Laplacian of the Gaussian-smoothed image, d2/dy2 + d2/dx2 (not scale-normalised)."""
    return _f32(ndi.gaussian_laplace(plane, sigma, truncate=_TRUNCATE))


def gradient_magnitude(plane: Plane, sigma: float) -> list[Plane]:
    """|grad(G_sigma * I)|, in normalised grey levels per pixel."""
    return _f32(ndi.gaussian_gradient_magnitude(plane, sigma, truncate=_TRUNCATE))


def hessian_eigenvalues(plane: Plane, sigma: float) -> list[Plane]:
    """Eigenvalues of the Hessian of G_sigma * I, larger first (both < 0 on a bright blob)."""
    from skimage.feature import hessian_matrix_eigvals

    def derivative(order: tuple[int, int]) -> Plane:
        return ndi.gaussian_filter(plane, sigma, order=order, truncate=_TRUNCATE)

    elements = [derivative((2, 0)), derivative((1, 1)), derivative((0, 2))]
    larger, smaller = hessian_matrix_eigvals(elements)
    return _f32(larger, smaller)


def structure_tensor_eigenvalues(plane: Plane, sigma: float) -> list[Plane]:
    """Eigenvalues of the structure tensor, larger first.

    Derivatives of Gaussian at the inner scale sigma / 2, their products smoothed at the
    outer scale sigma (ilastik's convention): two large eigenvalues at corners and in noise,
    one at an edge, none in flat regions.
    """
    from skimage.feature import structure_tensor_eigenvalues as eigenvalues

    inner = sigma / 2
    dy = ndi.gaussian_filter(plane, inner, order=(1, 0), truncate=_TRUNCATE)
    dx = ndi.gaussian_filter(plane, inner, order=(0, 1), truncate=_TRUNCATE)
    tensor = [ndi.gaussian_filter(a * b, sigma, truncate=_TRUNCATE)
              for a, b in ((dy, dy), (dy, dx), (dx, dx))]
    larger, smaller = eigenvalues(tensor)
    return _f32(larger, smaller)


def _entropy_radius(sigma: float) -> int:
    return max(1, round(2 * sigma))


def local_entropy(plane: Plane, sigma: float) -> list[Plane]:
    """Shannon entropy (bits) of the grey levels (0..1 in 32 levels) in a disc of radius 2 sigma."""
    from skimage.filters.rank import entropy
    from skimage.morphology import disk

    levels = np.clip(plane, 0.0, 1.0) * (_ENTROPY_LEVELS - 1)
    quantised = np.rint(levels).astype(np.uint8)
    return _f32(entropy(quantised, disk(_entropy_radius(sigma))))


def _gabor_kernels(sigma: float) -> list[np.ndarray]:
    from skimage.filters import gabor_kernel

    frequency = 1.0 / max(2.0 * sigma, _GABOR_MIN_WAVELENGTH)
    return [gabor_kernel(frequency, theta=math.pi * k / _GABOR_ORIENTATIONS, sigma_x=sigma,
                         sigma_y=sigma, n_stds=_GABOR_STDS)
            for k in range(_GABOR_ORIENTATIONS)]


def gabor_energy(plane: Plane, sigma: float) -> list[Plane]:
    """Mean over 4 orientations of the Gabor response magnitude |real + i imag|.

    The plane is padded by reflection before an FFT convolution, so borders behave as the
    other filters' (scipy's 'reflect' mode).
    """
    kernels = _gabor_kernels(sigma)
    total = np.zeros(plane.shape, np.float64)
    for kernel in kernels:  # a rotated kernel's box is smaller than the upright one's
        padded = np.pad(plane, [(n // 2, n // 2) for n in kernel.shape], mode="symmetric")
        total += np.abs(fftconvolve(padded, kernel, mode="valid"))
    return _f32(total / len(kernels))


FILTERS: dict[str, Filter] = {
    "intensity": intensity,
    "gaussian": gaussian,
    "dog": difference_of_gaussians,
    "log": laplacian_of_gaussian,
    "gradient": gradient_magnitude,
    "hessian": hessian_eigenvalues,
    "structure": structure_tensor_eigenvalues,
    "entropy": local_entropy,
    "gabor": gabor_energy,
}

# The name of each output plane of a group (groups with one output use the group name).
OUTPUTS: dict[str, tuple[str, ...]] = {
    "hessian": ("hessian-max", "hessian-min"),
    "structure": ("structure-max", "structure-min"),
}


def support(group: str, sigma: float) -> int:
    """How many pixels away from a pixel the group's value at that pixel depends on."""
    if group == "intensity":
        return 0
    if group == "dog":
        return _radius(DOG_RATIO * sigma)
    if group == "structure":
        return _radius(sigma / 2) + _radius(sigma)
    if group == "entropy":
        return _entropy_radius(sigma)
    if group == "gabor":
        return max(max(k.shape) // 2 for k in _gabor_kernels(sigma))
    return _radius(sigma)
