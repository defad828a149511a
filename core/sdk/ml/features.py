"""Pixel features for the random-forest pixel classifier (ilastik's feature bank).

Every channel of an image is normalised (:class:`Normalisation`) and filtered at several
scales; each filter output is one feature, a float32 plane. The groups (formulas in
``docs/pixel-classifier.md``):

==============  ================================================  =========================
group           what                                              outputs per scale
==============  ================================================  =========================
intensity       the normalised pixel value (once, no scale)       1
gaussian        G_sigma * I                                       1
dog             G_sigma * I - G_1.6sigma * I                      1
log             Laplacian of G_sigma * I                          1
gradient        gradient magnitude of G_sigma * I                 1
hessian         Hessian eigenvalues of G_sigma * I                2 (larger, smaller)
structure       structure-tensor eigenvalues (inner sigma/2)      2 (larger, smaller)
entropy         Shannon entropy in a disc of radius 2 sigma       1
gabor           mean Gabor energy over 4 orientations             1
==============  ================================================  =========================

With the default scales (0.7, 1, 1.6, 3.5, 5, 10 px) that is 1 + 6 x 10 = 61 features per
channel. Memory: features x pixels x 4 bytes, 61 x 512 x 512 x 4 = 64 MB for a 512 x 512
grey image, 1 GB for 2048 x 2048. :func:`feature_tiles` computes them tile by tile (with a
margin as wide as the widest filter, so tiles give exactly the whole image's values) to bound
memory; :func:`compute_features` computes one region (or the whole image) at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lamella.core.sdk.ml._filters import FILTERS, OUTPUTS, support

__all__ = ["DEFAULT_SIGMAS", "FEATURE_GROUPS", "FeatureBank", "Normalisation", "Region",
           "as_channels", "compute_features", "feature_tiles", "region_slices",
           "sigmas_from_lengths"]

DEFAULT_SIGMAS: tuple[float, ...] = (0.7, 1.0, 1.6, 3.5, 5.0, 10.0)
FEATURE_GROUPS: tuple[str, ...] = tuple(FILTERS)
Region = tuple[slice, slice]


@dataclass(frozen=True)
class FeatureBank:
    """Which feature groups at which scales (sigma in pixels).

    Examples
    --------
    >>> bank = FeatureBank(sigmas=(1.0, 3.0), groups=("intensity", "gaussian", "hessian"))
    >>> bank.names(channels=1)
    ['ch0 intensity', 'ch0 gaussian s=1', 'ch0 hessian-max s=1', 'ch0 hessian-min s=1', \
'ch0 gaussian s=3', 'ch0 hessian-max s=3', 'ch0 hessian-min s=3']
    """

    sigmas: tuple[float, ...] = DEFAULT_SIGMAS
    groups: tuple[str, ...] = FEATURE_GROUPS

    def __post_init__(self) -> None:
        unknown = [g for g in self.groups if g not in FILTERS]
        if unknown:
            raise ValueError(f"unknown feature group '{unknown[0]}'; the groups are "
                             f"{', '.join(FILTERS)}")
        bad = [s for s in self.sigmas if not (math.isfinite(s) and s > 0)]
        if bad:
            raise ValueError(f"feature scale {bad[0]!r} px is not a positive number; give scales "
                             "such as 0.7, 1, 1.6, 3.5, 5, 10")
        if not self.groups or (not self.sigmas and self.groups != ("intensity",)):
            raise ValueError("a feature bank needs at least one group and one scale")
        object.__setattr__(self, "sigmas", tuple(float(s) for s in self.sigmas))
        object.__setattr__(self, "groups", tuple(self.groups))

    def plan(self) -> list[tuple[str, float]]:
        """(group, sigma) pairs in the order features are stacked; intensity comes once."""
        steps = [("intensity", 0.0)] if "intensity" in self.groups else []
        scaled = [g for g in self.groups if g != "intensity"]
        return steps + [(g, s) for s in self.sigmas for g in scaled]

    def names(self, channels: int) -> list[str]:
        """One name per feature, e.g. ``'ch0 gaussian s=1.6'``, in stacking order."""
        names = []
        for c in range(channels):
            for group, sigma in self.plan():
                scale = "" if group == "intensity" else f" s={sigma:g}"
                names += [f"ch{c} {out}{scale}" for out in OUTPUTS.get(group, (group,))]
        return names

    def count(self, channels: int) -> int:
        """Number of features for an image of ``channels`` channels."""
        return len(self.names(channels))

    @property
    def halo(self) -> int:
        """Pixels beyond a region that its features depend on (the widest filter's reach)."""
        return max((support(g, s) for g, s in self.plan()), default=0) + 1

    def bytes_for(self, channels: int, pixels: int) -> int:
        """Memory of a feature stack: features x pixels x 4 bytes."""
        return self.count(channels) * pixels * 4

    def to_metadata(self) -> dict[str, Any]:
        """JSON-ready description (model files record it)."""
        return {"sigmas_px": list(self.sigmas), "groups": list(self.groups)}

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> FeatureBank:
        """The bank :meth:`to_metadata` described."""
        return cls(sigmas=tuple(data["sigmas_px"]), groups=tuple(data["groups"]))


def sigmas_from_lengths(lengths: Sequence[float], unit: str, pixel_size: float,
                        pixel_unit: str) -> tuple[float, ...]:
    """Scales given as physical lengths (e.g. nm) in pixels of an image with that pixel size."""
    from lamella.core.units import convert_length

    per_pixel = convert_length(pixel_size, pixel_unit, unit)
    return tuple(round(length / per_pixel, 4) for length in lengths)


@dataclass(frozen=True)
class Normalisation:
    """Per-channel robust intensity scaling: (I - low) / (high - low).

    ``low`` and ``high`` are the 1st and 99th percentiles of each channel of the training
    image; a model applies the same numbers to every image it predicts, so features mean the
    same grey levels. A channel whose percentiles coincide uses its min and max, and a
    constant channel is only shifted (scale 1).
    """

    low: tuple[float, ...]
    high: tuple[float, ...]
    percentiles: tuple[float, float] = field(default=(1.0, 99.0))

    @classmethod
    def of(cls, channels: np.ndarray, percentiles: tuple[float, float] = (1.0, 99.0)) -> Normalisation:
        """Measure the scaling of a (C, Y, X) image."""
        lows, highs = [], []
        for plane in channels:
            sample = plane.ravel()[:: _step(plane.size)]
            low, high = np.percentile(sample, percentiles)
            if high <= low:
                low, high = float(sample.min()), float(sample.max())
            lows.append(float(low))
            highs.append(float(high))
        return cls(tuple(lows), tuple(highs), (float(percentiles[0]), float(percentiles[1])))

    def apply(self, channels: np.ndarray) -> np.ndarray:
        """The (C, Y, X) image scaled to about 0..1 per channel, float32."""
        if len(channels) != len(self.low):
            raise ValueError(f"normalisation is for {len(self.low)} channel(s), the image has "
                             f"{len(channels)}")
        out = np.empty(channels.shape, np.float32)
        for c, plane in enumerate(channels):
            span = self.high[c] - self.low[c]
            out[c] = (plane.astype(np.float32) - np.float32(self.low[c])) / np.float32(span or 1.0)
        return out

    def to_metadata(self) -> dict[str, Any]:
        """JSON-ready description (model files record it)."""
        return {"method": "percentile", "percentiles": list(self.percentiles),
                "low": list(self.low), "high": list(self.high)}

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> Normalisation:
        """The normalisation :meth:`to_metadata` described."""
        low, high = data["percentiles"]
        return cls(tuple(data["low"]), tuple(data["high"]), (float(low), float(high)))


def _step(size: int) -> int:
    """Every n-th pixel so percentiles look at about 4 million pixels (fast on big images)."""
    return max(1, size // 4_000_000)


def as_channels(pixels: np.ndarray, channel_axis: bool) -> np.ndarray:
    """``pixels`` as (C, Y, X): a grey (Y, X) plane gets a channel axis of length 1."""
    pixels = np.asarray(pixels)
    expected = 3 if channel_axis else 2
    if pixels.ndim != expected:
        shape = "(C, Y, X)" if channel_axis else "(Y, X)"
        raise ValueError(f"expected a {shape} array, got shape {pixels.shape}")
    if pixels.dtype.kind not in "biuf":
        raise ValueError(f"pixels of type {pixels.dtype} cannot be classified; give numbers")
    return pixels if channel_axis else pixels[np.newaxis]


def compute_features(normalised: np.ndarray, bank: FeatureBank,
                     region: Region | None = None) -> np.ndarray:
    """Features of ``region`` (or the whole image) of a normalised (C, Y, X) image.

    Returns
    -------
    numpy.ndarray
        float32, shape (y, x, features): pixels first, so rows of the reshaped (pixels,
        features) array go straight to scikit-learn. The values equal those of the whole
        image at the same pixels (the region is filtered with a margin of ``bank.halo``).
    """
    height, width = normalised.shape[1:]
    rows, cols = region_slices(region, height, width)
    halo = bank.halo
    top, left = max(0, rows.start - halo), max(0, cols.start - halo)
    bottom, right = min(height, rows.stop + halo), min(width, cols.stop + halo)
    inner = (slice(rows.start - top, rows.stop - top), slice(cols.start - left, cols.stop - left))
    out = np.empty((rows.stop - rows.start, cols.stop - cols.start, bank.count(len(normalised))),
                   np.float32)
    index = 0
    for channel in normalised:
        crop = np.ascontiguousarray(channel[top:bottom, left:right], dtype=np.float32)
        for group, sigma in bank.plan():
            for plane in FILTERS[group](crop, sigma):
                out[:, :, index] = plane[inner]
                index += 1
    return out


def feature_tiles(normalised: np.ndarray, bank: FeatureBank,
                  tile: int = 512) -> Iterator[tuple[Region, np.ndarray]]:
    """(region, features) for tiles of ``tile`` x ``tile`` pixels covering the image."""
    height, width = normalised.shape[1:]
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            region = (slice(top, min(top + tile, height)), slice(left, min(left + tile, width)))
            yield region, compute_features(normalised, bank, region)


def region_slices(region: Region | None, height: int, width: int) -> tuple[slice, slice]:
    """``region`` (None = whole image) as slices with explicit start and stop, checked."""
    if region is None:
        return slice(0, height), slice(0, width)
    rows, cols = (slice(*s.indices(n)[:2]) for s, n in zip(region, (height, width), strict=True))
    if region[0].step not in (None, 1) or region[1].step not in (None, 1):
        raise ValueError("a region is two slices without a step, e.g. (slice(0, 64), slice(0, 64))")
    if rows.stop <= rows.start or cols.stop <= cols.start:
        raise ValueError(f"region {region} holds no pixels of a {height} x {width} image")
    return rows, cols
