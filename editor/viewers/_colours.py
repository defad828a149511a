"""Colour an overlay (labels, mask or probabilities) and blend it over an 8-bit image.

An overlay is colours plus a per-pixel coverage (0 = see-through). Blending is integer numpy
on whole arrays, so changing the opacity of a 2048 x 2048 overlay re-blends in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "MASK_COLOUR",
    "OVERLAY_KINDS",
    "PROBABILITY_LUT",
    "ColouredOverlay",
    "blend",
    "colour_overlay",
    "grey_to_rgb",
    "label_colours",
]

OVERLAY_KINDS = ("labels", "mask", "probabilities")
MASK_COLOUR = (255, 64, 160)  # a pink no grey micrograph contains, so the mask stands out
_GOLDEN = 0.618033988749895
# Above this many distinct ids a lookup table by id would be too large; ids are renumbered.
_MAX_LUT_IDS = 1 << 24
# Viridis at nine stops: readable in grey print and by colour-blind viewers, dark at 0.
_VIRIDIS_STOPS = np.array([
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)], dtype=np.float64)


def _viridis_lut() -> np.ndarray:
    where = np.linspace(0, 1, 256)
    stops = np.linspace(0, 1, len(_VIRIDIS_STOPS))
    channels = [np.interp(where, stops, _VIRIDIS_STOPS[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


PROBABILITY_LUT = _viridis_lut()  # (256, 3) uint8: colour of probability i / 255


@dataclass(frozen=True)
class ColouredOverlay:
    """RGB colours (H, W, 3) uint8 and coverage (H, W) bool: where the overlay is drawn."""

    rgb: np.ndarray
    covered: np.ndarray


def label_colours(ids: np.ndarray) -> np.ndarray:
    """A distinct RGB uint8 colour per label id, the same as the overlay module draws.

    The hue steps by the golden ratio per id, so neighbouring ids get far-apart hues and an
    id keeps its colour between runs and between the viewer and the saved overlay.
    """
    hue = np.mod(np.asarray(ids, dtype=np.float64) * _GOLDEN, 1.0)
    return _hsv_to_rgb(hue, 0.85, 1.0)


def colour_overlay(values: np.ndarray, kind: str) -> ColouredOverlay:
    """Colours and coverage of a 2-D overlay of ``kind`` ('labels', 'mask', 'probabilities')."""
    if kind == "labels":
        return _colour_labels(values)
    if kind == "mask":
        covered = values != 0
        rgb = np.empty((*values.shape, 3), dtype=np.uint8)
        rgb[:] = MASK_COLOUR
        return ColouredOverlay(rgb, covered)
    if kind == "probabilities":
        levels = np.rint(np.nan_to_num(np.clip(values, 0.0, 1.0), nan=0.0) * 255).astype(np.uint8)
        return ColouredOverlay(np.take(PROBABILITY_LUT, levels, axis=0), np.ones(values.shape, dtype=bool))
    raise ValueError(f"overlay kind '{kind}' is not one of {', '.join(OVERLAY_KINDS)}")


def grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    """(H, W) uint8 -> (H, W, 3) uint8; an (H, W, 3) array passes through."""
    return grey if grey.ndim == 3 else np.repeat(grey[:, :, None], 3, axis=2)


def blend(base: np.ndarray, overlay: ColouredOverlay, opacity: float) -> np.ndarray:
    """``base`` (H, W, 3) uint8 with ``overlay`` drawn at ``opacity`` (0..1) where it covers.

    Opacity 0 returns the base pixels exactly; uncovered pixels (label 0) are never changed.
    """
    alpha = round(min(1.0, max(0.0, opacity)) * 255)
    if alpha == 0:
        return base
    weight = overlay.covered.astype(np.uint16)[:, :, None] * np.uint16(alpha)
    mixed = base * (np.uint16(255) - weight) + overlay.rgb * weight + np.uint16(127)
    return (mixed // np.uint16(255)).astype(np.uint8)


def _colour_labels(labels: np.ndarray) -> ColouredOverlay:
    covered = labels != 0
    if labels.size == 0:
        return ColouredOverlay(np.zeros((*labels.shape, 3), dtype=np.uint8), covered)
    top = int(labels.max())
    if top < _MAX_LUT_IDS:
        # np.take is ~3x faster than fancy indexing for a small table gathered by many indices.
        return ColouredOverlay(np.take(label_colours(np.arange(top + 1)), labels, axis=0), covered)
    ids, index = np.unique(labels, return_inverse=True)
    return ColouredOverlay(np.take(label_colours(ids), index.reshape(labels.shape), axis=0), covered)


def _hsv_to_rgb(hue: np.ndarray, saturation: float, value: float) -> np.ndarray:
    """Vectorised HSV -> RGB uint8 for one saturation and value (the textbook six sectors)."""
    sector = np.floor(hue * 6.0)
    frac = hue * 6.0 - sector
    p = np.full_like(hue, value * (1 - saturation))
    q = value * (1 - frac * saturation)
    t = value * (1 - (1 - frac) * saturation)
    v = np.full_like(hue, value)
    which = sector.astype(np.int64) % 6
    r = np.choose(which, [v, q, p, p, t, v])
    g = np.choose(which, [t, v, v, q, p, p])
    b = np.choose(which, [p, p, t, v, v, q])
    return np.rint(np.stack([r, g, b], axis=-1) * 255).astype(np.uint8)
