"""Show a CSV table: sort by any column, filter rows by text, export what is shown."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from lamella.editor.viewers._table_model import TEXT_ROLE, CsvTable, CsvTableModel, read_csv_table

__all__ = ["TableViewer"]


class _RowFilter(QSortFilterProxyModel):
    """Keeps rows whose text contains the filter (case ignored); sorting goes to the source.

    The source model sorts with numpy; the proxy's own sort would compare cells through
    Python ``data()`` calls, millions of them for a large table.
    """

    def __init__(self, source: CsvTableModel, parent: QWidget) -> None:
        super().__init__(parent)
        self.source = source
        self.needle = ""
        self.setSourceModel(source)

    def set_needle(self, text: str) -> None:
        """Keep only rows containing ``text`` in any cell ('' keeps all)."""
        self.beginFilterChange()
        self.needle = text.casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        """True when the row holds the needle (one joined text per row, built once)."""
        return not self.needle or self.needle in self.source.row_text(source_row)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the source rows (the view calls this when a header is clicked)."""
        self.source.sort(column, order)


class TableViewer(QWidget):
    """A table output (one row per object or item) in a sortable, filterable view.

    Sorting compares numbers as numbers (9 before 10); the filter keeps rows where any cell's
    text contains the typed text, ignoring case. The file's row order is kept until the user
    sorts. ``export_csv`` writes the rows as shown, with the file's exact text.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.model = CsvTableModel()
        self.proxy = _RowFilter(self.model, self)
        self._build()

    # ----- public API -------------------------------------------------------------------
    def set_table(self, path: Path) -> None:
        """Show the CSV at ``path``; a file that cannot be read shows why, in one line."""
        self.path = Path(path)
        try:
            table = read_csv_table(self.path)
        except ValueError as exc:
            self.model.set_table(CsvTable([], [], []))
            self.show_message(str(exc))
        else:
            self.model.set_table(table)
            self.show_message("")
        # File order until the user clicks a column (the indicator would otherwise show one).
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.resizeColumnsToContents()
        self._update_count()

    def set_filter(self, text: str) -> None:
        """Keep the rows where any cell contains ``text`` (case ignored); '' keeps all."""
        self.filter_edit.setText(text)

    def sort_by(self, column: str, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the shown rows by the column named ``column``, as clicking its header does."""
        self.view.sortByColumn(self.model.table.columns.index(column), order)

    def shown_rows(self) -> list[list[str]]:
        """The rows as shown (filtered and sorted), each cell's exact text."""
        proxy = self.proxy
        return [[proxy.data(proxy.index(r, c), TEXT_ROLE) for c in range(proxy.columnCount())]
                for r in range(proxy.rowCount())]

    def row_count(self) -> int:
        """How many rows pass the filter."""
        return self.proxy.rowCount()

    def export_csv(self, path: Path) -> Path:
        """Write the header and the rows as shown to ``path`` (CSV); return the path."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.model.table.columns)
            writer.writerows(self.shown_rows())
        return path

    def message(self) -> str:
        """The one-line problem shown ('' when the table was read)."""
        return self.message_label.text()

    # ----- widgets ----------------------------------------------------------------------
    def _build(self) -> None:
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter rows (text in any column)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.count_label = QLabel(self)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setToolTip("Save the rows as shown (filtered and sorted) as CSV")
        self.export_button.clicked.connect(self._export_with_dialog)
        bar = QHBoxLayout()
        for widget in (self.filter_edit, self.count_label, self.export_button):
            bar.addWidget(widget)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        # One text line per row: a 500-particle table should not need ten screens to scroll.
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.message_label = QLabel(self)
        self.message_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_needle(text)
        self._update_count()

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        rows = "row" if total == 1 else "rows"
        self.count_label.setText(f"{total} {rows}" if shown == total else f"{shown} of {total} {rows}")
        self.export_button.setEnabled(bool(self.model.table.columns))

    def _export_with_dialog(self) -> None:
        suggested = str(self.path.with_name(f"{self.path.stem}-filtered.csv")) if self.path else ""
        target, _ = QFileDialog.getSaveFileName(self, "Export CSV", suggested, "CSV files (*.csv)")
        if not target:
            return
        try:
            self.export_csv(Path(target))
        except OSError as exc:
            self.show_message(f"{target}: could not be written ({exc.strerror or exc})")

    def show_message(self, text: str) -> None:
        """Show a one-line note or problem above the content (or clear it with '')."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
