"""lamella/unet-train and lamella/unet-predict run as a workflow would run them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.ml.artifact import read_model
from lamella.core.sdk.testing import ModuleRun, run_module

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "modules" / "unet-train"
PREDICT = ROOT / "modules" / "unet-predict"
NM2 = Calibration(2.0, 2.0, "nm")
TINY = {"depth": 2, "width": 4, "patch_size": 32, "batch_size": 4, "iterations": 12,
        "validate_every": 4}


def squares(seed: int = 0, shape: tuple[int, int] = (64, 80)) -> tuple[np.ndarray, np.ndarray]:
    """A noisy image of three bright squares (two touching) and their instance labels."""
    labels = np.zeros(shape, np.uint16)
    labels[10:30, 10:30] = 1
    labels[10:30, 30:50] = 2
    labels[40:60, 50:70] = 3
    rng = np.random.default_rng(seed)
    return ((labels > 0) * 150 + rng.normal(50, 10, shape)).astype(np.float32), labels


def write_pair(folder: Path, image: np.ndarray, labels: np.ndarray,
               axes: str = "YX") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return (write_image(folder / "image.ome.tif", Image(image, axes, NM2)),
            write_image(folder / "labels.ome.tif", Image(labels, axes[-3:] if "Z" in axes
                                                          else "YX", NM2)))


def train(tmp_path: Path, image: np.ndarray, labels: np.ndarray, **params) -> ModuleRun:
    image_path, labels_path = write_pair(tmp_path / "data", image, labels)
    return run_module(TRAIN, tmp_path, inputs={"image": image_path, "labels": labels_path},
                      params={**TINY, **params}, node="train")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> ModuleRun:  # type: ignore[no-untyped-def]
    image, labels = squares()
    return train(tmp_path_factory.mktemp("train"), image, labels, target="three-class",
                 members=2)


def predict(tmp_path: Path, image: np.ndarray, models: dict[str, object], axes: str = "YX",
            node: str = "predict", **params) -> ModuleRun:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_image(tmp_path / f"{node}.ome.tif", Image(image, axes, NM2))
    return run_module(PREDICT, tmp_path, inputs={"image": path, **models},
                      params={"tile_size": 32, "tile_overlap": 8, **params}, node=node)


def test_the_model_file_holds_weights_architecture_and_what_it_was_trained_on(trained) -> None:
    model = read_model(trained.path("model"), kind="unet")
    meta = model.metadata
    assert trained.path("model").name == "model.lamella-model"
    assert sorted(model.members) == ["model.onnx", "weights.pt"]
    assert meta["architecture"] == {"name": "unet", "in_channels": 1, "classes": 3, "depth": 2,
                                    "width": 4}
    assert meta["class_names"] == ["background", "interior", "boundary"]
    assert meta["normalisation"] == {"method": "percentile", "low": 1.0, "high": 99.0}
    assert meta["pixel_size"] == {"value": 2.0, "unit": "nm"}
    assert meta["target"] == {"mode": "three-class", "ignore_value": None, "boundary_width": 2}
    assert meta["training"]["seed"] == 0 and meta["training"]["iterations"] == 12
    assert set(meta["validation"]) >= {"loss", "iou", "foreground_iou", "pixel_accuracy"}
    assert len(meta["validation"]["iou"]) == 3 and meta["validation"]["pixels"] > 0
    assert len(trained.outputs["ensemble"]) == 2
    second = read_model(trained.outputs["ensemble"][1], kind="unet").metadata
    assert second["training"]["seed"] == 1
    messages = [m for _, m in trained.progress]
    assert any(re.search(r"iteration \d+/12, loss [\d.]+.* about \d+ s left", m) for m in messages)


def test_onnx_runtime_agrees_with_torch_and_an_ensemble_gives_uncertainty(tmp_path: Path,
                                                                         trained) -> None:
    image, _ = squares(seed=5, shape=(70, 90))
    torch_run = predict(tmp_path, image, {"model": trained.path("model")}, node="torch")
    onnx_run = predict(tmp_path, image, {"model": trained.path("model")}, node="onnx",
                       engine="onnxruntime")
    by_torch = torch_run.image("probabilities").data
    assert by_torch.shape == (3, 70, 90) and torch_run.image("labels").data.shape == (70, 90)
    assert float(np.abs(onnx_run.image("probabilities").data - by_torch).max()) < 1e-4
    np.testing.assert_array_equal(torch_run.image("boundary").data, by_torch[2])
    assert float(torch_run.image("uncertainty").data.max()) == 0.0
    both = predict(tmp_path, image, {"ensemble": trained.outputs["ensemble"]}, node="both")
    members = [predict(tmp_path, image, {"model": path}, node=f"m{n}").image("probabilities").data
               for n, path in enumerate(trained.outputs["ensemble"])]
    np.testing.assert_allclose(both.image("probabilities").data, np.mean(members, axis=0),
                               atol=1e-5)
    np.testing.assert_allclose(both.image("uncertainty").data, np.std(members, axis=0).max(axis=0),
                               atol=1e-5)
    assert float(both.image("uncertainty").data.max()) > 0.01


def test_a_z_stack_is_predicted_slice_by_slice(tmp_path: Path, trained) -> None:
    first, _ = squares(seed=2)
    second, _ = squares(seed=3)
    stack = predict(tmp_path, np.stack([first, second]), {"model": trained.path("model")},
                    axes="ZYX", node="stack")
    probabilities = stack.image("probabilities")
    assert probabilities.axes == "CZYX" and probabilities.data.shape == (3, 2, 64, 80)
    alone = predict(tmp_path, second, {"model": trained.path("model")}, node="alone")
    np.testing.assert_allclose(probabilities.data[:, 1], alone.image("probabilities").data,
                               atol=1e-6)
    assert stack.image("labels").data.shape == (2, 64, 80)


# Smooth tiles and a whole-image pass agree within this away from the image's own edge, the
# tolerance tests/ml/test_unet_core.py holds the tiling library to (stated in docs/unet.md).
INTERIOR_TOLERANCE = 5e-3


def test_smooth_tiles_have_no_seams_where_naive_stitching_has(tmp_path: Path, trained) -> None:
    """A 192 x 256 image in 64 px tiles: blended (overlap 32), stitched (overlap 0), whole."""
    tile, _ = squares(seed=7)
    image = np.tile(tile, (3, 4))[:192, :256]
    model = {"model": trained.path("model")}

    def probabilities(node: str, size: int, overlap: int) -> np.ndarray:
        return predict(tmp_path, image, model, node=node, tile_size=size,
                       tile_overlap=overlap).image("probabilities").data

    blended = probabilities("blended", 64, 32)
    naive = probabilities("naive", 64, 0)  # tiles side by side: each pixel from one tile
    whole = probabilities("whole", 256, 0)  # one tile covers the image
    inside = (slice(None), slice(16, -16), slice(16, -16))
    blended_error = float(np.abs(blended - whole)[inside].max())
    naive_error = float(np.abs(naive - whole)[inside].max())
    print(f"interior: blended {blended_error:.2e}, naive stitching {naive_error:.2e}")
    assert blended_error < INTERIOR_TOLERANCE
    assert naive_error > 5 * blended_error
    # Naive stitching is wrong only near its tile borders (rows and columns 64, 128, 192):
    # the seams. Further than 12 px from them it is the whole-image pass.
    to_border = np.minimum(*np.meshgrid(_to_tile_border(192), _to_tile_border(256),
                                        indexing="ij"))
    naive_off = np.abs(naive - whole).max(axis=0)
    assert float(naive_off[inside[1:]][to_border[inside[1:]] > 12].max()) < INTERIOR_TOLERANCE
    assert float(naive_off[inside[1:]][to_border[inside[1:]] < 2].max()) == naive_error
    assert float(np.abs(naive - blended)[:, 16:-16, 62:66].max()) > 5 * blended_error


def _to_tile_border(length: int, tile: int = 64) -> np.ndarray:
    """Each pixel's distance to the nearest border between two 64 px tiles (inf: none)."""
    position = np.arange(length) + 0.5
    borders = np.arange(tile, length, tile)
    return np.abs(position[:, None] - borders[None, :]).min(axis=1)


