"""Turn pixel measurements into calibrated tables: the per-object table and its summary."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from lamella.core.sdk import stats
from lamella.core.sdk.stats import DIMENSIONS, SUMMARY_COLUMNS, column_name

__all__ = ["DIMENSIONS", "SUMMARY_COLUMNS", "column_name", "object_table", "summary_table"]


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

    The statistics are :func:`lamella.core.sdk.stats.summary_rows`, which the runner also
    uses for pooled batch summaries: percentiles are number-weighted (every object counts
    once) with linear interpolation between order statistics (numpy's default, Hyndman &
    Fan type 7), so D50 equals the median. Statistics that need more objects than there are
    (anything with no object, the standard deviation with one) are left empty.
    """
    columns = {name: table[name].to_numpy(dtype=np.float64) for name in table.columns}
    return pd.DataFrame(stats.summary_rows(columns, unit=unit), columns=list(SUMMARY_COLUMNS))
