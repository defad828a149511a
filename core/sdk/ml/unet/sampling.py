"""Training patches: square regions cut around labelled pixels of the training images.

Each patch is centred on a counted pixel drawn uniformly from all counted pixels of all
images, so a sparsely painted annotation is sampled where it was painted, a fully labelled
image uniformly, and a larger image more often than a smaller one. The region is kept inside
the image where the image is large enough; a smaller image is padded by reflection (its
target with the ignore value, so padding is never learnt from).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lamella.core.sdk.ml.unet.augment import Augmentation, augment
from lamella.core.sdk.ml.unet.targets import IGNORE

__all__ = ["PatchSampler", "cut_region"]


@dataclass
class PatchSampler:
    """Draws augmented patches from images and their targets.

    Parameters
    ----------
    images
        Normalised images, each (C, H, W) float32.
    targets
        Their targets, each (H, W) int64 (:data:`targets.IGNORE` where not counted).
    patch
        Side of a patch in pixels.
    augmentation
        What to change at random (None: nothing, e.g. for validation patches).
    """

    images: list[np.ndarray]
    targets: list[np.ndarray]
    patch: int
    augmentation: Augmentation | None = None
    _counted: list[np.ndarray] = field(init=False, repr=False)
    _cumulative: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._counted = [np.flatnonzero(t >= 0).astype(np.int64) for t in self.targets]
        self._cumulative = np.cumsum([len(c) for c in self._counted])
        if not self._cumulative.size or self._cumulative[-1] == 0:
            raise ValueError("no labelled pixel to train on: every pixel of the labels is 0 or "
                             "the ignore value")

    @property
    def counted_pixels(self) -> int:
        """Pixels that count in the loss, over all images."""
        return int(self._cumulative[-1])

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One patch: image (C, patch, patch) float32 and target (patch, patch) int64."""
        pick = int(rng.integers(self.counted_pixels))
        index = int(np.searchsorted(self._cumulative, pick, side="right"))
        before = int(self._cumulative[index - 1]) if index else 0
        flat = int(self._counted[index][pick - before])
        width = self.targets[index].shape[1]
        centre = (flat // width, flat % width)
        if self.augmentation is None:
            return cut_region(self.images[index], self.targets[index], centre, self.patch)
        size = self.augmentation.region_size(rng, self.patch)
        image, target = cut_region(self.images[index], self.targets[index], centre, size)
        return augment(rng, image, target, self.patch, self.augmentation)

    def batch(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``size`` patches stacked: images (N, C, p, p) and targets (N, p, p)."""
        drawn = [self.draw(rng) for _ in range(size)]
        return np.stack([d[0] for d in drawn]), np.stack([d[1] for d in drawn])


def cut_region(image: np.ndarray, target: np.ndarray, centre: tuple[int, int],
               size: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``size`` x ``size`` region around ``centre``, inside the image where it fits.

    The centre pixel is always inside the region. Along an axis shorter than ``size`` the
    region is padded: the image by reflection, the target with the ignore value.
    """
    starts, pads = [], []
    for axis, position in enumerate(centre):
        length = target.shape[axis]
        start = int(np.clip(position - size // 2, 0, max(length - size, 0)))
        starts.append(start)
        pads.append(max(0, size - length))
    (top, left), (pad_y, pad_x) = starts, pads
    image = image[:, top:top + size, left:left + size]
    target = target[top:top + size, left:left + size]
    if pad_y or pad_x:
        widths = ((pad_y // 2, pad_y - pad_y // 2), (pad_x // 2, pad_x - pad_x // 2))
        mode = _pad_mode(image.shape[1:], widths)
        image = np.pad(image, ((0, 0), *widths), mode=mode)  # type: ignore[call-overload]
        target = np.pad(target, widths, mode="constant", constant_values=IGNORE)
    return image, target


def _pad_mode(shape: tuple[int, ...], widths: tuple[tuple[int, int], ...]) -> str:
    """Reflection needs each pad narrower than the axis; a tiny image repeats its edge."""
    fits = all(max(pad) < length for length, pad in zip(shape, widths, strict=True))
    return "reflect" if fits else "edge"
