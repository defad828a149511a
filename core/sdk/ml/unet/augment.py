"""Random changes to training patches, so a model learns what stays the same under them.

Every draw comes from the one ``numpy.random.Generator`` the training loop passes in, in a
fixed order, so a seed gives the same patches every time. Geometry (scale, flips, 90-degree
rotations) changes image and target together; intensity (brightness, contrast, blur, noise)
changes the image only. Intensities are those of the normalised image (0..1 spans its
1st-99th percentiles).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage

__all__ = ["Augmentation", "augment"]


@dataclass(frozen=True)
class Augmentation:
    """How strongly each change is drawn; 0 or False turns it off.

    Parameters
    ----------
    flips
        Mirror left-right and top-bottom, each with probability 1/2.
    rotations
        Rotate by 0, 90, 180 or 270 degrees (square patches only).
    brightness
        Largest shift added to the normalised intensities (uniform in +-brightness).
    contrast
        Largest relative change of contrast (gain uniform in 1 +- contrast).
    blur
        Largest Gaussian blur sigma in pixels, applied to half of the patches.
    noise
        Largest standard deviation of added Gaussian noise (uniform in 0..noise).
    scale
        Largest relative zoom: the patch is cut at a size ``patch * z`` with ``log z`` uniform
        in +-log(1 + scale) and resized to the patch size, so objects look up to that much
        smaller or larger.
    """

    flips: bool = True
    rotations: bool = True
    brightness: float = 0.1
    contrast: float = 0.2
    blur: float = 1.0
    noise: float = 0.05
    scale: float = 0.2

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain values (for the model file)."""
        return asdict(self)

    def region_size(self, rng: np.random.Generator, patch: int) -> int:
        """Side of the region to cut for one patch (its zoom drawn from ``rng``)."""
        if self.scale <= 0:
            return patch
        zoom = np.exp(rng.uniform(-np.log1p(self.scale), np.log1p(self.scale)))
        return max(2, round(patch * zoom))

    @property
    def largest_region(self) -> float:
        """The largest region :meth:`region_size` can ask for, per pixel of patch."""
        return 1.0 + max(self.scale, 0.0)


def augment(rng: np.random.Generator, image: np.ndarray, target: np.ndarray, patch: int,
            settings: Augmentation) -> tuple[np.ndarray, np.ndarray]:
    """A patch of ``patch`` x ``patch`` pixels made from a region and its target.

    Parameters
    ----------
    image : (C, S, S) float32 ndarray
        The region cut for this patch (S from :meth:`Augmentation.region_size`).
    target : (S, S) int64 ndarray
        Its target (:data:`targets.IGNORE` where not counted).

    Returns
    -------
    image : (C, patch, patch) float32, target : (patch, patch) int64
    """
    image, target = _resize(image, target, patch)
    if settings.flips:
        if rng.random() < 0.5:
            image, target = image[:, :, ::-1], target[:, ::-1]
        if rng.random() < 0.5:
            image, target = image[:, ::-1, :], target[::-1, :]
    if settings.rotations:
        turns = int(rng.integers(4))
        image, target = np.rot90(image, turns, axes=(1, 2)), np.rot90(target, turns)
    image = _intensity(rng, np.ascontiguousarray(image, dtype=np.float32), settings)
    return image, np.ascontiguousarray(target)


def _resize(image: np.ndarray, target: np.ndarray, patch: int) -> tuple[np.ndarray, np.ndarray]:
    """Resize a square region to ``patch``: linear for the image, nearest for the target."""
    size = target.shape[0]
    if size == patch:
        return image, target
    zoom = patch / size
    image = np.stack([ndimage.zoom(channel, zoom, order=1, mode="reflect", grid_mode=True)
                      for channel in image])
    # Nearest neighbour keeps classes whole, and the ignore value (-1) stays as it is.
    target = ndimage.zoom(target, zoom, order=0, mode="nearest", grid_mode=True)
    return image[:, :patch, :patch], target[:patch, :patch]


def _intensity(rng: np.random.Generator, image: np.ndarray, settings: Augmentation) -> np.ndarray:
    """Contrast, brightness, blur and noise, drawn in this order (all draws always made)."""
    gain = 1.0 + rng.uniform(-settings.contrast, settings.contrast)
    shift = rng.uniform(-settings.brightness, settings.brightness)
    blur = rng.uniform(0.0, settings.blur) if rng.random() < 0.5 else 0.0
    sigma = rng.uniform(0.0, settings.noise)
    noise_seed = int(rng.integers(2**32))
    mean = float(image.mean())
    image = (image - mean) * np.float32(gain) + np.float32(mean + shift)
    if blur > 0.05:
        image = np.stack([ndimage.gaussian_filter(channel, blur) for channel in image])
    if sigma > 0:
        noise = np.random.default_rng(noise_seed).standard_normal(image.shape, dtype=np.float32)
        image = image + np.float32(sigma) * noise
    return image.astype(np.float32, copy=False)

