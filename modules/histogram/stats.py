"""Size-distribution statistics and how they are printed on the plot.

The statistics are the measure module's summary statistics, from one implementation
(:func:`lamella.core.sdk.stats.distribution`): the standard deviation is the sample
standard deviation (ddof = 1); D10, D50 and D90 are number-weighted percentiles (every
object counts once) with linear interpolation between order statistics (numpy's default,
Hyndman & Fan type 7), so D50 equals the median.
"""

from __future__ import annotations

import numpy as np

from lamella.core.sdk.stats import distribution

__all__ = ["format_number", "statistics", "statistics_text"]

# The plot's names for the summary table's statistics.
_SHOWN = {"count": "n", "mean": "mean", "median": "median", "std": "std", "d10": "D10",
          "d50": "D50", "d90": "D90"}


def statistics(values: np.ndarray) -> dict[str, float]:
    """n, mean, median, std, D10, D50, D90 of finite ``values`` (NaN where undefined).

    Examples
    --------
    >>> s = statistics(np.array([10.0, 20.0, 30.0, 40.0]))
    >>> [round(s[k], 2) for k in ("mean", "std", "D10", "D90")]
    [25.0, 12.91, 13.0, 37.0]
    """
    return {_SHOWN[key]: float(value) for key, value in distribution(values).items()}


def format_number(value: float) -> str:
    """Four significant digits (trailing zeros kept), never in exponent notation; NaN: 'n/a'.

    Examples
    --------
    >>> [format_number(v) for v in (41.23456, 12345.6, 0.00123456, 3.0)]
    ['41.23', '12350', '0.001235', '3.000']
    """
    if not np.isfinite(value):
        return "n/a"
    text = np.format_float_positional(value, precision=4, unique=False, fractional=False,
                                      trim="k")
    return text.removesuffix(".")


def statistics_text(stats: dict[str, float], unit: str) -> list[str]:
    """Lines such as ``'mean = 41.23 nm'`` (``unit`` already pretty, may be empty)."""
    suffix = f" {unit}" if unit else ""
    lines = [f"n = {int(stats['n'])}"]
    for key in ("mean", "median", "std", "D10", "D50", "D90"):
        value = format_number(stats[key])
        lines.append(f"{key} = {value}{suffix if value != 'n/a' else ''}")
    return lines
