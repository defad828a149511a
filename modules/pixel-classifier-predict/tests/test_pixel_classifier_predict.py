"""lamella/pixel-classifier-predict applies a trained model to other images."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage as ndi

from lamella.core.errors import InputFileError, ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.ml.artifact import write_model
from lamella.core.sdk.ml.features import FeatureBank
from lamella.core.sdk.ml.pixel_training import train_pixel_forest
from lamella.core.sdk.testing import ModuleRun, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]


def three_phases(size: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three vertical bands: dark smooth, dark grainy, bright smooth."""
    rng = np.random.default_rng(seed)
    truth = np.ones((size, size), np.int64)
    truth[:, size // 3:] = 2
    truth[:, 2 * size // 3:] = 3
    smooth = ndi.gaussian_filter(rng.normal(size=(size, size)), 3)
    smooth = 10 * smooth / smooth.std()
    grainy = rng.normal(0, 10, (size, size))
    image = np.choose(truth - 1, [80 + smooth, 80 + grainy, 170 + smooth])
    return image.astype(np.float32), truth


def model_file(tmp_path: Path, pixel_size: tuple[float, str] | None = (2.0, "nm")) -> Path:
    image, truth = three_phases(seed=1)
    strokes = np.zeros(truth.shape, np.uint8)
    strokes[10:70:15, :] = truth[10:70:15, :]
    strokes[:, 24:32] = 0  # not on the boundaries
    strokes[:, 50:58] = 0
    model = train_pixel_forest(image[np.newaxis], strokes, bank=FeatureBank(sigmas=(1.0, 2.0, 4.0)),
                               n_estimators=30, seed=0, class_names=["ferrite", "pearlite", "martensite"],
                               pixel_size=pixel_size)
    return model.write(tmp_path / "trained.lamella-model")


def run(tmp_path: Path, image: np.ndarray, model: Path, calibration: Calibration | None,
        axes: str = "YX", **params) -> ModuleRun:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_image(tmp_path / "image.ome.tif", Image(image, axes, calibration))
    return run_module(MODULE_DIR, tmp_path, inputs={"image": path, "model": model}, params=params)


def test_a_model_classifies_another_image_of_the_same_material(tmp_path: Path) -> None:
    image, truth = three_phases(seed=2)
    result = run(tmp_path, image, model_file(tmp_path), Calibration(2.0, 2.0, "nm"))
    classes = result.image("classes").data
    assert np.mean(classes == truth) > 0.9
    probabilities = result.image("probabilities").data
    assert probabilities.shape == (3, 80, 80)
    uncertainty = result.image("uncertainty")
    assert uncertainty.axes == "YX" and uncertainty.data.dtype == np.float32
    np.testing.assert_allclose(uncertainty.data, 1 - probabilities.max(axis=0), atol=1e-6)
    assert uncertainty.data[:, 30:50].mean() > uncertainty.data[:, 5:20].mean()  # harder near edges
    assert result.notes.warnings == []
    fractions = [result.notes.metrics[f"fraction_class_{v}"] for v in (1, 2, 3)]
    assert sum(fractions) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(("size", "warned"), [(2.08, False), (2.2, True), (None, True)])
def test_a_pixel_size_more_than_5_percent_off_the_models_is_warned(tmp_path: Path,
                                                                   size: float | None,
                                                                   warned: bool) -> None:
    image, _ = three_phases(size=40, seed=2)
    calibration = None if size is None else Calibration(size, size, "nm")
    result = run(tmp_path, image, model_file(tmp_path), calibration)
    if size == 2.2:
        assert result.notes.warnings == [
            "the image's pixel size 2.2 nm differs from the model's 2 nm by 10%; the features "
            "see structures at other physical sizes, so resample the image or train on images "
            "of this pixel size"]
    elif size is None:
        assert result.notes.warnings[0].startswith("the model was trained on a pixel size of 2 nm "
                                                   "but the image has none")
    assert bool(result.notes.warnings) == warned


def test_an_image_of_another_channel_count_is_refused_naming_both(tmp_path: Path) -> None:
    image, _ = three_phases(size=40)
    with pytest.raises(ModuleError, match=re.escape(
            "the model was trained on images with 1 channel(s) but input 'image' (image.ome.tif) "
            "has 3; give an image with 1 channel(s) or train a model on such images")):
        run(tmp_path, np.stack([image] * 3), model_file(tmp_path), None, axes="CYX")


def test_a_model_of_another_kind_is_refused(tmp_path: Path) -> None:
    other = write_model(tmp_path / "unet.lamella-model", "unet", {}, {})
    image, _ = three_phases(size=40)
    with pytest.raises(InputFileError, match="this is a 'unet' model, not a 'pixel-forest' model"):
        run(tmp_path, image, other, None)


def test_normalising_by_the_image_copes_with_another_brightness(tmp_path: Path) -> None:
    image, truth = three_phases(seed=3)
    brighter = 1.4 * image + 30  # another gain and offset of the same detector
    model = model_file(tmp_path)
    as_trained = run(tmp_path / "model", brighter, model, None, normalise="model")
    own = run(tmp_path / "image", brighter, model, None, normalise="image")
    assert np.mean(own.image("classes").data == truth) > 0.9
    assert np.mean(as_trained.image("classes").data == truth) < 0.8
