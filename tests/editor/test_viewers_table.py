"""The table viewer: numeric sort, text filter, row count, export of what is shown."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from lamella.editor.viewers import TableViewer

pytestmark = pytest.mark.qt

ROWS = [
    ("label", "area_nm2", "phase", "feret_min_nm"),
    ("1", "937.5", "gold", "30.0"),
    ("2", "10", "silver", "34.54941494713355"),
    ("9", "9", "Gold", ""),
    ("10", "100.25", "copper", "41.2"),
    ("11", "2", "gold alloy", "12"),
]


@pytest.fixture
def table_file(tmp_path):
    path = tmp_path / "sizes.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    return path


@pytest.fixture
def viewer(qtbot, table_file) -> TableViewer:
    widget = TableViewer()
    qtbot.addWidget(widget)
    widget.set_table(table_file)
    return widget


def column(viewer: TableViewer, name: str) -> list[str]:
    index = ROWS[0].index(name)
    return [row[index] for row in viewer.shown_rows()]


def test_rows_keep_file_order_until_sorted(viewer):
    assert column(viewer, "label") == ["1", "2", "9", "10", "11"]
    assert viewer.count_label.text() == "5 rows"
    assert viewer.message() == ""


def test_numbers_sort_as_numbers(viewer):
    viewer.sort_by("label", Qt.SortOrder.DescendingOrder)
    assert column(viewer, "label") == ["11", "10", "9", "2", "1"]
    viewer.sort_by("area_nm2")
    assert column(viewer, "area_nm2") == ["2", "9", "10", "100.25", "937.5"]


def test_clicking_a_header_sorts(viewer, qtbot):
    header = viewer.view.horizontalHeader()
    viewer.show()
    qtbot.waitExposed(viewer)
    x = header.sectionViewportPosition(1) + header.sectionSize(1) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert header.sortIndicatorSection() == 1
    expected = ["2", "9", "10", "100.25", "937.5"]
    ascending = header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert column(viewer, "area_nm2") == (expected if ascending else expected[::-1])


def test_blank_numbers_sort_first_and_text_sorts_ignoring_case(viewer):
    viewer.sort_by("feret_min_nm")
    assert column(viewer, "feret_min_nm") == ["", "12", "30.0", "34.54941494713355", "41.2"]
    viewer.sort_by("phase")
    phases = column(viewer, "phase")
    assert [p.casefold() for p in phases] == ["copper", "gold", "gold", "gold alloy", "silver"]


def test_numbers_are_shown_rounded_but_kept_exact(viewer):
    proxy = viewer.proxy
    cell = proxy.index(1, 3)
    assert proxy.data(cell) == "34.5494"
    assert proxy.data(cell, Qt.ItemDataRole.ToolTipRole) == "34.54941494713355"
    assert proxy.data(proxy.index(3, 0)) == "10"


def test_filter_counts_rows(viewer):
    viewer.set_filter("gold")
    assert viewer.row_count() == 3
    assert viewer.count_label.text() == "3 of 5 rows"
    viewer.set_filter("34.549414")
    assert column(viewer, "label") == ["2"]
    viewer.set_filter("no such text")
    assert viewer.row_count() == 0
    viewer.set_filter("")
    assert viewer.row_count() == 5


def test_export_writes_filtered_and_sorted_rows(viewer, tmp_path):
    viewer.filter_edit.setText("gold")
    viewer.sort_by("area_nm2", Qt.SortOrder.DescendingOrder)
    written = viewer.export_csv(tmp_path / "out.csv")
    with written.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [list(ROWS[0]), list(ROWS[1]), list(ROWS[3]), list(ROWS[5])]


def test_an_unreadable_table_says_so_in_one_line(viewer, tmp_path):
    binary = tmp_path / "broken.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    viewer.set_table(binary)
    assert viewer.message().startswith(f"{binary}: not a readable CSV table")
    assert "\n" not in viewer.message()
    assert viewer.row_count() == 0
    viewer.set_table(tmp_path / "missing.csv")
    assert viewer.message() == f"{tmp_path / 'missing.csv'}: file not found"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    viewer.set_table(empty)
    assert viewer.message() == f"{empty}: the table is empty (no header row)"
    assert viewer.count_label.text() == "0 rows"


def test_ties_keep_the_previous_order(viewer):
    viewer.sort_by("label", Qt.SortOrder.DescendingOrder)
    viewer.sort_by("phase")
    assert column(viewer, "label") == ["10", "9", "1", "11", "2"]  # Gold 9 before gold 1
    assert viewer.proxy.headerData(0, Qt.Orientation.Vertical) == "4"  # its row in the file


def test_a_large_table_sorts_and_filters_by_value(qtbot, tmp_path):
    values = np.random.default_rng(3).normal(50, 20, 5000).tolist()
    path = tmp_path / "many.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "ecd_nm"])
        writer.writerows([i + 1, repr(v)] for i, v in enumerate(values))
    viewer = TableViewer()
    qtbot.addWidget(viewer)
    viewer.set_table(path)
    viewer.sort_by("ecd_nm", Qt.SortOrder.DescendingOrder)
    assert [float(r[1]) for r in viewer.shown_rows()] == sorted(values, reverse=True)
    viewer.set_filter("99")
    expected = sum("99" in f"{i + 1}\x1f{v!r}" for i, v in enumerate(values))
    assert viewer.row_count() == expected
    assert viewer.count_label.text() == f"{expected} of 5000 rows"
