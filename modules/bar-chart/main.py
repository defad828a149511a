"""Bar chart of one column against another, values written on the bars (phase fractions)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from lamella.core.sdk import columns

from . import chart


def run(task) -> None:
    """Plot column 'y' per row, labelled by column 'x' (or by 'names')."""
    table = _read_table(task.input_path("table"))
    title = task.param("title")
    if table.empty:
        _save(task, chart.empty_figure(title=title or "No data"))
        return
    x_column = _column(task, table, "x")
    y_column = _column(task, table, "y")
    values = pd.to_numeric(table[y_column], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(values).all():
        task.fail(f"parameter 'y': column '{y_column}' holds no numbers; choose a numeric "
                  "column such as 'area_fraction'")
    percent = task.param("percent")
    if percent and np.nanmax(np.abs(values)) > 1 + 1e-9:
        task.fail(f"parameter 'percent': column '{y_column}' is not a fraction (values up to "
                  f"{np.nanmax(values):g}, fractions are 0..1); turn percent off")
    names = _names(task, table[x_column])
    y_label = columns.axis_label(y_column)
    figure = chart.bar_figure(names, values, percent=percent,
                              x_label=columns.axis_label(x_column), y_label=y_label,
                              title=title or f"{y_label} by {columns.axis_label(x_column).lower()}")
    _save(task, figure)


def _read_table(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _column(task, table: pd.DataFrame, parameter: str) -> str:
    name = task.param(parameter)
    found = columns.find_column(list(table.columns), name)
    if found is None:
        task.fail(f"parameter '{parameter}': the table has no column '{name}' or "
                  f"'{name}_<unit>'; available columns: {', '.join(map(str, table.columns))}")
    return found


def _names(task, x_values: pd.Series) -> list[str]:
    """Bar labels: the 'names' parameter if given (one per row), else the x column's values."""
    text = task.param("names")
    if text is None or not text.strip():
        return [_label(v) for v in x_values]
    names = [part.strip() for part in text.split(",")]
    if len(names) != len(x_values):
        task.fail(f"parameter 'names': {len(names)} names given for {len(x_values)} rows; give "
                  "one name per row, in table order, e.g. 'ferrite,pearlite,martensite'")
    return names


def _label(value: object) -> str:
    # Class numbers read back from CSV as floats when a column has gaps: 1.0 -> '1'.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _save(task, figure) -> None:
    # Text stays text in the SVG (searchable, editable), not outlines.
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        task.save_plot("plot", figure)
