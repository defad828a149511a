"""Find a measurement column by its base name and spell its quantity and unit for axes.

Measurement tables name columns ``<quantity>_<unit>``: ``ecd_nm``, ``feret_min_um``,
``area_nm2``, or ``ecd_px`` / ``area_px2`` when the image had no pixel size; unitless
quantities keep their bare name (``circularity``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["axis_label", "find_column", "pretty_quantity", "pretty_unit", "split_unit"]

_UNIT = re.compile(r"^(?P<unit>px|pm|A|nm|um|mm|cm|m)(?P<square>2?)$")
_ACRONYMS = {"ecd": "ECD"}
_PRETTY_UNITS = {"um": "µm", "A": "Å"}


def find_column(columns: Sequence[str], name: str) -> str | None:
    """The column called ``name``, or ``name_<unit>`` (a physical unit before ``px``).

    Examples
    --------
    >>> find_column(["label", "ecd_px", "ecd_nm", "ecd_analytic_px"], "ecd")
    'ecd_nm'
    >>> find_column(["feret_min_nm", "feret_max_nm"], "feret") is None
    True
    """
    if name in columns:
        return name
    prefix = name + "_"
    matches = [c for c in columns if c.startswith(prefix) and _UNIT.match(c[len(prefix):])]
    matches.sort(key=lambda c: split_unit(c)[1].startswith("px"))  # stable: physical first
    return matches[0] if matches else None


def split_unit(column: str) -> tuple[str, str]:
    """``'area_nm2'`` -> ``('area', 'nm2')``; ``('circularity', '')`` without a unit."""
    quantity, _, last = column.rpartition("_")
    if quantity and _UNIT.match(last):
        return quantity, last
    return column, ""


def pretty_unit(unit: str) -> str:
    """``'um2'`` -> ``'µm²'``, ``'px'`` -> ``'px'``, ``''`` -> ``''``."""
    match = _UNIT.match(unit)
    if not match:
        return unit
    return _PRETTY_UNITS.get(match["unit"], match["unit"]) + ("²" if match["square"] else "")


def pretty_quantity(quantity: str) -> str:
    """``'ecd'`` -> ``'ECD'``, ``'feret_min'`` -> ``'Feret min'``."""
    if quantity in _ACRONYMS:
        return _ACRONYMS[quantity]
    words = quantity.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def axis_label(column: str) -> str:
    """Axis text for a column: ``'ecd_nm'`` -> ``'ECD (nm)'``, ``'circularity'`` -> ``'Circularity'``."""
    quantity, unit = split_unit(column)
    name = pretty_quantity(quantity)
    return f"{name} ({pretty_unit(unit)})" if unit else name
