"""Histogram of one measurement column, with n, mean, median, std, D10, D50, D90 printed on it."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from lamella.core.sdk import columns

from . import plot, stats


def run(task) -> None:
    """Plot the distribution of the chosen column of the input table."""
    table = read_table(task.input_path("table"))
    name = task.param("column")
    if table.columns.empty:
        _save(task, plot.empty_figure(label=name, title=task.param("title") or "No objects"))
        return
    column = columns.find_column(list(table.columns), name)
    if column is None:
        task.fail(f"parameter 'column': the table has no column '{name}' or '{name}_<unit>'; "
                  f"available columns: {', '.join(map(str, table.columns))}")
    label = columns.axis_label(column)
    quantity, unit = columns.split_unit(column)
    title = task.param("title") or f"{columns.pretty_quantity(quantity)} distribution"
    values = _numbers(task, table[column], column)
    if not len(values):
        _save(task, plot.empty_figure(label=label, title=title))
        return
    lines = stats.statistics_text(stats.statistics(values), columns.pretty_unit(unit))
    log_scale = task.param("log_scale")
    if log_scale and (values <= 0).any():
        task.fail(f"parameter 'log_scale': column '{column}' has {(values <= 0).sum()} values "
                  "<= 0, which a log axis cannot show; turn log_scale off or filter them out")
    figure = plot.histogram_figure(values, bins=_bins(task, values, log_scale),
                                   log_scale=log_scale, label=label, title=title, lines=lines)
    _save(task, figure)


def read_table(path) -> pd.DataFrame:
    """Read a CSV table; a file with no header at all is an empty table."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _numbers(task, series: pd.Series, column: str) -> np.ndarray:
    """Finite values of the column; text columns are refused, empty cells skipped."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    if series.notna().any() and np.isnan(values).all():
        task.fail(f"parameter 'column': column '{column}' holds text, not numbers; choose a "
                  "measurement column such as 'ecd' or 'area'")
    return values[np.isfinite(values)]


def _bins(task, values: np.ndarray, log_scale: bool) -> int:
    """The bin count; 'auto' takes numpy's rule (equal bins over the range, as a count gives)."""
    if not task.is_auto("bins"):
        return task.param("bins")
    count = len(plot.bin_edges(values, "auto", log_scale=log_scale)) - 1
    task.resolved("bins", count, f"numpy's 'auto' rule for {len(values)} values")
    return count


def _save(task, figure) -> None:
    # Text stays text in the SVG (searchable, editable), not outlines.
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        task.save_plot("plot", figure)
