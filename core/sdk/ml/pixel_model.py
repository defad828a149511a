"""A trained pixel classifier as a model file (kind ``'pixel-forest'``), and predicting with it.

The file (see :mod:`lamella.core.sdk.ml.artifact`) holds ``model.json`` with the classes
(values and names), the feature bank (groups, scales in pixels, feature names), the channel
count, the training image's pixel size, the intensity normalisation, a training summary and
the scikit-learn version, plus the member ``forest.joblib``: the scikit-learn forest
serialised with joblib.

.. warning::
   A joblib (pickle) member runs code when it is loaded: a model file is as trustworthy as a
   script. Only load model files you or someone you trust trained. (skops would avoid this;
   it is not a dependency.)
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk.ml.artifact import read_model, write_model
from lamella.core.sdk.ml.features import FeatureBank, Normalisation, feature_tiles
from lamella.core.sdk.ml.forest import Prediction, TrainingSummary, predict_pixels, require_sklearn

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier

__all__ = ["KIND", "PixelForest", "PixelSize", "pixel_size_warning"]

KIND = "pixel-forest"
_FOREST_MEMBER = "forest.joblib"
# Pixel sizes further apart than this make the model's scales mean other physical sizes.
PIXEL_SIZE_TOLERANCE = 0.05
PixelSize = tuple[float, str]


@dataclass(frozen=True)
class PixelForest:
    """A fitted forest with everything needed to apply it to another image the same way."""

    forest: RandomForestClassifier
    bank: FeatureBank
    normalisation: Normalisation
    class_values: tuple[int, ...]
    class_names: tuple[str, ...]
    channels: int
    pixel_size: PixelSize | None = None
    summary: TrainingSummary | None = None

    def metadata(self) -> dict[str, Any]:
        """What ``model.json`` holds."""
        import sklearn

        size = None if self.pixel_size is None else {"value": self.pixel_size[0],
                                                     "unit": self.pixel_size[1]}
        return {
            "classes": [{"value": v, "name": n}
                        for v, n in zip(self.class_values, self.class_names, strict=True)],
            "features": {**self.bank.to_metadata(), "names": self.bank.names(self.channels)},
            "channels": self.channels,
            "pixel_size": size,
            "normalisation": self.normalisation.to_metadata(),
            "forest": {"n_estimators": self.forest.n_estimators,
                       "max_depth": self.forest.max_depth,
                       "random_state": self.forest.random_state},
            "training": None if self.summary is None else self.summary.to_metadata(),
            "sklearn_version": sklearn.__version__,
        }

    def write(self, path: str | Path) -> Path:
        """Write the model file atomically."""
        import joblib

        buffer = io.BytesIO()
        joblib.dump(self.forest, buffer)
        return write_model(path, KIND, self.metadata(), {_FOREST_MEMBER: buffer.getvalue()})

    @classmethod
    def read(cls, path: str | Path) -> PixelForest:
        """Read a model file written by :meth:`write` (only files you trust: see above)."""
        require_sklearn()
        import joblib

        artifact = read_model(path, kind=KIND)
        meta = artifact.metadata
        if _FOREST_MEMBER not in artifact.members:
            raise InputFileError(f"{path}: the model file has no {_FOREST_MEMBER}; train the "
                                 "model again")
        forest = joblib.load(io.BytesIO(artifact.members[_FOREST_MEMBER]))
        size = meta.get("pixel_size")
        classes = meta["classes"]
        return cls(forest, FeatureBank.from_metadata(meta["features"]),
                   Normalisation.from_metadata(meta["normalisation"]),
                   tuple(int(c["value"]) for c in classes), tuple(str(c["name"]) for c in classes),
                   int(meta["channels"]),
                   None if size is None else (float(size["value"]), str(size["unit"])))

    def check_channels(self, channels: int, what: str = "the image") -> None:
        """Refuse an image of another channel count than the model's, in one line."""
        if channels != self.channels:
            raise InputFileError(f"the model was trained on images with {self.channels} "
                                 f"channel(s) but {what} has {channels}; give an image with "
                                 f"{self.channels} channel(s) or train a model on such images")

    def predict(self, channels: np.ndarray, *, normalisation: Normalisation | None = None,
                tile: int = 512, on_progress: Callable[[float, str], None] | None = None
                ) -> Prediction:
        """Classify a (C, Y, X) image tile by tile (memory: one tile's features at a time).

        The model's own normalisation is applied unless ``normalisation`` is given (e.g.
        measured on this image, for images of another brightness).
        """
        self.check_channels(len(channels))
        normalised = (normalisation or self.normalisation).apply(channels)
        height, width = normalised.shape[1:]
        classes = np.zeros((height, width), np.int64)
        probabilities = np.zeros((len(self.class_values), height, width), np.float32)
        tiles = -(-height // tile) * -(-width // tile)
        for done, (region, features) in enumerate(feature_tiles(normalised, self.bank, tile=tile)):
            if on_progress is not None:
                on_progress(done / tiles, f"classifying tile {done + 1} of {tiles}")
            part = predict_pixels(self.forest, features)
            classes[region] = part.classes
            probabilities[(slice(None), *region)] = part.probabilities
        return Prediction(classes, probabilities, self.class_values)


def pixel_size_warning(model: PixelSize | None, image: PixelSize | None) -> str | None:
    """A line naming both pixel sizes if they differ by more than 5 % (or one is missing)."""
    from lamella.core.units import convert_length

    if model is None and image is None:
        return None
    if model is None or image is None:
        known = f"{model[0]:g} {model[1]}" if model else f"{image[0]:g} {image[1]}"  # type: ignore[index]
        whose = "the model was trained on" if model else "the image has"
        other = "the image has none" if model else "the model's training image had none"
        return (f"{whose} a pixel size of {known} but {other}; the feature scales are in pixels, "
                "so check both images show structures at the same size")
    in_model_unit = convert_length(image[0], image[1], model[1])
    if abs(in_model_unit - model[0]) <= PIXEL_SIZE_TOLERANCE * model[0]:
        return None
    return (f"the image's pixel size {image[0]:g} {image[1]} differs from the model's "
            f"{model[0]:g} {model[1]} by {abs(in_model_unit / model[0] - 1):.0%}; the features "
            "see structures at other physical sizes, so resample the image or train on images "
            "of this pixel size")
