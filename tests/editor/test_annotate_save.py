"""Saving annotations: the label TIFF, the colours' sidecar, the workflow's path, and a real run."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile

from lamella.core.catalog import Catalog
from lamella.core.sdk import read_image
from lamella.editor.model import EditorModel
from tests.editor.paint_helpers import WORKFLOW, stroke, write_stand_in, write_workflow

pytestmark = pytest.mark.qt

NAMED = WORKFLOW.replace(
    "  image: {type: image, default: two.tif}\n",
    "  image: {type: image, default: two.tif}\n  marks: {type: file, default: labels/marks.tif}\n",
).replace(
    "  train: {module: test/paint-train@1, in: {image: load.image}}\n",
    "  marks: {module: lamella/load-labels@1, params: {kind: labels},\n"
    "          in: {path: $inputs.marks, like: load.image}}\n"
    "  train: {module: test/paint-train@1, in: {image: load.image, annotations: marks.labels}}\n")


def open_painter(qtbot, tmp_path: Path, text: str = WORKFLOW):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from lamella.editor.viewers.annotate_window import AnnotateWindow

    modules = write_stand_in(tmp_path / "modules")
    path = write_workflow(tmp_path / "work", text)
    model = EditorModel.open(path, Catalog.discover([modules], env={}))
    window = AnnotateWindow(model, "train", read_image(path.parent / "two.tif"))
    window.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    window.bar.live.setChecked(False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.view.fit()
    return window, modules


def paint_two_classes(window) -> None:  # type: ignore[no-untyped-def]
    window.set_brush_size(5)
    stroke(window.view, [(5, 10), (20, 10)])
    window.set_class(2)
    stroke(window.view, [(45, 30), (60, 30)])


def test_save_writes_the_labels_names_the_file_in_the_workflow_and_a_run_reads_it(
        qtbot, tmp_path: Path, isolated_cache: Path) -> None:
    from lamella.runner import Analysis

    window, modules = open_painter(qtbot, tmp_path)
    paint_two_classes(window)
    window.rename_class(1, "dark")
    window.recolour_class(2, "#00aaff")
    assert window.save()
    work = tmp_path / "work"
    target = work / "paint-test-annotations.tif"
    saved = tifffile.imread(target)
    assert saved.dtype == np.uint8 and np.array_equal(saved, window.annotations.labels)
    assert set(np.unique(saved)) == {0, 1, 2}
    assert sorted(p.name for p in work.iterdir()) == [  # written under a temporary name, moved over
        "paint-test-annotations.classes.json", "paint-test-annotations.tif", "paint-test.yaml", "two.tif"]
    sidecar = json.loads((work / "paint-test-annotations.classes.json").read_text())
    assert sidecar["classes"] == [{"value": 1, "name": "dark", "colour": "#e41a1c"},
                                  {"value": 2, "name": "class 2", "colour": "#00aaff"}]
    assert not window.dirty and "saved" in window.message()

    model = window.model
    assert model.workflow_inputs()["annotations"]["default"] == "paint-test-annotations.tif"
    assert model.wire_into("train", "annotations") == ("load-annotations", "labels")
    assert model.wire_into("load-annotations", "path") == ("$inputs", "annotations")
    assert model.wire_into("load-annotations", "like") == ("load", "image")
    assert model.params("load-annotations") == {"kind": "labels"}
    assert not model.problems()
    model.save()
    text = (work / "paint-test.yaml").read_text()
    assert "annotations: {type: file, default: paint-test-annotations.tif" in text

    result = Analysis.load(work / "paint-test.yaml", modules=[modules]).run(
        out=tmp_path / "results", cache_dir=isolated_cache)
    assert result.status == "succeeded"
    job = next(j for j in result.jobs if j.node.id == "train")
    counts = json.loads(Path(job.outputs["counts"][0]).read_text())
    painted = window.annotations.counts()
    assert counts["counts"] == {"0": int((saved == 0).sum()), "1": painted[1], "2": painted[2]}
    assert counts["names"] == ["dark", "class 2"]


def test_a_workflow_naming_a_label_file_is_saved_there_without_edits(qtbot, tmp_path: Path) -> None:
    window, _ = open_painter(qtbot, tmp_path, NAMED)
    paint_two_classes(window)
    assert window.save()
    target = tmp_path / "work" / "labels" / "marks.tif"
    assert np.array_equal(tifffile.imread(target), window.annotations.labels)
    assert not window.model.dirty  # the path was there: nothing to change in the workflow


def test_saved_annotations_and_colours_come_back_when_painting_again(qtbot, tmp_path: Path) -> None:
    from lamella.editor.viewers.annotate_window import AnnotateWindow

    window, _ = open_painter(qtbot, tmp_path, NAMED)
    paint_two_classes(window)
    window.recolour_class(1, "#123456")
    window.save()
    again = AnnotateWindow(window.model, "train", window.image)
    qtbot.addWidget(again)
    assert np.array_equal(again.annotations.labels, window.annotations.labels)
    assert again.classes[0].colour == "#123456" and not again.dirty


def test_a_label_file_of_another_size_is_not_loaded_nor_replaced_unasked(qtbot, tmp_path: Path) -> None:
    target = tmp_path / "work" / "labels" / "marks.tif"
    target.parent.mkdir(parents=True)
    tifffile.imwrite(target, np.ones((10, 12), dtype=np.uint8))
    window, _ = open_painter(qtbot, tmp_path, NAMED)
    assert window.message() == ("marks.tif is 12 x 10 px but the image is 64 x 48 px; starting empty "
                                "(saving replaces the file)")
    assert not window.annotations.labels.any()
    paint_two_classes(window)
    window.confirm = lambda question: False  # type: ignore[method-assign]
    assert not window.save()
    assert tifffile.imread(target).shape == (10, 12)
    window.confirm = lambda question: True  # type: ignore[method-assign]
    assert window.save()
    assert tifffile.imread(target).shape == (48, 64)


def test_an_unsaved_workflow_is_saved_first(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    from lamella.editor.viewers.annotate_window import AnnotateWindow

    modules = write_stand_in(tmp_path / "modules")
    path = write_workflow(tmp_path / "work")
    model = EditorModel(Catalog.discover([modules], env={}))
    model.add_node("lamella/load-image@1", node_id="load")
    model.add_node("test/paint-train@1", node_id="train")
    model.connect("load", "image", "train", "image")
    window = AnnotateWindow(model, "train", read_image(path.parent / "two.tif"))
    window.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    qtbot.addWidget(window)
    window.annotations.begin(3, 3, 1, 1)
    window.annotations.end()
    assert not window.save()
    assert window.message() == "save the workflow first (File ▸ Save): its annotations are saved beside it"
    window.save_workflow = lambda: bool(model.save(tmp_path / "new" / "flow.yaml"))
    (tmp_path / "new").mkdir()
    assert window.save()
    assert tifffile.imread(tmp_path / "new" / "flow-annotations.tif")[3, 3] == 1


def test_saving_with_a_class_without_strokes_says_training_needs_it(qtbot, tmp_path: Path) -> None:
    window, _ = open_painter(qtbot, tmp_path, NAMED)
    paint_two_classes(window)
    window.add_class("pores")
    assert window.save()
    assert window.message().endswith("; 'pores' has no strokes: training needs strokes of every class "
                                     "(paint it or remove it)")


REAL = """lamella: 1
name: paint-real
inputs:
  image: {type: image, default: two.tif}
