"""A CSV table as a Qt model: text as written, numbers sorted as numbers.

A column is numeric when every non-blank cell parses as a number; its cells then sort by value
(9 before 10), are shown to 6 significant digits and right-aligned. The exact text stays
available for filtering, tooltips and export, so nothing is lost to rounding.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = ["SORT_ROLE", "TEXT_ROLE", "CsvTable", "CsvTableModel", "read_csv_table"]

SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # float for numeric columns, text otherwise
TEXT_ROLE = Qt.ItemDataRole.UserRole + 2  # the cell's text exactly as in the file
_BLANKS = ("", "nan", "NaN", "NA", "null", "None")
_Index = QModelIndex | QPersistentModelIndex


@dataclass
class CsvTable:
    """Header, rows of cell text, and per numeric column the parsed values (else None)."""

    columns: list[str]
    rows: list[list[str]]
    values: list[list[float] | None]

    @classmethod
    def of(cls, columns: list[str], rows: list[list[str]]) -> CsvTable:
        """Pad short rows, then find the numeric columns."""
        width = len(columns)
        rows = [(row + [""] * width)[:width] for row in rows]
        return cls(columns, rows, [_numbers([row[c] for row in rows]) for c in range(width)])


def read_csv_table(path: Path) -> CsvTable:
    """Read a CSV with a header row.

    Raises
    ------
    ValueError
        One line naming the file when it is missing, empty, not text or not CSV.
    """
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: not a readable CSV table ({str(exc)[:120]})") from None
    if not header:
        raise ValueError(f"{path}: the table is empty (no header row)")
    return CsvTable.of(header, rows)


class CsvTableModel(QAbstractTableModel):
    """Read-only model over a :class:`CsvTable`."""

    def __init__(self, table: CsvTable | None = None) -> None:
        super().__init__()
        self.table = table or CsvTable([], [], [])

    def set_table(self, table: CsvTable) -> None:
        """Show another table (views and proxies are told the whole model changed)."""
        self.beginResetModel()
        self.table = table
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        """Rows of data (the header is not a row)."""
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        """Columns in the header."""
        return 0 if parent.isValid() else len(self.table.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text (numbers rounded), exact text, sort key, alignment."""
        if not index.isValid():
            return None
        text = self.table.rows[index.row()][index.column()]
        numbers = self.table.values[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _shown(numbers[index.row()], text) if numbers is not None else text
        if role in (TEXT_ROLE, Qt.ItemDataRole.ToolTipRole):
            return text
        if role == SORT_ROLE:
            return numbers[index.row()] if numbers is not None else text.casefold()
        if role == Qt.ItemDataRole.TextAlignmentRole and numbers is not None:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column names across the top, row numbers (1-based, file order) down the side."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.table.columns[section]
        return str(section + 1)


def _numbers(cells: list[str]) -> list[float] | None:
    """Values of a numeric column; blanks sort first (as -inf, so the order stays total)."""
    values = []
    for cell in cells:
        text = cell.strip()
        if text in _BLANKS:
            values.append(-math.inf)
            continue
        try:
            values.append(float(text))
        except ValueError:
            return None
    return values if any(v != -math.inf for v in values) else None


def _shown(value: float, text: str) -> str:
    """Whole numbers (ids, counts) as written; others to 6 significant digits."""
    if value == -math.inf and text.strip() in _BLANKS:
        return text
    if value.is_integer() and not any(c in text for c in ".eE"):
        return text.strip()
    return f"{value:.6g}"
