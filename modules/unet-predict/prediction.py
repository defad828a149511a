"""The prediction run: models in, image planes through the ensemble, maps out."""

from __future__ import annotations

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk import Calibration, Image, Task
from lamella.core.sdk.ml.unet.device import choose_device
from lamella.core.sdk.ml.unet.normalise import normalise
from lamella.core.sdk.ml.unet.onnx_io import onnx_forward
from lamella.core.sdk.ml.unet.planes import image_planes, stack_planes
from lamella.core.sdk.ml.unet.predict import TileSettings, predict_ensemble, resample, torch_forward
from lamella.core.sdk.ml.unet.store import LoadedUNet, load_unet
from lamella.core.sdk.ml.unet.tiling import Forward
from lamella.core.units import convert_length

__all__ = ["run"]

PIXEL_SIZE_TOLERANCE = 0.01  # relative difference below which no resampling is worth it


def run(task: Task) -> None:
    """Predict every plane of the image with every model and write the four outputs."""
    models = _models(task)
    first = models[0]
    image = task.image("image")
    try:
        planes = image_planes(image.data, image.axes, f"input 'image' ({image.name})")
    except ValueError as exc:
        task.fail(str(exc))
    if planes[0].shape[0] != first.spec.in_channels:
        task.fail(f"input 'image' has {planes[0].shape[0]} channel(s) but the model was trained "
                  f"on {first.spec.in_channels}; give an image of the kind it was trained on")
    forwards = _forwards(task, models)
    factor = _scale_factor(task, image.calibration, first)
    tiles = TileSettings(task.param("tile_size"), task.param("tile_overlap"),
                         task.param("batch_size"))
    probabilities, uncertainty = [], []
    for index, plane in enumerate(planes):
        def progress(done: float, index: int = index) -> None:
            task.progress(0.05 + 0.85 * (index + done) / len(planes), "predicting tiles")

        mean, spread = _predict_plane(plane, forwards, first, factor, tiles, progress)
        probabilities.append(mean)
        uncertainty.append(spread)
    _save(task, image, first, probabilities, uncertainty)
    task.progress(1.0, "done")


def _models(task: Task) -> list[LoadedUNet]:
    paths = [("model", p) for p in (task.input_paths("model") if task.has_input("model") else [])]
    if task.has_input("ensemble"):
        paths += [("ensemble", p) for p in task.input_paths("ensemble")]
    if not paths:
        task.fail("no model: connect input 'model' (e.g. train.model) or 'ensemble' "
                  "(e.g. train.ensemble)")
    models = []
    for port, path in paths:
        try:
            models.append(load_unet(path.resolve()))
        except InputFileError as exc:
            task.fail(f"input '{port}': {exc}")
    _check_alike(task, models)
    print(f"{len(models)} model(s), classes: {', '.join(models[0].class_names)}")
    return models


def _check_alike(task: Task, models: list[LoadedUNet]) -> None:
    """Ensemble members must agree on what goes in and what comes out."""
    first = models[0]
    for other in models[1:]:
        same = (other.spec.in_channels == first.spec.in_channels
                and other.class_names == first.class_names
                and other.metadata.get("normalisation") == first.metadata.get("normalisation"))
        if not same:
            task.fail(f"input 'ensemble': {other.path.name} has classes {other.class_names} and "
                      f"{other.spec.in_channels} input channel(s), {first.path.name} "
                      f"{first.class_names} and {first.spec.in_channels}; an ensemble needs "
                      "models trained for the same classes on the same kind of image")


def _forwards(task: Task, models: list[LoadedUNet]) -> list[Forward]:
    if task.param("engine") == "onnxruntime":
        missing = [m.path.name for m in models if m.onnx is None]
        if missing:
            task.fail(f"parameter 'engine': {missing[0]} holds no ONNX graph; train it with "
                      "onnx: true, or use engine 'torch'")
        print("running the ONNX graph with ONNX Runtime on the CPU")
        return [onnx_forward(m.onnx) for m in models if m.onnx is not None]
    device = choose_device(task.param("device"))
    print(f"running PyTorch on {device}")
    return [torch_forward(m.model, device) for m in models]


def _scale_factor(task: Task, calibration: Calibration | None, model: LoadedUNet) -> float:
    """How many model pixels one image pixel is (1 = predict at the image's own grid)."""
    trained = model.metadata.get("pixel_size")
    if not task.param("match_pixel_size") or not trained or calibration is None:
        if trained and calibration is None:
            task.warn(f"the model was trained at {trained['value']:g} {trained['unit']} pixels "
                      "but the image has no pixel size; it is predicted at its own pixels (set "
                      "the pixel size in load-image if objects look too large or small)")
        return 1.0
    image_size = convert_length(calibration.x, calibration.unit, trained["unit"])
    factor = image_size / float(trained["value"])
    if abs(factor - 1.0) <= PIXEL_SIZE_TOLERANCE:
        return 1.0
    print(f"image pixels {image_size:g} {trained['unit']}, model pixels {trained['value']:g} "
          f"{trained['unit']}: the image is resampled by {factor:.4g} for prediction")
    return factor


def _predict_plane(plane: np.ndarray, forwards: list[Forward], model: LoadedUNet, factor: float,
                   tiles: TileSettings, progress) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    normalised = normalise(plane, model.metadata.get("normalisation"))
    shape = normalised.shape[1:]
    if factor != 1.0:
        scaled = (max(1, round(shape[0] * factor)), max(1, round(shape[1] * factor)))
        normalised = resample(normalised, scaled)
    mean, spread = predict_ensemble(normalised, forwards, multiple=model.spec.multiple,
                                    tiles=tiles, progress=progress)
    if factor != 1.0:
        mean = resample(mean, shape)
        spread = resample(spread[None], shape)[0]
    return np.clip(mean, 0.0, 1.0), np.clip(spread, 0.0, 1.0)


def _save(task: Task, image: Image, model: LoadedUNet, probabilities: list[np.ndarray],
          uncertainty: list[np.ndarray]) -> None:
    calibration = image.calibration
    stacked, prob_axes = stack_planes(probabilities, image.axes)
    classes = np.stack([p.argmax(axis=0) for p in probabilities])
    classes = classes if "Z" in image.axes else classes[0]
    task.save_labels("labels", classes, calibration=calibration)
    task.save_image("probabilities", stacked, axes=prob_axes, calibration=calibration)
    names = model.class_names
    boundary = names.index("boundary") if "boundary" in names else len(names) - 1
    plane_axes = prob_axes[1:]
    task.save_image("boundary", np.ascontiguousarray(stacked[boundary]), axes=plane_axes,
                    calibration=calibration)
    spread, _ = stack_planes(uncertainty, image.axes)
    task.save_image("uncertainty", spread.astype(np.float32), axes=plane_axes,
                    calibration=calibration)
    shares = np.bincount(classes.ravel(), minlength=len(names)) / classes.size
    print("class shares: " + ", ".join(f"{n} {s:.3f}" for n, s in zip(names, shares, strict=False)))
    for name, share in zip(names, shares, strict=False):
        task.metric(f"share_{name.replace(' ', '_')}", round(float(share), 5))
    task.metric("mean_uncertainty", round(float(spread.mean()), 6))
