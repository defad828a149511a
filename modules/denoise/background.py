"""Rolling-ball background subtraction for one grey plane.

The ball (Sternberg 1983) rolls under the intensity landscape; the background is the highest
point the ball reaches at each pixel, so what it cannot reach (objects narrower than the ball)
is kept. That is a grey-scale opening with a ball-shaped kernel (height = radius grey levels,
as in ImageJ and scikit-image); scikit-image's ``rolling_ball`` gives its first half (the
erosion: where the ball's apex sits), and a second pass with the ball upside down gives the
full opening, which reproduces any tilted plane exactly. The image is extended beyond its
edges by odd reflection (continuing the local slope), so a background that rises towards an
edge is still followed up to the edge. Its cost
grows with radius², so large radii run on a shrunken image, as ImageJ's "Subtract Background"
does: the image is shrunk by averaging blocks (ImageJ takes the block minimum, which biases
the background low by about two noise standard deviations; the mean does not, and objects
narrower than the ball still stand above it), the ball rolls with a proportionally smaller
radius, and the background is enlarged back with bilinear interpolation.
"""

from __future__ import annotations

import numpy as np
from skimage.restoration import rolling_ball

__all__ = ["estimate_background", "shrink_factor", "subtract_background"]


def shrink_factor(radius: float) -> int:
    """ImageJ's shrink factor for a ball radius in pixels: 1 up to 10 px, then 2, 4 or 8."""
    if radius <= 10:
        return 1
    if radius <= 30:
        return 2
    return 4 if radius <= 100 else 8


def estimate_background(image: np.ndarray, *, radius: float, workers: int = 1) -> np.ndarray:
    """Background under bright objects: the apex height of a ball of ``radius`` pixels.

    Parameters
    ----------
    image : (M, N) float32 ndarray
        Bright objects on a darker background.
    radius : float
        Ball radius in pixels; choose it larger than the largest object.
    workers : int
        Threads the ball may use.

    Returns
    -------
    (M, N) float32 ndarray, never above ``image``.
    """
    factor = shrink_factor(radius)
    background = _ball_opening(_block_mean(image, factor), radius / factor, workers)
    if factor > 1:
        background = _enlarge(background, factor, image.shape)
    # Interpolating the enlarged background can overshoot the image between blocks; a
    # background above the image would make negative intensities.
    return np.minimum(background, image, out=background)


def subtract_background(image: np.ndarray, *, radius: float, light_background: bool = False,
                        workers: int = 1) -> np.ndarray:
    """Remove an uneven background; objects keep their height above (or depth below) it.

    With ``light_background`` the image is flipped (``max - image``) so dark objects on a light
    background become bright objects, the ball rolls, and the result is flipped back: the
    flattened background then sits at the image's highest value.

    Examples
    --------
    >>> ramp = np.tile(np.arange(40, dtype=np.float32), (40, 1))
    >>> float(np.abs(subtract_background(ramp, radius=5)).max())
    0.0
    """
    top = float(image.max())
    work = top - image if light_background else image
    flat = work - estimate_background(work, radius=radius, workers=workers)
    return top - flat if light_background else flat


def _ball_opening(image: np.ndarray, radius: float, workers: int) -> np.ndarray:
    """Grey opening with a ball: erosion (``rolling_ball``) then dilation (the same, negated)."""
    pad = int(np.ceil(radius))
    work = np.pad(image, pad, mode="reflect", reflect_type="odd")
    work = rolling_ball(work, radius=radius, workers=workers)
    np.negative(work, out=work)
    work = rolling_ball(work, radius=radius, workers=workers)
    np.negative(work, out=work)
    return work[pad:-pad, pad:-pad] if pad else work


def _block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor`` x ``factor`` block (edge blocks are padded by repetition)."""
    if factor == 1:
        return image
    rows, cols = image.shape
    pad_r, pad_c = -rows % factor, -cols % factor
    padded = np.pad(image, ((0, pad_r), (0, pad_c)), mode="edge")
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def _enlarge(small: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear enlargement: block centres keep their values, edges are held constant."""
    rows = _interpolate_axis(small, factor, shape[0], axis=0)
    return _interpolate_axis(rows, factor, shape[1], axis=1)


def _interpolate_axis(array: np.ndarray, factor: int, size: int, *, axis: int) -> np.ndarray:
    # Pixel i of the full image lies at (i - (factor - 1) / 2) / factor in block units.
    position = (np.arange(size) - (factor - 1) / 2) / factor
    position = np.clip(position, 0, array.shape[axis] - 1)
    low = np.minimum(np.floor(position).astype(np.intp), array.shape[axis] - 2).clip(0)
    weight = (position - low).astype(np.float32)
    a = np.take(array, low, axis=axis)
    b = np.take(array, np.minimum(low + 1, array.shape[axis] - 1), axis=axis)
    shape = (-1, 1) if axis == 0 else (1, -1)
    return a + (b - a) * weight.reshape(shape)
