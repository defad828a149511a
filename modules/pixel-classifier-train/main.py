"""Train a random-forest pixel classifier from painted strokes and classify the image."""

from __future__ import annotations

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk import Image, Task
from lamella.core.sdk.ml.forest import TrainingError, require_sklearn
from lamella.core.sdk.ml.pixel_images import channels_of, pixel_size_of
from lamella.core.sdk.ml.pixel_model import PixelForest
from lamella.core.sdk.ml.pixel_training import train_pixel_forest

from . import settings

MODEL_FILE = "model.lamella-model"


def run(task: Task) -> None:
    """Read image and strokes, train, write the model and the training image's classes."""
    require_sklearn()
    image = task.user_image("image")
    annotations = task.labels("annotations")
    model = _train(task, image, annotations)
    _report(task, model)
    path = model.write(task.folder / MODEL_FILE)  # beside outputs/, then copied in
    task.save_file("model", path, filename=MODEL_FILE)
    path.unlink()
    prediction = model.predict(_channels(task, image),
                               on_progress=lambda f, m: task.progress(0.7 + 0.3 * f, m))
    task.save_labels("classes", prediction.classes, like=image)
    task.save_probabilities("probabilities", prediction.probabilities, like=image)
    task.progress(1.0, "done")


def _train(task: Task, image: Image, annotations: Image) -> PixelForest:
    if annotations.axes != "YX":
        task.fail(f"input 'annotations': {annotations.name} has axes '{annotations.axes}'; "
                  "strokes are one 2-D label image (YX)")
    bank = settings.feature_bank(task, image)
    channels = _channels(task, image)
    print(f"{bank.count(len(channels))} features per pixel ({len(channels)} channel(s), scales "
          f"{', '.join(f'{s:g}' for s in bank.sigmas)} px)")
    try:
        return train_pixel_forest(
            channels, annotations.data, bank=bank, n_estimators=task.param("n_estimators"),
            seed=task.param("seed"), n_jobs=task.spec.resources.threads,
            max_depth=task.param("max_depth"), class_names=settings.class_names(task),
            pixel_size=pixel_size_of(image.calibration),
            on_progress=lambda f, m: task.progress(0.7 * f, m),
            what=f"the annotations ({annotations.name})")
    except TrainingError as exc:
        task.fail(f"parameter 'class_names': {exc}" if "class name" in str(exc) else str(exc))


def _channels(task: Task, image: Image) -> np.ndarray:
    try:
        return channels_of(image)
    except InputFileError as exc:
        task.fail(str(exc))


def _report(task: Task, model: PixelForest) -> None:
    """Pixels per class, out-of-bag accuracy and top features: log and run record."""
    summary = model.summary
    assert summary is not None
    for value, name in zip(model.class_values, model.class_names, strict=True):
        print(f"class {value} ({name}): {summary.pixels_per_class[value]} painted pixels")
        task.metric(f"painted_pixels_class_{value}", summary.pixels_per_class[value])
    if summary.oob_accuracy is not None:
        print(f"out-of-bag accuracy on the painted pixels: {summary.oob_accuracy:.3f}")
        task.metric("oob_accuracy", round(summary.oob_accuracy, 4))
    print("most important features: " + ", ".join(f"{n} ({v:.3f})" for n, v in summary.importances[:5]))
    task.metric("features", len(model.bank.names(model.channels)))

