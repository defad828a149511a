"""lamella/pixel-classifier-train on small images whose classes are known."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage as ndi

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.ml.artifact import read_model
from lamella.core.sdk.testing import ModuleRun, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
NM2 = Calibration(2.0, 2.0, "nm")
FAST = {"scales": "1, 2, 4", "n_estimators": 30}


def texture_image(size: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Smooth left half (class 1), grainy right half (class 2), same grey-level histogram."""
    rng = np.random.default_rng(seed)
    truth = np.ones((size, size), np.int64)
    truth[:, size // 2:] = 2
    smooth = ndi.gaussian_filter(rng.normal(size=(size, size)), 3)
    smooth = 120 + 30 * (smooth - smooth.mean()) / smooth.std()
    grainy = rng.normal(120, 30, (size, size))
    return np.clip(np.where(truth == 1, smooth, grainy), 0, 255).astype(np.uint8), truth


def strokes(size: int = 96) -> np.ndarray:
    painted = np.zeros((size, size), np.uint8)
    painted[10:13, 5:40] = 1
    painted[60:63, 8:30] = 1
    painted[20:23, 56:90] = 2
    painted[75:78, 60:85] = 2
    return painted


def run(tmp_path: Path, image: np.ndarray, painted: np.ndarray, **params) -> ModuleRun:
    tmp_path.mkdir(parents=True, exist_ok=True)
    axes = "YX" if image.ndim == 2 else "CYX"
    image_path = write_image(tmp_path / "image.ome.tif", Image(image, axes, NM2))
    strokes_path = write_image(tmp_path / "strokes.ome.tif", Image(painted, "YX", NM2))
    return run_module(MODULE_DIR, tmp_path, inputs={"image": image_path, "annotations": strokes_path},
                      params={**FAST, **params})


def test_texture_phases_are_learnt_from_strokes_and_the_model_records_its_training(
        tmp_path: Path) -> None:
    image, truth = texture_image()
    result = run(tmp_path, image, strokes(), class_names="smooth, grainy")
    classes = result.image("classes")
    assert np.mean(classes.data == truth) > 0.9
    assert (classes.calibration.x, classes.calibration.unit) == (2.0, "nm")
    probabilities = result.image("probabilities").data
    assert probabilities.shape == (2, 96, 96) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=0), 1.0, atol=1e-5)
    model = read_model(result.path("model"), kind="pixel-forest")
    assert result.path("model").name == "model.lamella-model"
    meta = model.metadata
    assert meta["classes"] == [{"value": 1, "name": "smooth"}, {"value": 2, "name": "grainy"}]
    assert meta["channels"] == 1 and meta["pixel_size"] == {"value": 2.0, "unit": "nm"}
    assert meta["features"]["sigmas_px"] == [1.0, 2.0, 4.0]
    assert len(meta["features"]["names"]) == 1 + 3 * 10
    assert meta["normalisation"]["method"] == "percentile"
    assert meta["training"]["pixels_per_class"] == {"1": 171, "2": 177}
    assert 0.8 < meta["training"]["oob_accuracy"] <= 1.0
    assert len(meta["training"]["top_features"]) == 10
    assert meta["forest"]["n_estimators"] == 30 and meta["sklearn_version"]
    assert result.notes.metrics["painted_pixels_class_1"] == 171
    assert result.notes.metrics["oob_accuracy"] == round(meta["training"]["oob_accuracy"], 4)


def test_scales_given_as_lengths_go_through_the_pixel_size(tmp_path: Path) -> None:
    image, _ = texture_image(size=48)
    painted = strokes(size=96)[::2, ::2]
    result = run(tmp_path, image, painted, scales="2 nm, 8 nm", features="intensity")
    meta = read_model(result.path("model")).metadata
    assert meta["features"]["sigmas_px"] == [1.0, 4.0]
    assert meta["features"]["names"] == ["ch0 intensity", "ch0 gaussian s=1", "ch0 gaussian s=4"]
    assert meta["classes"][1] == {"value": 2, "name": "class 2"}


@pytest.mark.parametrize(("painted", "params", "message"), [
    (np.pad(np.full((4, 4), 2, np.uint8), 22), {},
     "the annotations (strokes.ome.tif) hold only one class (2); paint strokes of at least two "
     "classes"),
    (np.zeros((48, 48), np.uint8), {},
     "the annotations (strokes.ome.tif) hold no labelled pixels (all 0); paint at least one "
     "stroke of each class"),
    (np.ones((40, 48), np.uint8), {},
     "the annotations (strokes.ome.tif) are 48 x 40 pixels but the image is 48 x 48 pixels; "
     "paint the scribbles on this image (same size)"),
    (strokes(96)[::2, ::2], {"class_names": "a, b, c"},
     "parameter 'class_names': 3 class name(s) given for 2 painted classes (1, 2); give one "
     "name per class, in value order"),
    (strokes(96)[::2, ::2], {"features": "custom", "groups": "gaussian, sobel"},
     "parameter 'groups': unknown feature group 'sobel'; the groups are intensity, gaussian, "
     "dog, log, gradient, hessian, structure, entropy, gabor"),
    (strokes(96)[::2, ::2], {"scales": "2 nm, 5 mn"}, "parameter 'scales': "),
])
def test_what_cannot_train_is_refused_in_one_line(tmp_path: Path, painted: np.ndarray,
                                                  params: dict, message: str) -> None:
    image, _ = texture_image(size=48)
    with pytest.raises(ModuleError, match="^" + re.escape(message)) as caught:
        run(tmp_path, image, painted, **params)
    assert "\n" not in str(caught.value)


PROBE = """
import sys
sys.modules['sklearn'] = None  # as if the ml extra were not installed
from pathlib import Path
from lamella.core.errors import LamellaError
sys.path.insert(0, {tests!r})
import test_pixel_classifier_train as t
image, _ = t.texture_image(size=32)
try:
    t.run(Path({tmp!r}), image, t.strokes(96)[::3, ::3])
except LamellaError as exc:
    print(exc)
"""


def test_without_scikit_learn_the_module_says_which_extra_to_install(tmp_path: Path) -> None:
    probe = PROBE.format(tests=str(Path(__file__).parent), tmp=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == ("the pixel classifier needs scikit-learn, which is not "
                                   'installed: pip install "lamella[ml]"')
