"""Automatic size parameters: one typical object radius, estimated from a mask, sets them all.

A module whose parameter is ``'auto'`` measures the *typical object radius* of its mask and
derives the parameter from it with the rules below, so one workflow works on the same kind
of sample imaged at another magnification. The rules live here, in one place, so every
module applies (and the docs describe) the same ones.

The typical radius is read off the distance map of the mask (each foreground pixel's
distance to the background): every round object, alone or in an agglomerate, makes one
hilltop whose height is its inscribed radius. Hilltops lower than :data:`MIN_RADIUS_PX` are
outline noise and specks, not objects. The typical radius is the median of the remaining
hilltop heights weighted by the area they stand for (height squared), so many specks just
above the floor do not drag it down while the large objects that hold most of the area
count fully. This module computes only from the hilltop heights (numpy): the distance map
and its maxima come from scipy / scikit-image in the module.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "AREA_SHARE",
    "CORE_SMOOTH_SHARE",
    "H_SHARE",
    "MIN_DISTANCE_SHARE",
    "MIN_RADIUS_PX",
    "NECK_H_SHARE",
    "PILOT_SMOOTH_PX",
    "SMOOTH_SHARE",
    "auto_core_smooth",
    "auto_h",
    "auto_min_area",
    "auto_min_distance",
    "auto_neck_h",
    "auto_smooth",
    "typical_radius",
]

MIN_RADIUS_PX = 1.5
"""Hilltops of the distance map lower than this (px) are outline noise or specks."""

MIN_DISTANCE_SHARE = 0.6
"""Watershed marker distance: this share of the typical radius. Two touching particles of
radius r have centres about 2r apart, so 0.6 r keeps them apart while one particle's
ragged outline (bumps well under its radius) still gives one centre."""

H_SHARE = 0.2
"""Watershed h: this share of the typical radius. Two touching discs of radius r whose
centres are d apart rise r - sqrt(r^2 - d^2/4) above their neck: 0.56 r at d = 1.8 r (a
slight overlap), 0.29 r at d = 1.4 r (strong overlap); a bump on one outline rises far less."""

NECK_H_SHARE = 0.12
"""Watershed neck splitting: an object is cut again where its own distance map has two
hilltops each rising at least this share of the typical radius above the neck between them.
Small particles (10 px across) have cores too shallow to show through the noise, so the
dark-cores seeds leave about one in six touching pairs merged; their outline still has the
neck. Two touching discs of radius r, centres 1.8 r apart, rise 0.56 r above their neck, so
0.12 r cuts pairs that overlap deeply while the bumps of one ragged outline rise less."""

CORE_SMOOTH_SHARE = 0.1
"""Watershed dark-cores smoothing (Gaussian sigma): this share of the typical radius. It
evens out noise and surface texture inside a core without blurring the bright rims, which
are about a fifth of the radius wide, into the cores."""

PILOT_SMOOTH_PX = 1.0
SMOOTH_SHARE = 0.15
"""Threshold smoothing (Gaussian sigma): this share of the typical radius of a first mask,
made by the same threshold on the image smoothed by PILOT_SMOOTH_PX. Enough to even out the
dark cores of SE particles and the noise, not so much that neighbours blur together."""

AREA_SHARE = 0.1
"""Minimum object area: this share of the area of a disc of the typical radius (a disc of
about a third of the typical diameter), which removes specks of noise and texture but keeps
small particles of a log-normal size distribution (with sigma 0.25, 1 in 10,000 particles is
below a third of the median diameter)."""


def typical_radius(heights: np.ndarray) -> float | None:
    """Area-weighted median height (px) of distance-map hilltops; None without objects.

    Examples
    --------
    >>> typical_radius(np.array([10.0, 10.0, 10.0, 1.0, 1.0, 1.0, 1.0]))
    10.0
    """
    heights = np.sort(np.asarray(heights, dtype=np.float64).ravel())
    heights = heights[heights >= MIN_RADIUS_PX]
    if heights.size == 0:
        return None
    weights = np.cumsum(heights**2)
    return float(heights[np.searchsorted(weights, 0.5 * weights[-1])])


def auto_min_distance(radius: float) -> int:
    """Marker distance (whole px, at least 1) for objects of typical ``radius`` px."""
    return max(1, math.floor(MIN_DISTANCE_SHARE * radius + 0.5))


def auto_h(radius: float) -> float:
    """Marker h (px) for objects of typical ``radius`` px."""
    return H_SHARE * radius


def auto_neck_h(radius: float) -> float:
    """Neck depth (px) that splits an object again, for objects of typical ``radius`` px."""
    return NECK_H_SHARE * radius


def auto_core_smooth(radius: float) -> float:
    """Gaussian sigma (px) of the dark-cores surface for objects of typical ``radius`` px."""
    return CORE_SMOOTH_SHARE * radius


def auto_smooth(radius: float) -> float:
    """Gaussian sigma (px) before thresholding objects of typical ``radius`` px (first mask)."""
    return SMOOTH_SHARE * radius


def auto_min_area(radius: float) -> float:
    """Minimum object area (px^2) for objects of typical ``radius`` px."""
    return AREA_SHARE * math.pi * radius**2
