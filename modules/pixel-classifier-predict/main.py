"""Classify every pixel of an image with a trained pixel-forest model."""

from __future__ import annotations

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk import Task
from lamella.core.sdk.ml.features import Normalisation
from lamella.core.sdk.ml.forest import require_sklearn
from lamella.core.sdk.ml.pixel_images import channels_of, pixel_size_of
from lamella.core.sdk.ml.pixel_model import PixelForest, pixel_size_warning


def run(task: Task) -> None:
    """Read model and image, check they match, classify tile by tile, write the maps."""
    require_sklearn()
    model = PixelForest.read(task.input_path("model").resolve())
    image = task.user_image("image")
    try:
        channels = channels_of(image)
        model.check_channels(len(channels), what=f"input 'image' ({image.name})")
    except InputFileError as exc:
        task.fail(str(exc))
    warning = pixel_size_warning(model.pixel_size, pixel_size_of(image.calibration))
    if warning:
        task.warn(warning)
    names = ", ".join(f"{v} = {n}" for v, n in zip(model.class_values, model.class_names, strict=True))
    print(f"classes: {names}")
    normalisation = Normalisation.of(channels) if task.param("normalise") == "image" else None
    prediction = model.predict(channels, normalisation=normalisation,
                               on_progress=lambda f, m: task.progress(0.9 * f, m))
    task.save_labels("classes", prediction.classes, like=image)
    task.save_probabilities("probabilities", prediction.probabilities, like=image)
    task.save_image("uncertainty", prediction.uncertainty, like=image, axes="YX")
    for value, fraction in _fractions(prediction.classes, model.class_values).items():
        task.metric(f"fraction_class_{value}", round(fraction, 5))
    task.progress(1.0, "done")


def _fractions(classes: np.ndarray, values: tuple[int, ...]) -> dict[int, float]:
    """Share of the pixels in each class, for the log and the run record."""
    counts = {v: int(np.count_nonzero(classes == v)) for v in values}
    total = max(1, classes.size)
    for value, count in counts.items():
        print(f"class {value}: {count / total:.4f} of the pixels")
    return {v: c / total for v, c in counts.items()}
