"""Draw the size-distribution histogram with its statistics printed on it.

Figures are made with ``matplotlib.figure.Figure`` directly, not pyplot: no global figure
registry, no GUI backend, nothing to close, safe in worker processes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

__all__ = ["bin_edges", "empty_figure", "histogram_figure"]

_BAR_COLOUR = "#4c72b0"


def bin_edges(values: np.ndarray, bins: int | str, *, log_scale: bool) -> np.ndarray:
    """Return bin edges: ``bins`` equal bins, or numpy's 'auto' rule.

    On a log axis the bins are log-spaced, so every bar has the same width on screen.
    """
    if log_scale:
        return 10.0 ** np.histogram_bin_edges(np.log10(values), bins=bins)
    return np.histogram_bin_edges(values, bins=bins)


def histogram_figure(values: np.ndarray, *, bins: int | str, log_scale: bool, label: str,
                     title: str, lines: list[str]) -> Figure:
    """Histogram of ``values`` (counts per bin) with ``lines`` of statistics in a box."""
    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    axes = figure.add_subplot()
    axes.hist(values, bins=bin_edges(values, bins, log_scale=log_scale), color=_BAR_COLOUR,
              edgecolor="white", linewidth=0.6)
    if log_scale:
        axes.set_xscale("log")
    axes.set_xlabel(label)
    axes.set_ylabel("Count")
    axes.set_title(title)
    _statistics_box(axes, lines)
    return figure


def empty_figure(*, label: str, title: str) -> Figure:
    """A plot that says there is nothing to show (an empty table is a result, not an error)."""
    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    axes = figure.add_subplot()
    axes.text(0.5, 0.5, "no objects", transform=axes.transAxes, ha="center", va="center",
              fontsize=14, color="0.4")
    axes.set_xlabel(label)
    axes.set_ylabel("Count")
    axes.set_title(title)
    axes.set_xticks([])
    axes.set_yticks([])
    return figure


def _statistics_box(axes, lines: list[str]) -> None:
    # With svg.fonttype 'none' every line becomes its own <text>, searchable in the SVG.
    axes.text(0.97, 0.96, "\n".join(lines), transform=axes.transAxes, ha="right", va="top",
              family="monospace", fontsize=8.5, zorder=3,
              bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.7",
                    "alpha": 0.9})