def test_predict_refuses_a_file_that_is_not_a_model_and_a_newer_format(tmp_path: Path,
                                                                        trained) -> None:
    image, _ = squares()
    junk = tmp_path / "notes.lamella-model"
    junk.write_text("not a model")
    with pytest.raises(ModuleError, match="not a Lamella model file") as caught:
        predict(tmp_path, image, {"model": junk}, node="junk")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("input 'model': ")
    newer = tmp_path / "newer.lamella-model"
    with zipfile.ZipFile(trained.path("model")) as source, zipfile.ZipFile(newer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "model.json":
                header = json.loads(data)
                data = json.dumps({**header, "format": header["format"] + 1}).encode()
            target.writestr(name, data)
    with pytest.raises(ModuleError, match=r"model format 2 is not readable by this Lamella"):
        predict(tmp_path, image, {"model": newer}, node="newer")


@pytest.mark.parametrize(("labels", "params", "message"), [
    (np.zeros((64, 70), np.uint16), {}, "training pair 1 (image.ome.tif, labels.ome.tif): the "
     "image is 80 x 64 pixels but its labels are 70 x 64 pixels; connect labels made for this "
     "image"),
    (np.zeros((64, 80), np.uint16), {}, "input 'labels': no labelled pixels, every pixel is 0 "
     "(not painted)"),
    (np.full((64, 80), 9, np.uint16), {"target": "foreground", "ignore_value": 9},
     "input 'labels': no labelled pixels, every pixel is 9 (ignore_value)"),
    ("three", {"class_names": "background, particle"}, "input 'labels': label value 3 is not in "
     "the class list (2 names in parameter 'class_names': background, particle)"),
])
def test_bad_training_data_fails_in_one_line(tmp_path: Path, labels, params, message) -> None:
    image, _ = squares()
    if isinstance(labels, str):
        labels = np.zeros((64, 80), np.uint16)
        labels[:5] = 1
        labels[5:10] = 2
        labels[10:15] = 3
    with pytest.raises(ModuleError, match="^" + re.escape(message)) as caught:
        train(tmp_path, image, labels, **params)
    assert "\n" not in str(caught.value)


def test_an_empty_training_set_fails_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ModuleError, match=r"^no training data: connect 'image' and 'labels'"):
        run_module(TRAIN, tmp_path, inputs={"images": [], "label_images": []}, params=TINY)


