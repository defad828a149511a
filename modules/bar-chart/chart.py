"""Draw a bar chart with each bar's value written on it (phase fractions as percentages).

Figures are made with ``matplotlib.figure.Figure`` directly, not pyplot: no global figure
registry, no GUI backend, nothing to close, safe in worker processes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

__all__ = ["bar_figure", "empty_figure", "value_text"]

_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
            "#8c8c8c")


def value_text(value: float, *, percent: bool) -> str:
    """``0.5`` -> ``'50.0 %'`` as a percentage, else four significant digits.

    Examples
    --------
    >>> value_text(0.3333, percent=True), value_text(1234.5, percent=False)
    ('33.3 %', '1234')
    >>> value_text(2.5, percent=False)
    '2.500'
    """
    if not np.isfinite(value):
        return "n/a"
    if percent:
        return f"{100 * value:.1f} %"
    text = np.format_float_positional(value, precision=4, unique=False, fractional=False,
                                      trim="k")
    return text.removesuffix(".")


def bar_figure(names: list[str], values: np.ndarray, *, percent: bool, x_label: str,
               y_label: str, title: str) -> Figure:
    """One bar per name, in order, each labelled with its value."""
    shown = np.asarray(values, dtype=np.float64) * (100.0 if percent else 1.0)
    figure = Figure(figsize=(max(4.0, 1.0 + 0.9 * len(names)), 4.4), layout="constrained")
    axes = figure.add_subplot()
    colours = [_COLOURS[i % len(_COLOURS)] for i in range(len(names))]
    bars = axes.bar(range(len(names)), np.nan_to_num(shown), color=colours)
    axes.set_xticks(range(len(names)), names)
    for bar, value in zip(bars, values, strict=True):
        axes.annotate(value_text(float(value), percent=percent),
                      (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                      fontsize=9)
    finite = shown[np.isfinite(shown)]
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    top = max(0.0, float(finite.max())) if finite.size else 0.0
    axes.set_ylim(low, top * 1.15 if top > 0 else 1.0)  # room for the value labels
    axes.set_xlabel(x_label)
    axes.set_ylabel(f"{y_label} (%)" if percent else y_label)
    axes.set_title(title)
    return figure


def empty_figure(*, title: str) -> Figure:
    """A plot that says there is nothing to show (an empty table is a result, not an error)."""
    figure = Figure(figsize=(4.0, 4.4), layout="constrained")
    axes = figure.add_subplot()
    axes.text(0.5, 0.5, "no data", transform=axes.transAxes, ha="center", va="center",
              fontsize=14, color="0.4")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(title)
    return figure
