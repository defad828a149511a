"""Opening the painting window from the editor: which step, and the image it learns from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.editor.paint_helpers import WORKFLOW, two_levels, write_stand_in, write_workflow

pytestmark = pytest.mark.qt


def opened(window, qtbot):  # type: ignore[no-untyped-def]
    shown: list = []
    window.annotate.opened.connect(shown.append)
    return shown


def test_annotate_computes_the_training_image_of_an_unfinished_workflow(make_window, qtbot,
                                                                        tmp_path: Path) -> None:
    modules = write_stand_in(tmp_path / "modules")
    window = make_window(write_workflow(tmp_path / "work"), modules=(modules,))
    assert window.model.problems()  # train has no annotations yet: the workflow cannot run
    shown = opened(window, qtbot)
    window.canvas.select(["load"])
    assert window.annotate.training_node() == "train"  # the workflow's only training step
    assert window.annotate.open()
    qtbot.waitUntil(lambda: bool(shown), timeout=60000)
    painter = shown[0]
    assert painter.node == "train" and painter.shape == (48, 64)
    assert np.array_equal(painter.image.data, two_levels())  # load.image, computed by a preview
    assert window.annotate.open()  # again: the same window, raised
    assert window.findChildren(type(painter)) == [painter]
    assert window.preview.enabled  # the window's own preview is given back


def test_a_training_step_reading_a_workflow_input_paints_on_that_file(make_window, qtbot,
                                                                      tmp_path: Path) -> None:
    text = WORKFLOW.replace("in: {image: load.image}", "in: {image: $inputs.image}")
    modules = write_stand_in(tmp_path / "modules")
    window = make_window(write_workflow(tmp_path / "work", text), modules=(modules,))
    shown = opened(window, qtbot)
    window.canvas.select(["train"])
    assert window.annotate.open()
    assert shown and np.array_equal(shown[0].image.data, two_levels())


def test_annotate_says_what_to_do_without_a_training_step_or_its_image(make_window, tmp_path: Path) -> None:
    modules = write_stand_in(tmp_path / "modules")
    text = WORKFLOW.replace("in: {image: load.image}", "in: {}")
    window = make_window(write_workflow(tmp_path / "work", text), modules=(modules,))
    assert not window.annotate.open()
    assert window.statusBar().currentMessage() == (
        "connect an image to train.image first: the annotations are painted on it")
    window.model.remove_nodes(["train"])
    assert not window.annotate.open()
    assert window.statusBar().currentMessage().startswith("select a training step")


def test_closing_the_editor_asks_about_unsaved_strokes_first(make_window, qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    modules = write_stand_in(tmp_path / "modules")
    text = WORKFLOW.replace("in: {image: load.image}", "in: {image: $inputs.image}")
    window = make_window(write_workflow(tmp_path / "work", text), modules=(modules,))
    shown = opened(window, qtbot)
    assert window.annotate.open()
    painter = shown[0]
    painter.bar.live.setChecked(False)
    painter.paint([(3, 3), (9, 3)])
    painter.ask_unsaved = lambda: QMessageBox.StandardButton.Cancel  # type: ignore[method-assign]
    assert not window.close()
    assert window.isVisible() and painter.isVisible()
    painter.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    assert window.close()
    assert not painter.isVisible()
