"""Painting annotations: brush strokes set exactly the brush's pixels, erase, undo, classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamella.editor.viewers._paint_labels import Annotations, stroke_mask
from lamella.editor.viewers._paint_toolbar import brush_step
from tests.editor.paint_helpers import disc, stroke, write_stand_in, write_workflow

pytestmark = pytest.mark.qt


def expected(points: list[tuple[int, int]], size: int, shape: tuple[int, int] = (48, 64)) -> np.ndarray:
    """The pixels a stroke through ``points`` covers: discs at every pixel of each segment."""
    covered = np.zeros(shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(points, points[1:] or points, strict=False):
        steps = max(abs(x1 - x0), abs(y1 - y0), 1) * 8
        for t in np.linspace(0, 1, steps + 1):
            cx, cy = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            ys, xs = np.mgrid[0:shape[0], 0:shape[1]]
            covered |= (xs - cx) ** 2 + (ys - cy) ** 2 <= (size / 2) ** 2 + 1e-9
    return covered


# ----- the brush, without Qt --------------------------------------------------------------------
@pytest.mark.parametrize("size, count", [(1, 1), (2, 5), (3, 9), (5, 21), (8, 49)])
def test_a_click_covers_the_disc_of_the_brush_size(size: int, count: int) -> None:
    region, mask = stroke_mask((10, 10), (10, 10), size, (30, 30))
    ys, xs = np.nonzero(mask)
    top, left = region[0].start, region[1].start
    offsets = {(int(x + left - 10), int(y + top - 10)) for y, x in zip(ys, xs, strict=True)}
    assert offsets == disc(size)
    assert len(offsets) == count


def test_a_drag_covers_every_pixel_within_half_the_size_of_its_path() -> None:
    labels = Annotations((48, 64))
    labels.begin(5, 5, 5, 1)
    labels.extend(30, 20, 5, 1)
    labels.extend(30, 40, 5, 1)
    assert labels.end()
    assert np.array_equal(labels.labels == 1, expected([(5, 5), (30, 20), (30, 40)], 5))


def test_the_brush_is_clipped_at_the_image_edge() -> None:
    labels = Annotations((10, 10))
    labels.begin(0, 0, 5, 2)
    labels.end()
    assert set(zip(*np.nonzero(labels.labels), strict=True)) == {
        (y, x) for x, y in disc(5) if x >= 0 and y >= 0}
    assert labels.begin(-20, -20, 3, 1) is None  # wholly outside: nothing, and no undo step
    assert not labels.end()


def test_undo_and_redo_restore_exactly_the_pixels_before_and_after_a_stroke() -> None:
    labels = Annotations((20, 20))
    labels.begin(5, 5, 3, 1)
    labels.end()
    after_first = labels.labels.copy()
    labels.begin(5, 5, 7, 2)  # over the first: overwrites class 1
    labels.end()
    after_second = labels.labels.copy()
    assert labels.dirty and (after_second == 2).sum() == len(disc(7))
    assert labels.undo() is not None
    assert np.array_equal(labels.labels, after_first)
    assert labels.redo() is not None
    assert np.array_equal(labels.labels, after_second)
    labels.mark_saved()
    labels.undo()
    assert labels.dirty
    labels.redo()
    assert not labels.dirty
    labels.undo()
    labels.begin(1, 1, 1, 1)  # a new stroke after an undo: not the saved state, and no redo
    labels.end()
    assert labels.dirty and not labels.can_redo


def test_brush_sizes_step_by_one_then_five_then_ten() -> None:
    assert [brush_step(s, True) for s in (1, 9, 10, 45, 50, 240, 250)] == [2, 10, 15, 50, 60, 250, 250]
    assert [brush_step(s, False) for s in (1, 2, 10, 15, 50, 60)] == [1, 1, 9, 10, 45, 50]


# ----- the painting window ------------------------------------------------------------------------
@pytest.fixture
def setup(tmp_path: Path, catalog):  # type: ignore[no-untyped-def]
    """(model, image) of the stand-in training workflow."""
    from lamella.core.catalog import Catalog
    from lamella.core.sdk import read_image
    from lamella.editor.model import EditorModel

    modules = write_stand_in(tmp_path / "modules")
    path = write_workflow(tmp_path / "work")
    model = EditorModel.open(path, Catalog.discover([modules], env={}))
    return model, read_image(path.parent / "two.tif"), modules


@pytest.fixture
def painter(qtbot, setup):  # type: ignore[no-untyped-def]
    """The painting window for step 'train', live training off, shown and fitted."""
    from lamella.editor.viewers.annotate_window import AnnotateWindow

    model, image, _ = setup
    window = AnnotateWindow(model, "train", image)
    window.ask_unsaved = lambda: __import__("PySide6.QtWidgets").QtWidgets.QMessageBox.StandardButton.Discard
    window.bar.live.setChecked(False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.view.fit()
    return window


def test_a_mouse_stroke_paints_exactly_the_brush_pixels_of_the_chosen_class(painter) -> None:
    painter.set_brush_size(3)
    painter.set_class(2)
    stroke(painter.view, [(10, 10), (14, 10), (20, 10)])
    labels = painter.annotations.labels
    assert np.array_equal(labels == 2, expected([(10, 10), (14, 10), (20, 10)], 3))
    assert set(np.unique(labels)) == {0, 2}
    rows, columns = np.nonzero(labels)
    assert (rows.min(), rows.max(), columns.min(), columns.max()) == (9, 11, 9, 21)
    # The stroke layer shows the class colour there and nothing elsewhere.
    rgba = painter.view.strokes.rgba
    assert tuple(rgba[10, 15, :3]) == painter.classes[1].rgb() and rgba[10, 15, 3] == 255
    assert rgba[30, 40, 3] == 0
    assert painter.class_list.list.item(1).text() == f"2: class 2  ({(labels == 2).sum()} px)"


def test_the_right_button_and_the_eraser_clear_painted_pixels(painter) -> None:
    from PySide6.QtCore import Qt

    painter.set_brush_size(7)
    stroke(painter.view, [(20, 20), (40, 20)])
    painted = painter.annotations.labels.copy()
    painter.set_brush_size(1)
    stroke(painter.view, [(30, 20)], button=Qt.MouseButton.RightButton)
    assert painter.annotations.labels[20, 30] == 0
    assert (painted != painter.annotations.labels).sum() == 1
    painter.set_tool("eraser")
    painter.set_brush_size(3)
    stroke(painter.view, [(20, 17), (40, 17)])
    assert not painter.annotations.labels[16:19, 19:42].any()
    assert painter.annotations.labels[20, 25] == 1


def test_undo_takes_back_one_stroke_and_keys_change_the_brush(painter, qtbot) -> None:
    from PySide6.QtCore import Qt

    stroke(painter.view, [(5, 5)])
    first = painter.annotations.labels.copy()
    stroke(painter.view, [(30, 30), (35, 35)])
    painter.bar.undo.trigger()
    assert np.array_equal(painter.annotations.labels, first)
    assert painter.bar.redo.isEnabled()
    painter.activateWindow()
    painter.view.setFocus()
    for _ in range(2):
        qtbot.keyClick(painter.view, Qt.Key.Key_BracketRight)
    assert painter.bar.size.value() == 7 and painter.view.brush_size == 7
    qtbot.keyClick(painter.view, Qt.Key.Key_BracketLeft)
    assert painter.view.brush_size == 6
    qtbot.keyClick(painter.view, Qt.Key.Key_2)
    assert painter.current_class == 2
    qtbot.keyClick(painter.view, Qt.Key.Key_E)
    assert painter.view.tool == "eraser"


def test_class_names_go_to_the_training_step_and_follow_its_undo(painter) -> None:
    model = painter.model
    assert painter.add_class("pores") == 3
    assert model.params("train")["class_names"] == "class 1, class 2, pores"
    assert painter.rename_class(1, "matrix")
    assert model.params("train")["class_names"] == "matrix, class 2, pores"
    assert not painter.rename_class(2, "a, b")
    assert "comma" in painter.message()
    assert not painter.rename_class(2, "Pores")
    assert "already a class 'Pores'" in painter.message()
    model.undo()  # the editor's Edit > Undo: the rename goes, in the painter too
    assert [c.name for c in painter.classes] == ["class 1", "class 2", "pores"]
    painter.recolour_class(3, "#00FF00")
    assert painter.classes[2].colour == "#00ff00" and painter.dirty


def test_removing_a_class_erases_its_strokes_and_renumbers_the_classes_above(painter) -> None:
    painter.add_class("pores")
    for value, x in ((1, 5), (2, 25), (3, 45)):
        painter.set_class(value)
        stroke(painter.view, [(x, 20), (x + 10, 20)])
    before = painter.annotations.labels.copy()
    painter.confirm = lambda question: False  # type: ignore[method-assign]
    assert not painter.remove_class(2)
    assert np.array_equal(painter.annotations.labels, before)
    painter.confirm = lambda question: True  # type: ignore[method-assign]
    assert painter.remove_class(2)
    labels = painter.annotations.labels
    assert np.array_equal(labels == 1, before == 1) and np.array_equal(labels == 2, before == 3)
    assert not (labels == 3).any() and not labels[before == 2].any()
    assert painter.model.params("train")["class_names"] == "class 1, pores"
    assert not painter.remove_class(2)  # two classes left: the classifier needs them
    assert "needs two classes" in painter.message()
    painter.undo()  # the strokes come back, with a class for them
    assert np.array_equal(painter.annotations.labels, before)
    assert len(painter.classes) == 3
