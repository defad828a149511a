"""Hovering an object names its label id, area and Feret diameters from the measure table."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from lamella.core.sdk import Calibration, Image
from lamella.editor.viewers import ImageViewer
from lamella.editor.viewers._hover import read_objects_table

pytestmark = pytest.mark.qt

MEASURE_HEADER = ("label,area_nm2,ecd_nm,perimeter_nm,feret_max_nm,feret_min_nm,aspect_ratio,"
                  "circularity,solidity,centroid_x_nm,centroid_y_nm,mean_intensity")


@pytest.fixture
def labelled(qtbot) -> ImageViewer:
    labels = np.zeros((20, 30), dtype=np.uint16)
    labels[2:8, 3:9] = 7
    labels[10:18, 15:28] = 12
    image = Image((np.arange(600, dtype=np.uint16) * 50).reshape(20, 30), "YX",
                  Calibration(5, 5, "nm"), name="particles.tif")
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    viewer.set_image(image)
    viewer.set_overlay(labels, "labels")
    viewer.set_objects_table({
        7: {"label": 7, "area_nm2": 900.0, "feret_max_nm": 42.43, "feret_min_nm": 30.0},
        12: {"label": 12, "area_nm2": 2600.0, "feret_max_nm": 76.9, "feret_min_nm": 40.0},
    }, "nm")
    return viewer


def test_hover_text_over_an_object(labelled):
    assert labelled.hover_text_at(5, 4) == ("x 5, y 4: value 6250; label 7: area 900 nm², "
                                            "Feret 30 to 42.43 nm")
    assert "label 12: area 2600 nm²" in labelled.hover_text_at(20, 15)
    assert labelled.hover_text_at(0, 0) == "x 0, y 0: value 0"
    assert labelled.hover_text_at(30, 0) == ""


def test_an_object_missing_from_the_table_says_so(labelled):
    labelled.set_objects_table({7: {"label": 7, "area_nm2": 900.0}}, "nm")
    assert labelled.hover_text_at(20, 15).endswith("label 12 (not in the table)")
    assert labelled.hover_text_at(5, 4).endswith("label 7: area 900 nm²")


def test_moving_the_mouse_emits_the_text(labelled, qtbot):
    labelled.resize(500, 400)
    labelled.show()
    qtbot.waitExposed(labelled)
    labelled.view.actual_size()
    labelled.view.zoom_by(8)  # image pixels 8 screen pixels wide: the spot is well inside one
    spot = labelled.view.mapFromScene(QPointF(20.5, 15.5))
    with qtbot.waitSignal(labelled.hovered, timeout=2000) as signal:
        QTest.mouseMove(labelled.view.viewport(), spot)
    assert signal.args[0].startswith("x 20, y 15: value 23500; label 12: area 2600 nm²")
    assert labelled.hover_label.text() == signal.args[0]


def test_dragging_pans_the_view(labelled, qtbot):
    labelled.resize(300, 250)
    labelled.show()
    qtbot.waitExposed(labelled)
    labelled.view.zoom_by(40)
    viewport = labelled.view.viewport()
    before = labelled.view.mapToScene(viewport.rect().center())
    start = viewport.rect().center()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    end = start + type(start)(-60, -40)
    # QTest.mouseMove drops the held button: send the drag's move event ourselves.
    move = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(end), viewport.mapToGlobal(QPointF(end)),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, move)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    after = labelled.view.mapToScene(viewport.rect().center())
    assert after.x() - before.x() == pytest.approx(60 / labelled.view.zoom(), abs=0.1)
    assert after.y() - before.y() == pytest.approx(40 / labelled.view.zoom(), abs=0.1)


def test_a_measure_table_is_read_by_label(tmp_path):
    table = tmp_path / "sizes.csv"
    table.write_text(MEASURE_HEADER + "\n"
                     "1,937.5,34.5,113.3,42.72,30.0,1.31,0.92,0.93,279.1,25.0,102.6\n"
                     "10,981.25,35.3,113.1,41.23,35.0,1.20,0.96,0.91,2031.7,36.7,110.6\n")
    rows, unit = read_objects_table(table)
    assert unit == "nm"
    assert sorted(rows) == [1, 10]
    assert rows[10]["area_nm2"] == 981.25
    table.write_text("area_px2\n3\n")
    with pytest.raises(ValueError, match="no 'label' column"):
        read_objects_table(table)
