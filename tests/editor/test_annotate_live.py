"""Live training while painting: a real classifier in a worker thread, the window kept responsive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamella.editor.viewers._paint_grid import place, rest_of, screen_grid, spread
from lamella.editor.viewers._paint_live import LiveTrainer, PredictionPart, regions_in_order
from tests.editor.paint_helpers import stroke, two_levels, write_stand_in

pytest.importorskip("sklearn", reason="live training needs the ml extra (scikit-learn)")
pytestmark = pytest.mark.qt

SHAPE = (96, 128)


def halves(left: int, right: int) -> np.ndarray:
    """Annotations: a stripe of ``left`` in the dark half, one of ``right`` in the bright half."""
    labels = np.zeros(SHAPE, dtype=np.uint16)
    labels[40:50, 10:40] = left
    labels[40:50, 90:120] = right
    return labels


@pytest.mark.parametrize("axes, shape, expected, channels", [
    ("YX", (5, 6), (5, 6), False), ("CYX", (2, 5, 6), (2, 5, 6), True),
    ("YXS", (5, 6, 3), (3, 5, 6), True), ("ZYX", (4, 5, 6), (5, 6), False),
    ("TCYX", (3, 2, 5, 6), (2, 5, 6), True)])
def test_the_classifier_learns_from_the_first_plane_with_channels_first(
        axes: str, shape: tuple[int, ...], expected: tuple[int, ...], channels: bool) -> None:
    from lamella.core.sdk import Calibration, Image
    from lamella.editor.viewers._paint_pixels import classifier_pixels, pixel_size_of

    data = np.arange(int(np.prod(shape)), dtype=np.uint16).reshape(shape)
    image = Image(data, axes, Calibration(2.5, 2.5, "nm"))
    pixels, channel_axis = classifier_pixels(image)
    assert pixels.shape == expected and channel_axis is channels
    if axes == "YXS":
        assert np.array_equal(pixels[1], data[:, :, 1])
    if axes == "ZYX":
        assert np.array_equal(pixels, data[0])
    assert pixel_size_of(image) == (2.5, "nm")


def test_the_visible_region_comes_first_then_tiles_covering_the_rest_once() -> None:
    visible = (slice(100, 300), slice(50, 400))
    regions = regions_in_order((700, 1100), visible, tile=256)
    assert regions[0] == visible
    covered = np.zeros((700, 1100), dtype=np.uint8)
    for rows, columns in regions:
        covered[rows, columns] += 1
    assert (covered == 1).all()
    assert regions_in_order((10, 10), None) == [(slice(0, 10), slice(0, 10))]


def test_a_zoomed_out_view_picks_one_pixel_per_screen_pixel_and_spreads_them_back() -> None:
    region = (slice(100, 300), slice(50, 407))
    assert screen_grid(region, 1.0) is None and screen_grid(region, 2.5) is None
    rows, columns = screen_grid(region, 0.7)
    assert (len(rows), len(columns)) == (140, 250)  # ceil(200 x 0.7), ceil(357 x 0.7)
    assert rows[0] >= 100 and rows[-1] < 300 and columns[0] >= 50 and columns[-1] < 407
    assert (np.diff(rows) >= 1).all() and (np.diff(rows) <= 2).all()
    values = np.arange(rows.size * columns.size).reshape(rows.size, columns.size)
    full = spread(values, (rows, columns), region)
    assert full.shape == (200, 357)
    np.testing.assert_array_equal(full[np.ix_(rows - 100, columns - 50)], values)  # picks keep theirs
    assert set(np.unique(full)) == set(values.ravel())  # every picked pixel shows
    # Every other pixel shows its nearest pick.
    nearest = np.abs(np.arange(100, 300)[:, None] - rows[None, :]).min(axis=1)
    assert nearest.max() <= 1
    assert screen_grid((slice(0, 3), slice(0, 1000)), 0.001) is not None
    # The grid and the rest cover the region once each: the full map reuses the grid's pixels.
    covered = np.zeros((200, 357), np.int64)
    for part in [(rows, columns), *rest_of((rows, columns), region)]:
        place(covered, covered[np.ix_(part[0] - 100, part[1] - 50)] + 1, part, region)
    assert (covered == 1).all()


class _Held:
    """A stand-in classifier whose first prediction waits for the test, then asks to go on."""

    features_ready = True

    def __init__(self) -> None:
        import threading

        from lamella.core.sdk.ml.forest import TrainingSummary

        self.summary = TrainingSummary((1, 2), {1: 1, 2: 1}, 2, None)
        self.started, self.go_on = threading.Event(), threading.Event()
        self.answers: list[bool] = []

    def train(self, labels: np.ndarray):  # type: ignore[no-untyped-def]
        return self.summary

    def predict_grid(self, rows, columns, cancelled):  # type: ignore[no-untyped-def]
        return self._classes((len(rows), len(columns)), cancelled)

    def predict(self, region, cancelled):  # type: ignore[no-untyped-def]
        return self._classes((region[0].stop - region[0].start, region[1].stop - region[1].start),
                             cancelled)

    def _classes(self, shape, cancelled):  # type: ignore[no-untyped-def]
        from types import SimpleNamespace

        from lamella.core.sdk.ml.live import PredictionCancelled

        if not self.started.is_set():
            self.started.set()
            self.go_on.wait(30)
        self.answers.append(cancelled())
        if self.answers[-1]:
            raise PredictionCancelled("a newer request")
        return SimpleNamespace(classes=np.ones(shape, np.int64), uncertainty=np.zeros(shape, np.float32))


def test_a_newer_stroke_cancels_the_prediction_under_way(qtbot) -> None:
    trainer = LiveTrainer(np.zeros(SHAPE, np.float32))
    held = trainer._classifier = _Held()
    parts: list[PredictionPart] = []
    trainer.predicted.connect(parts.append)
    first = trainer.request(halves(1, 2), (slice(0, 96), slice(0, 128)), 0.5)
    assert held.started.wait(30)  # the first prediction is under way
    second = trainer.request(halves(2, 1), None)
    held.go_on.set()
    qtbot.waitUntil(lambda: not trainer.busy and any(p.final for p in parts), timeout=30000)
    assert held.answers[0] is True  # the first generation's prediction was told to stop
    assert [p.generation for p in parts] == [second] and parts[0].final and not parts[0].coarse
    assert first != second
    trainer.close()


def test_a_zoomed_out_view_gets_a_coarse_part_first_then_full_resolution(qtbot) -> None:
    trainer = LiveTrainer(two_levels(*SHAPE).astype(np.float32))
    parts: list[PredictionPart] = []
    trainer.predicted.connect(parts.append)
    visible = (slice(0, 96), slice(0, 128))
    trainer.request(halves(1, 2), visible, 0.5)
    qtbot.waitUntil(lambda: not trainer.busy and any(p.final for p in parts), timeout=60000)
    coarse, full = parts[0], parts[1]
    assert coarse.coarse and not coarse.final and coarse.region == visible
    assert not full.coarse and full.final and full.region == visible and len(parts) == 2
    assert coarse.classes.shape == full.classes.shape == SHAPE
    rows, columns = screen_grid(visible, 0.5)
    np.testing.assert_array_equal(coarse.classes[np.ix_(rows, columns)], full.classes[np.ix_(rows, columns)])
    np.testing.assert_allclose(coarse.uncertainty[np.ix_(rows, columns)],
                               full.uncertainty[np.ix_(rows, columns)])
    # The full part reuses the grid's pixels and fills in the others: as predicting it whole.
    whole = trainer._classifier.predict(visible)
    np.testing.assert_array_equal(full.classes, whole.classes)
    np.testing.assert_allclose(full.uncertainty, whole.uncertainty)
    assert (coarse.classes != full.classes).any() or (coarse.uncertainty != full.uncertainty).any()
    trainer.close()


def test_the_newest_request_wins_and_older_results_are_stale(qtbot) -> None:
    trainer = LiveTrainer(two_levels(*SHAPE).astype(np.float32))
    parts: list[PredictionPart] = []
    trainer.predicted.connect(parts.append)
    first = trainer.request(halves(1, 2), None)
    second = trainer.request(halves(2, 1), None)  # painted before the first training ended
    qtbot.waitUntil(lambda: not trainer.busy and any(p.final and p.generation == second for p in parts),
                    timeout=60000)
    assert not trainer.is_current(first) and trainer.is_current(second)
    final = [p for p in parts if p.generation == second]
    assert len(final) == 1 and final[0].region == (slice(0, 96), slice(0, 128))
    classes = final[0].classes
    assert (classes[:, :64] == 2).mean() > 0.99 and (classes[:, 64:] == 1).mean() > 0.99
    trainer.close()


@pytest.fixture
def live_painter(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    import tifffile
    from PySide6.QtWidgets import QMessageBox

    from lamella.core.catalog import Catalog
    from lamella.core.sdk import read_image
    from lamella.editor.model import EditorModel
    from lamella.editor.viewers.annotate_window import AnnotateWindow
    from tests.editor.paint_helpers import write_workflow

    modules = write_stand_in(tmp_path / "modules")
    path = write_workflow(tmp_path / "work")
    tifffile.imwrite(path.parent / "two.tif", two_levels(*SHAPE))
    model = EditorModel.open(path, Catalog.discover([modules], env={}))
    window = AnnotateWindow(model, "train", read_image(path.parent / "two.tif"))
    window.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.view.fit()
    yield window
    window.trainer.close()


def test_strokes_train_a_classifier_whose_overlay_matches_the_painted_regions(live_painter, qtbot) -> None:
    from PySide6.QtCore import QTimer

    painter = live_painter
    painter.set_brush_size(5)
    stroke(painter.view, [(10, 45), (40, 45)])
    assert painter.message() == "paint at least two classes to train the classifier"
    painter.set_class(2)
    ticks: list[bool] = []  # the window's event loop runs while the worker trains
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(painter.trainer.busy))
    timer.start(0)
    stroke(painter.view, [(90, 45), (120, 45)])
    assert painter.trainer.busy  # the stroke returned at once; training goes on meanwhile
    # The summary is the worker's last word (queued after the last part of the prediction).
    qtbot.waitUntil(lambda: painter.message().startswith("trained on "), timeout=60000)
    timer.stop()
    assert any(ticks), "no event was processed while training"
    predicted = painter.predicted
    assert (predicted[:, :64] == 1).mean() > 0.99 and (predicted[:, 64:] == 2).mean() > 0.99
    rgba = painter.view.prediction.rgba  # the overlay in the class colours
    assert tuple(rgba[5, 5, :3]) == painter.classes[0].rgb() and rgba[5, 5, 3] == 255
    assert tuple(rgba[90, 120, :3]) == painter.classes[1].rgb()
    assert painter.trainer.trainings >= 1

    painter.show_overlay("uncertainty")
    certainty = painter.uncertainty
    assert np.isfinite(certainty).all() and certainty.min() >= 0 and certainty.max() <= 0.5
    # Far from the painted stripes' grey level nothing is unsure; the overlay is see-through there.
    assert certainty[5, 5] < 0.2 and rgba[5, 5, 3] < 0.4 * 255
    assert painter.hover_text(5, 5).startswith("x 5, y 5 · predicted class 1 (uncertainty ")


def test_the_visible_area_is_predicted_first(live_painter, qtbot) -> None:
    painter = live_painter
    painter.view.zoom_by(4)  # only a part of the image in view
    visible = painter.view.visible_region()
    assert visible is not None and visible != (slice(0, 96), slice(0, 128))
    parts: list[PredictionPart] = []
    painter.trainer.predicted.connect(parts.append)
    painter.annotations.labels[...] = halves(1, 2)
    assert painter.retrain()
    qtbot.waitUntil(lambda: any(p.final for p in parts), timeout=60000)
    assert parts[0].region == visible and not parts[0].coarse  # zoomed in: no coarse part
    assert (painter.predicted > 0).all()


def test_a_view_showing_the_image_smaller_than_1_to_1_shows_a_coarse_map_first(live_painter, qtbot) -> None:
    painter = live_painter
    painter.view.zoom_by(0.5 / painter.view.zoom())  # 96 x 128 shown in 48 x 64 screen pixels
    whole = (slice(0, 96), slice(0, 128))
    assert painter.view.visible_region() == whole
    parts: list[PredictionPart] = []
    painter.trainer.predicted.connect(parts.append)
    shown: list[np.ndarray] = []  # what the window holds once each part is drawn
    painter.trainer.predicted.connect(lambda part: shown.append(painter.predicted.copy()))
    painter.annotations.labels[...] = halves(1, 2)
    assert painter.retrain()
    qtbot.waitUntil(lambda: any(p.final for p in parts), timeout=60000)
    assert parts[0].coarse and parts[0].region == whole and (shown[0] > 0).all()
    assert parts[-1].final and not parts[-1].coarse
    rows, columns = screen_grid(whole, 0.5 * painter.view.devicePixelRatioF())
    np.testing.assert_array_equal(shown[0][np.ix_(rows, columns)], painter.predicted[np.ix_(rows, columns)])


def test_the_live_features_follow_the_training_steps_parameters(live_painter, qtbot) -> None:
    from lamella.core.sdk import Calibration
    from lamella.core.sdk.ml.features import DEFAULT_SIGMAS, FEATURE_GROUPS
    from lamella.editor.viewers._paint_bank import live_bank

    painter = live_painter
    bank = painter.trainer._bank
    assert bank.groups == FEATURE_GROUPS and bank.sigmas == DEFAULT_SIGMAS
    painter.annotations.labels[...] = halves(1, 2)
    painter.model.set_param("train", "features", "intensity")  # in the properties panel, say
    assert painter.trainer._bank.groups == ("intensity", "gaussian")
    qtbot.waitUntil(lambda: not painter.trainer.busy, timeout=60000)
    assert painter.trainer._classifier.bank.groups == ("intensity", "gaussian")
    assert len(painter.trainer._classifier.feature_names) == 1 + 6

    manifest = painter.model.manifest("train")
    bank, note = live_bank(manifest, {"features": "custom", "groups": "gaussian, hessian",
                                      "scales": "25 nm, 50 nm"}, Calibration(12.5, 12.5, "nm"))
    assert (bank.groups, bank.sigmas, note) == (("gaussian", "hessian"), (2.0, 4.0), "")
    bank, note = live_bank(manifest, {"scales": "25 nm"}, None)
    assert bank.sigmas == DEFAULT_SIGMAS and note.startswith("live training uses the default features (")
