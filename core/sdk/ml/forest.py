"""Random forests on pixel features: checking scribbles, training, predicting.

A label image of scribbles holds 0 where nothing was painted and the class value (1..K)
where a class was painted. Only painted pixels train the forest; every pixel is then
classified. scikit-learn is imported only here, when a forest is built or used, so the rest
of the SDK works without the ``ml`` extra.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lamella.core.errors import ModuleError

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier

__all__ = ["ML_EXTRA_HINT", "Prediction", "TrainingError", "TrainingSummary",
           "check_annotations", "fit_forest", "labelled_samples", "predict_pixels",
           "require_sklearn", "summarise", "train"]

ML_EXTRA_HINT = 'pip install "lamella[ml]"'
# Painted pixels used for training at most; more add little to a forest and cost time.
MAX_SAMPLES = 200_000


class TrainingError(ValueError):
    """Scribbles a classifier cannot be trained from; the message says what to paint."""


def require_sklearn() -> Any:
    """The ``sklearn.ensemble`` module, or a one-line error naming the extra to install."""
    try:
        from sklearn import ensemble
    except ImportError:
        raise ModuleError("the pixel classifier needs scikit-learn, which is not installed: "
                          f"{ML_EXTRA_HINT}") from None
    return ensemble


@dataclass(frozen=True)
class TrainingSummary:
    """What a training saw and reached; goes into the model file and the editor's status."""

    classes: tuple[int, ...]
    pixels_per_class: dict[int, int]
    samples_used: int
    oob_accuracy: float | None
    importances: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def to_metadata(self) -> dict[str, Any]:
        """JSON-ready form (class values become strings, as JSON keys must be)."""
        return {"pixels_per_class": {str(k): v for k, v in self.pixels_per_class.items()},
                "samples_used": self.samples_used, "oob_accuracy": self.oob_accuracy,
                "top_features": [{"name": n, "importance": round(v, 6)}
                                 for n, v in self.importances],
                "seconds": round(self.seconds, 3)}


def check_annotations(annotations: np.ndarray, shape: tuple[int, ...],
                      what: str = "annotations") -> np.ndarray:
    """The scribbles as an int64 (Y, X) array, or a one-line TrainingError saying what to fix."""
    annotations = np.asarray(annotations)
    if annotations.shape != tuple(shape):
        raise TrainingError(f"{what} are {_shape(annotations.shape)} but the image is "
                            f"{_shape(shape)}; paint the scribbles on this image (same size)")
    if annotations.dtype.kind not in "biu":
        raise TrainingError(f"{what} hold {annotations.dtype} values; scribbles are whole "
                            "numbers (0 = unlabelled, 1..K = classes)")
    values = np.unique(annotations)
    if values.size and values[0] < 0:
        raise TrainingError(f"{what} hold negative values; use 0 for unlabelled and 1..K for "
                            "the classes")
    painted = values[values > 0]
    if painted.size == 0:
        raise TrainingError(f"{what} hold no labelled pixels (all 0); paint at least one "
                            "stroke of each class")
    if painted.size == 1:
        raise TrainingError(f"{what} hold only one class ({int(painted[0])}); paint strokes of "
                            "at least two classes")
    return annotations.astype(np.int64, copy=False)


def _shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        return f"{shape[1]} x {shape[0]} pixels"
    return "shape " + " x ".join(map(str, shape))


def labelled_samples(features: np.ndarray, annotations: np.ndarray, *, seed: int,
                     max_samples: int = MAX_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of the painted pixels: features (y, x, F) rows where annotations > 0.

    Above ``max_samples`` painted pixels, a seeded random subset keeps every class's share.
    """
    flat = annotations.ravel()
    where = np.flatnonzero(flat)
    if where.size > max_samples:
        where = np.sort(np.random.default_rng(seed).choice(where, max_samples, replace=False))
    table = features.reshape(-1, features.shape[-1])
    return table[where], flat[where]


def fit_forest(x: np.ndarray, y: np.ndarray, *, n_estimators: int, seed: int, n_jobs: int = 1,
               max_depth: int | None = None, oob: bool = True) -> RandomForestClassifier:
    """A seeded random forest fitted on (X, y); out-of-bag accuracy when ``oob``."""
    ensemble = require_sklearn()
    forest = ensemble.RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, random_state=seed, n_jobs=n_jobs,
        oob_score=oob, bootstrap=True)
    forest.fit(x, y)
    return forest


def summarise(forest: RandomForestClassifier, annotations: np.ndarray, samples: int,
              names: list[str], seconds: float, top: int = 10) -> TrainingSummary:
    """Pixels per class, out-of-bag accuracy and the ``top`` most important features."""
    values, counts = np.unique(annotations[annotations > 0], return_counts=True)
    order = np.argsort(forest.feature_importances_)[::-1][:top]
    importances = [(names[i], float(forest.feature_importances_[i])) for i in order]
    oob = float(forest.oob_score_) if getattr(forest, "oob_score", False) else None
    return TrainingSummary(tuple(int(v) for v in values),
                           {int(v): int(c) for v, c in zip(values, counts, strict=True)},
                           samples, oob, importances, seconds)


def train(features: np.ndarray, annotations: np.ndarray, names: list[str], *, n_estimators: int,
          seed: int, n_jobs: int = 1, max_depth: int | None = None,
          oob: bool = True) -> tuple[RandomForestClassifier, TrainingSummary]:
    """Check the scribbles, fit a forest on the painted pixels and summarise it."""
    start = time.perf_counter()
    annotations = check_annotations(annotations, features.shape[:2])
    x, y = labelled_samples(features, annotations, seed=seed)
    forest = fit_forest(x, y, n_estimators=n_estimators, seed=seed, n_jobs=n_jobs,
                        max_depth=max_depth, oob=oob)
    return forest, summarise(forest, annotations, len(y), names, time.perf_counter() - start)


@dataclass(frozen=True)
class Prediction:
    """A classified region: class values, per-class probabilities and uncertainty.

    ``classes`` (Y, X) holds class values (those painted, e.g. 1..K); ``probabilities``
    (K, Y, X) float32 in the order of ``values``; ``uncertainty`` = 1 - max probability.
    """

    classes: np.ndarray
    probabilities: np.ndarray
    values: tuple[int, ...]

    @property
    def uncertainty(self) -> np.ndarray:
        """1 - the largest class probability, float32 (Y, X); 0 = certain."""
        return (1.0 - self.probabilities.max(axis=0)).astype(np.float32)


def predict_pixels(forest: RandomForestClassifier, features: np.ndarray,
                   chunk: int = 65_536) -> Prediction:
    """Classify every pixel of a (y, x, F) feature block, ``chunk`` pixels at a time."""
    height, width, count = features.shape
    table = features.reshape(-1, count)
    probabilities = np.empty((len(forest.classes_), table.shape[0]), np.float32)
    for start in range(0, table.shape[0], chunk):
        block = forest.predict_proba(table[start:start + chunk])
        probabilities[:, start:start + chunk] = block.T
    values = tuple(int(v) for v in forest.classes_)
    classes = np.asarray(values, np.int64)[probabilities.argmax(axis=0)]
    return Prediction(classes.reshape(height, width), probabilities.reshape(-1, height, width),
                      values)
