"""Live training for the editor, and what the forest learns from a few strokes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lamella.core.sdk.ml.features import FeatureBank
from lamella.core.sdk.ml.live import LiveClassifier, TrainingError
from lamella.core.sdk.ml.pixel_model import PixelForest

from .synthetic import best_threshold_accuracy, texture_pair, texture_strokes

SMALL_BANK = FeatureBank(sigmas=(1.0, 2.0, 4.0))


def test_a_texture_no_threshold_separates_is_learnt_from_a_few_strokes() -> None:
    image, truth = texture_pair()
    assert best_threshold_accuracy(image, truth) < 0.7
    live = LiveClassifier(image, channel_axis=False)
    summary = live.train(texture_strokes())
    assert summary.classes == (1, 2) and summary.samples_used == int((texture_strokes() > 0).sum())
    predicted = live.predict()
    assert np.mean(predicted.classes == truth) > 0.9
    assert predicted.probabilities.shape == (2, 128, 128)
    assert predicted.probabilities.dtype == np.float32
    np.testing.assert_allclose(predicted.probabilities.sum(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(predicted.uncertainty, 1 - predicted.probabilities.max(axis=0))


def test_classes_that_differ_only_in_the_third_channel_are_told_apart() -> None:
    rng = np.random.default_rng(3)
    truth = np.ones((96, 96), np.int64)
    truth[:, 48:] = 2
    channels = rng.normal(0.5, 0.1, (3, 96, 96)).astype(np.float32)
    channels[2] += np.where(truth == 2, 0.3, 0.0).astype(np.float32)
    strokes = np.zeros((96, 96), np.uint8)
    strokes[10:80:20, 5:40] = 1
    strokes[10:80:20, 56:90] = 2
    live = LiveClassifier(channels, channel_axis=True, bank=SMALL_BANK)
    summary = live.train(strokes)
    assert np.mean(live.predict().classes == truth) > 0.9
    assert all(name.startswith("ch2 ") for name, _ in summary.importances[:3])
    assert sum(v for name, v in summary.importances if name.startswith("ch2 ")) > 0.6


def test_retraining_with_strokes_of_a_new_class_changes_the_prediction() -> None:
    truth = np.ones((90, 90), np.int64)
    truth[:, 30:60] = 2
    truth[:, 60:] = 3
    image = np.choose(truth - 1, [0.1, 0.5, 0.9]).astype(np.float32)
    strokes = np.zeros((90, 90), np.uint8)
    strokes[40:43, 5:25] = 1
    strokes[40:43, 35:55] = 2
    live = LiveClassifier(image, channel_axis=False, bank=SMALL_BANK)
    live.train(strokes)
    before = live.predict()
    assert before.values == (1, 2) and not np.any(before.classes == 3)
    strokes[40:43, 65:85] = 3
    live.train(strokes)
    after = live.predict()
    assert after.values == (1, 2, 3)
    assert np.mean(after.classes[:, 65:] == 3) > 0.95
    assert not np.any(before.classes == 3)  # what was returned earlier is not changed


def test_a_region_is_predicted_from_the_whole_images_features() -> None:
    image, _ = texture_pair(size=96)
    live = LiveClassifier(image, channel_axis=False, bank=SMALL_BANK)
    live.train(texture_strokes(size=96))
    whole = live.predict()
    region = (slice(17, 60), slice(40, 96))
    part = live.predict(region)
    assert part.region == (slice(17, 60), slice(40, 96))
    np.testing.assert_array_equal(part.classes, whole.classes[region])
    np.testing.assert_allclose(part.probabilities, whole.probabilities[:, 17:60, 40:96])


@pytest.mark.parametrize(("annotations", "message"), [
    (np.zeros((32, 32), np.uint8),
     "annotations hold no labelled pixels (all 0); paint at least one stroke of each class"),
    (np.pad(np.full((4, 4), 2, np.uint8), 14),
     "annotations hold only one class (2); paint strokes of at least two classes"),
    (np.ones((32, 40), np.uint8),
     "annotations are 40 x 32 pixels but the image is 32 x 32 pixels; paint the scribbles on "
     "this image (same size)"),
])
def test_scribbles_that_cannot_train_are_refused_in_one_line(annotations: np.ndarray,
                                                             message: str) -> None:
    live = LiveClassifier(np.random.default_rng(0).random((32, 32)), channel_axis=False,
                          bank=SMALL_BANK)
    with pytest.raises(TrainingError, match=f"^{re.escape(message)}$"):
        live.train(annotations)
    with pytest.raises(TrainingError, match="nothing trained yet"):
        live.predict()


def test_the_live_model_is_written_as_a_model_file_that_predicts_the_same(tmp_path: Path) -> None:
    image, _ = texture_pair(size=64)
    live = LiveClassifier(image, channel_axis=False, pixel_size=(2.5, "nm"), bank=SMALL_BANK)
    live.train(texture_strokes(size=64))
    path = live.model_artifact(tmp_path / "live.lamella-model", ["smooth", "grainy"])
    model = PixelForest.read(path)
    assert model.class_names == ("smooth", "grainy") and model.pixel_size == (2.5, "nm")
    assert model.channels == 1 and model.bank == SMALL_BANK
    np.testing.assert_array_equal(model.predict(image[np.newaxis], tile=40).classes,
                                  live.predict().classes)
    with pytest.raises(ValueError, match="3 class name"):
        live.model_artifact(tmp_path / "bad.lamella-model", ["a", "b", "c"])


def test_a_grid_is_classified_exactly_as_the_same_pixels_of_the_whole_image() -> None:
    image, _ = texture_pair(size=96)
    live = LiveClassifier(image, channel_axis=False, bank=SMALL_BANK)
    live.train(texture_strokes(size=96))
    whole = live.predict()
    rows, columns = np.array([1, 3, 4, 40, 95]), np.arange(7, 90, 3)
    grid = live.predict_grid(rows, columns)
    assert grid.classes.shape == (5, len(columns)) and grid.probabilities.shape == (2, 5, len(columns))
    assert grid.region == (slice(1, 96), slice(7, 89))
    np.testing.assert_array_equal(grid.grid[0], rows)
    np.testing.assert_array_equal(grid.classes, whole.classes[np.ix_(rows, columns)])
    np.testing.assert_allclose(grid.probabilities, whole.probabilities[:, rows[:, None], columns[None, :]])
    np.testing.assert_allclose(grid.uncertainty, whole.uncertainty[np.ix_(rows, columns)])
    assert whole.grid is None
    for bad in ([3, 2], [0, 96], []):
        with pytest.raises(ValueError, match="grid"):
            live.predict_grid(np.array(bad, np.intp), columns)


def test_tree_by_tree_prediction_gives_scikit_learns_probabilities() -> None:
    from lamella.core.sdk.ml.forest import predict_pixels

    image, _ = texture_pair(size=64)
    live = LiveClassifier(image, channel_axis=False, bank=SMALL_BANK)
    live.train(texture_strokes(size=64))
    features = live._features
    assert features is not None and live._forest is not None
    theirs = predict_pixels(live._forest, features)  # scikit-learn's predict_proba
    for threads in (1, 3):
        ours = predict_pixels(live._forest, features, threads=threads)
        np.testing.assert_allclose(ours.probabilities, theirs.probabilities, atol=1e-6)
        np.testing.assert_array_equal(ours.classes, theirs.classes)


def test_a_prediction_whose_caller_gave_up_stops_with_prediction_cancelled() -> None:
    from lamella.core.sdk.ml.forest import THREAD_CHUNK
    from lamella.core.sdk.ml.live import PredictionCancelled

    image, _ = texture_pair(size=192)  # more pixels than one chunk: asked more than once
    assert image.size > THREAD_CHUNK
    live = LiveClassifier(image, channel_axis=False, bank=SMALL_BANK, n_jobs=1)
    live.train(texture_strokes(size=192))
    asked: list[bool] = []

    def cancelled() -> bool:
        asked.append(True)
        return len(asked) > 1  # a newer stroke arrived after the first chunk

    with pytest.raises(PredictionCancelled):
        live.predict(cancelled=cancelled)
    assert len(asked) == 2  # it stopped at the next chunk, not at the end
    with pytest.raises(PredictionCancelled):
        live.predict_grid(np.arange(192), np.arange(192), cancelled=lambda: True)
    assert live.predict(cancelled=lambda: False).classes.shape == (192, 192)


def test_above_its_cap_a_retrain_learns_from_a_seeded_subset_with_each_classs_share() -> None:
    from lamella.core.sdk.ml.forest import labelled_samples

    image, truth = texture_pair(size=96)
    strokes = np.zeros((96, 96), np.uint8)
    strokes[10:40, 5:45] = 1  # 1,200 pixels
    strokes[60:70, 55:95] = 2  # 400 pixels
    live = LiveClassifier(image, channel_axis=False, bank=SMALL_BANK, max_samples=400)
    summary = live.train(strokes)
    assert summary.samples_used == 400 and summary.pixels_per_class == {1: 1200, 2: 400}
    assert live.features_ready and live._features is not None
    _, y = labelled_samples(live._features, strokes, seed=0, max_samples=400, stratified=True)
    assert (np.count_nonzero(y == 1), np.count_nonzero(y == 2)) == (300, 100)
    again = LiveClassifier(image, channel_axis=False, bank=SMALL_BANK, max_samples=400)
    again.train(strokes)
    np.testing.assert_array_equal(again.predict().classes, live.predict().classes)  # seeded
    assert np.mean(live.predict().classes == truth) > 0.8
    rare = strokes.copy()
    rare[:] = 1
    rare[0, 0] = 2  # one pixel of class 2 among 9,215: still learnt from
    _, y = labelled_samples(live._features, rare, seed=0, max_samples=100, stratified=True)
    assert np.count_nonzero(y == 2) == 1 and len(y) == 100
