"""Turn pixel measurements into calibrated tables: the per-object table and its summary."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["DIMENSIONS", "SUMMARY_COLUMNS", "column_name", "object_table", "summary_table"]

# Power of length of each measurement: 2 = area, 1 = length, 0 = no unit.
DIMENSIONS: dict[str, int] = {
    "area": 2, "ecd": 1, "perimeter": 1, "feret_max": 1, "feret_min": 1,
    "aspect_ratio": 0, "circularity": 0, "solidity": 0,
    "centroid_x": 1, "centroid_y": 1, "mean_intensity": 0,
}
# Positions say where an object is, not what it is like: they are not summarised.
_NOT_SUMMARISED = ("label", "centroid_x", "centroid_y")
SUMMARY_COLUMNS = ("quantity", "unit", "count", "mean", "median", "std", "d10", "d50", "d90")


def column_name(quantity: str, unit: str) -> str:
    """Table column for a quantity: ``area_nm2``, ``ecd_nm``, ``circularity``."""
    power = DIMENSIONS.get(quantity, 0)
    return quantity if power == 0 else f"{quantity}_{unit}{'2' if power == 2 else ''}"


def object_table(columns: Mapping[str, np.ndarray], *, pixel_size: float,
                 unit: str) -> pd.DataFrame:
    """Per-object table in physical units from measurements in pixels.

    Parameters
    ----------
    columns
        ``label`` plus measurements named as in :data:`DIMENSIONS`, in pixel units.
    pixel_size
        Side of one (square) pixel in ``unit``; 1 with ``unit='px'``.
    unit
        ASCII length unit used in the column names (``'nm'``, ``'um'``, ``'px'``).
    """
    table: dict[str, np.ndarray] = {"label": np.asarray(columns["label"]).astype(np.int64)}
    for quantity, values in columns.items():
        if quantity != "label":
            scale = pixel_size ** DIMENSIONS[quantity]
            table[column_name(quantity, unit)] = np.asarray(values, dtype=np.float64) * scale
    return pd.DataFrame(table)


def summary_table(table: pd.DataFrame, *, unit: str) -> pd.DataFrame:
    """One row per measured quantity: count, mean, median, std (ddof=1), D10, D50, D90.

    Percentiles are number-weighted (every object counts once) with linear interpolation
    between order statistics (numpy's default, Hyndman & Fan type 7), so D50 equals the
    median. Statistics that need more objects than there are (anything with no object, the
    standard deviation with one) are left empty.
    """
    rows = []
    for quantity, power in DIMENSIONS.items():
        name = column_name(quantity, unit)
        if quantity in _NOT_SUMMARISED or name not in table:
            continue
        shown_unit = "" if power == 0 else unit + ("^2" if power == 2 else "")
        rows.append({"quantity": quantity, "unit": shown_unit, **_statistics(table[name])})
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _statistics(series: pd.Series) -> dict[str, float]:
    values = series.to_numpy(dtype=np.float64)
    stats = {"count": len(values)}
    if not len(values):
        return {**stats, **dict.fromkeys(SUMMARY_COLUMNS[3:], np.nan)}
    d10, d50, d90 = np.percentile(values, [10, 50, 90])
    std = float(np.std(values, ddof=1)) if len(values) > 1 else np.nan
    return {**stats, "mean": float(values.mean()), "median": float(np.median(values)),
            "std": std, "d10": float(d10), "d50": float(d50), "d90": float(d90)}
