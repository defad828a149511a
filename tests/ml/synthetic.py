"""Small synthetic images whose true classes are known, for the pixel-classifier tests."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi


def texture_pair(size: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(image, truth): a smooth and a grainy phase with the same grey-level histogram.

    Both phases have mean 0.5 and standard deviation 0.15; the smooth one is white noise
    blurred by 3 px and rescaled, so only texture tells them apart. truth: 1 = smooth
    (left half and a square on the right), 2 = grainy.
    """
    rng = np.random.default_rng(seed)
    truth = np.full((size, size), 2, np.int64)
    truth[:, : size // 2] = 1
    truth[size // 4: size // 2, 3 * size // 4 - 12: 3 * size // 4 + 12] = 1
    smooth = ndi.gaussian_filter(rng.normal(size=(size, size)), 3)
    smooth = 0.5 + 0.15 * (smooth - smooth.mean()) / smooth.std()
    grainy = rng.normal(0.5, 0.15, (size, size))
    return np.where(truth == 1, smooth, grainy).astype(np.float32), truth


def texture_strokes(size: int = 128) -> np.ndarray:
    """A few painted lines: two in the smooth phase (1), two in the grainy phase (2)."""
    strokes = np.zeros((size, size), np.uint8)

    def at(fraction: float) -> int:
        return round(fraction * size)

    strokes[at(0.16):at(0.16) + 3, at(0.08):at(0.39)] = 1
    strokes[at(0.70):at(0.86), at(0.23):at(0.23) + 3] = 1
    strokes[at(0.08):at(0.08) + 3, at(0.62):at(0.94)] = 2
    strokes[at(0.78):at(0.78) + 3, at(0.59):at(0.94)] = 2
    return strokes


def best_threshold_accuracy(image: np.ndarray, truth: np.ndarray) -> float:
    """The best pixel accuracy any single grey level reaches (either side as class 1)."""
    levels = np.quantile(image, np.linspace(0.005, 0.995, 199))
    best = 0.0
    for level in levels:
        above = image > level
        accuracy = float(np.mean(above == (truth == 1)))
        best = max(best, accuracy, 1 - accuracy)
    return best
