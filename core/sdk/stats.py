"""Size-distribution statistics and the summary table of a per-object measurement table.

One implementation, used by the ``measure`` module (its ``summary`` output), the
``histogram`` module (the statistics printed on the plot) and the runner (pooled batch
summaries, recomputed from the objects of every image).

Conventions (docs/measurements.md): the standard deviation is the sample standard
deviation (ddof = 1); D10, D50 and D90 are number-weighted percentiles (every object counts
once) with linear interpolation between order statistics (numpy's default, Hyndman & Fan
type 7), so D50 equals the median. Statistics that need more values than there are (any
with no value, the standard deviation with one) are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from lamella.core.sdk.columns import split_unit

__all__ = ["DIMENSIONS", "STATISTICS", "SUMMARY_COLUMNS", "column_name", "distribution",
           "summary_rows", "table_unit"]

# Power of length of each measurement of the per-object table: 2 = area, 1 = length, 0 = no unit.
DIMENSIONS: dict[str, int] = {
    "area": 2, "ecd": 1, "perimeter": 1, "feret_max": 1, "feret_min": 1,
    "aspect_ratio": 0, "circularity": 0, "solidity": 0,
    "centroid_x": 1, "centroid_y": 1, "mean_intensity": 0,
}
# Positions say where an object is, not what it is like: they are not summarised.
_NOT_SUMMARISED = ("label", "centroid_x", "centroid_y")
STATISTICS = ("count", "mean", "median", "std", "d10", "d50", "d90")
SUMMARY_COLUMNS = ("quantity", "unit", *STATISTICS)


def distribution(values: ArrayLike) -> dict[str, float]:
    """Count, mean, median, std, d10, d50 and d90 of ``values`` (NaN where undefined).

    Examples
    --------
    >>> s = distribution([10.0, 20.0, 30.0, 40.0])
    >>> [round(s[k], 2) for k in ("count", "mean", "std", "d10", "d90")]
    [4, 25.0, 12.91, 13.0, 37.0]
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    stats: dict[str, Any] = {"count": len(values)}
    if not len(values):
        return {**stats, **dict.fromkeys(STATISTICS[1:], np.nan)}
    d10, d50, d90 = np.percentile(values, [10, 50, 90])
    std = float(np.std(values, ddof=1)) if len(values) > 1 else np.nan
    return {**stats, "mean": float(values.mean()), "median": float(np.median(values)),
            "std": std, "d10": float(d10), "d50": float(d50), "d90": float(d90)}


def column_name(quantity: str, unit: str) -> str:
    """Per-object table column of a quantity: ``area_nm2``, ``ecd_nm``, ``circularity``."""
    power = DIMENSIONS.get(quantity, 0)
    return quantity if power == 0 else f"{quantity}_{unit}{'2' if power == 2 else ''}"


def summary_rows(columns: Mapping[str, ArrayLike], *, unit: str) -> list[dict[str, Any]]:
    """One row per measured quantity of a per-object table, in :data:`SUMMARY_COLUMNS`.

    Parameters
    ----------
    columns
        Column name -> values, named as :func:`column_name` spells them; other columns
        (``label``, centroids, anything unknown) are not summarised.
    unit
        The table's ASCII length unit (``'nm'``, ``'px'``); shown as ``nm`` or ``nm^2``.
    """
    rows = []
    for quantity, power in DIMENSIONS.items():
        name = column_name(quantity, unit)
        if quantity in _NOT_SUMMARISED or name not in columns:
            continue
        shown_unit = "" if power == 0 else unit + ("^2" if power == 2 else "")
        rows.append({"quantity": quantity, "unit": shown_unit, **distribution(columns[name])})
    return rows


def table_unit(names: list[str]) -> str | None:
    """The length unit a per-object table's columns are in (``ecd_nm`` -> ``'nm'``).

    None when no column carries a length unit, or when columns disagree (a table joined
    from images in different units has no one unit).

    Examples
    --------
    >>> table_unit(["label", "area_nm2", "ecd_nm", "circularity"])
    'nm'
    """
    units = set()
    for name in names:
        quantity, unit = split_unit(name)
        power = DIMENSIONS.get(quantity, 0)
        if power and unit and unit.endswith("2") == (power == 2):
            units.add(unit.removesuffix("2") if power == 2 else unit)
    return units.pop() if len(units) == 1 else None