nodes:
  load: {module: lamella/load-image@1, params: {crop_info_bar: 'off'}, in: {path: $inputs.image}}
  train:
    module: lamella/pixel-classifier-train@1
    params: {features: intensity, n_estimators: 10}
    in: {image: load.image}
"""


def test_the_pixel_classifier_trains_on_the_saved_annotations_in_a_real_run(
        qtbot, tmp_path: Path, isolated_cache: Path) -> None:
    pytest.importorskip("sklearn", reason="the pixel classifier needs the ml extra (scikit-learn)")
    from PySide6.QtWidgets import QMessageBox

    from lamella.editor.viewers.annotate_window import AnnotateWindow
    from lamella.runner import Analysis

    path = write_workflow(tmp_path / "work", REAL)
    model = EditorModel.open(path, Catalog.discover([], env={}))
    window = AnnotateWindow(model, "train", read_image(path.parent / "two.tif"))
    window.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    window.bar.live.setChecked(False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.view.fit()
    paint_two_classes(window)
    window.rename_class(1, "dark")
    window.rename_class(2, "bright")
    assert window.save() and not window.model.problems()
    model.save()
    result = Analysis.load(path).run(out=tmp_path / "results", cache_dir=isolated_cache)
    assert result.status == "succeeded", [j.error for j in result.jobs if j.error]
    job = next(j for j in result.jobs if j.node.id == "train")
    classes = read_image(job.outputs["classes"][0]).data
    assert (classes[:, :32] == 1).mean() > 0.99 and (classes[:, 32:] == 2).mean() > 0.99
    from lamella.core.sdk.ml.pixel_model import PixelForest

    trained = PixelForest.read(job.outputs["model"][0])
    assert trained.class_names == ("dark", "bright") and trained.class_values == (1, 2)
    with zipfile.ZipFile(job.outputs["model"][0]) as archive:
        training = json.loads(archive.read("model.json"))["metadata"]["training"]
    assert training["pixels_per_class"] == {str(k): v for k, v in window.annotations.counts().items()}
