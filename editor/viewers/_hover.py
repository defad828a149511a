"""What the viewer says about the pixel under the mouse, and the measure table behind it.

The measure module names columns ``<quantity>_<unit>`` (``area_nm2``, ``feret_min_nm``,
``area_px2`` without a pixel size); a row per object is keyed by its ``label`` id.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from lamella.core.sdk.columns import find_column, pretty_unit, split_unit

__all__ = ["format_value", "hover_text", "object_summary", "read_objects_table"]

ObjectRows = dict[int, dict[str, Any]]


def read_objects_table(path: Path) -> tuple[ObjectRows, str]:
    """Rows of a measure table by label id, and its length unit (``'nm'``, or ``'px'``).

    Raises
    ------
    ValueError
        If the file cannot be read as CSV or has no ``label`` column.
    """
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            if "label" not in columns:
                raise ValueError(f"{path}: no 'label' column, so rows cannot be matched to objects")
            rows = {int(float(r["label"])): {k: _number(v) for k, v in r.items()} for r in reader}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: not a readable CSV table ({exc})") from None
    return rows, _length_unit(columns)


def object_summary(row: dict[str, Any], unit: str) -> str:
    """``'area 937.5 nm², Feret 30 to 42.72 nm'`` from one measure row (what it has of it)."""
    parts = []
    area = _column(row, "area", f"{unit}2")
    if area:
        parts.append(f"area {format_value(row[area])} {pretty_unit(split_unit(area)[1])}")
    ferets = [(word, c) for word, c in (("min", _column(row, "feret_min", unit)),
                                        ("max", _column(row, "feret_max", unit))) if c]
    if ferets:
        unit_text = pretty_unit(split_unit(ferets[-1][1])[1])
        if len(ferets) == 2:
            parts.append(f"Feret {format_value(row[ferets[0][1]])} to "
                         f"{format_value(row[ferets[1][1]])} {unit_text}")
        else:
            word, column = ferets[0]
            parts.append(f"Feret {word} {format_value(row[column])} {unit_text}")
    return ", ".join(parts)


def hover_text(x: int, y: int, value: Any, *, overlay: str | None = None,
               overlay_value: Any = None, table: ObjectRows | None = None, unit: str = "") -> str:
    """One line about pixel (x, y): its value (None: an overlay alone), and what lies under it.

    Over a labelled object with a ``table``, the line adds the object's area and Feret
    diameters from its row, or says the object is not in the table (e.g. dropped by a filter).
    """
    text = f"x {x}, y {y}" + ("" if value is None else f": value {format_value(value)}")
    if overlay == "labels" and overlay_value:
        label = int(overlay_value)
        text += f"; label {label}"
        if table is not None:
            row = table.get(label)
            if row is None:
                text += " (not in the table)"
            elif summary := object_summary(row, unit):
                text += f": {summary}"
    elif overlay == "mask" and overlay_value is not None:
        text += "; mask: foreground" if overlay_value else "; mask: background"
    elif overlay == "probabilities" and overlay_value is not None:
        text += f"; probability {format_value(overlay_value)}"
    return text


def format_value(value: Any) -> str:
    """Whole numbers as such, others to 4 significant digits, colours as (r, g, b)."""
    if isinstance(value, np.ndarray):
        return "(" + ", ".join(format_value(v) for v in value.tolist()) + ")"
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return f"{number:.4g}" if math.isfinite(number) else str(number)
    return str(value)


def _column(row: dict[str, Any], quantity: str, unit_suffix: str) -> str | None:
    """The ``quantity`` column in the table's unit if present, else any unit find_column picks."""
    preferred = f"{quantity}_{unit_suffix}"
    return preferred if preferred in row else find_column(list(row), quantity)


def _length_unit(columns: list[str]) -> str:
    for quantity in ("area", "ecd", "feret_max", "perimeter"):
        column = find_column(columns, quantity)
        if column:
            return split_unit(column)[1].rstrip("2")
    return "px"


def _number(text: str | None) -> Any:
    if text is None:
        return ""
    try:
        return float(text)
    except ValueError:
        return text