def test_painted_classes_train_and_unpainted_pixels_are_left_out(tmp_path: Path) -> None:
    image, labels = squares()
    painted = np.zeros_like(labels)
    painted[2:6, 5:75] = 1  # background strokes
    painted[15:25, 15:25] = 2  # a stroke in a square
    painted[45:55, 55:65] = 2
    done = train(tmp_path, image, painted, class_names="background, particle",
                 validation_fraction=0, iterations=30)
    meta = read_model(done.path("model"), kind="unet").metadata
    assert meta["class_names"] == ["background", "particle"]
    assert meta["training"]["validation"] == "no validation data (validation_fraction 0)"


PROBE = """
import sys
sys.modules['torch'] = None  # as if the ml extra were not installed
from pathlib import Path
from lamella.core.errors import LamellaError
sys.path.insert(0, {tests!r})
import test_unet_modules as t
image, labels = t.squares()
try:
    t.train(Path({tmp!r}), image, labels)
except LamellaError as exc:
    print(exc)
"""


def test_without_torch_the_module_says_what_to_install(tmp_path: Path) -> None:
    probe = PROBE.format(tests=str(Path(__file__).parent), tmp=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == ('lamella/unet-train needs PyTorch (torch), which is not '
                                   'installed: pip install "lamella[ml]"')
