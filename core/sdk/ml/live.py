"""Interactive training for the editor: retrain a pixel classifier after every stroke.

Qt-free; meant to be driven from ONE worker thread while the UI thread reads the arrays it
returns::

    live = LiveClassifier(pixels, channel_axis=False, pixel_size=(2.5, "nm"))
    live.prepare()                          # optional: compute the features now (seconds)
    summary = live.train(annotations)       # (Y, X) ints, 0 = unlabelled; a small fast forest
    shown = live.predict((slice(0, 256), slice(0, 256)))   # only what is on screen
    shown.classes, shown.probabilities, shown.uncertainty
    rows = columns = np.arange(0, 1024, 2)
    sampled = live.predict_grid(rows, columns)  # a zoomed-out view: the pixels shown, first
    live.model_artifact("model.lamella-model", ["matrix", "grain"])

The features of the whole image are computed once (lazily, on the first train or predict)
and kept: 61 float32 planes per channel with the default bank, 64 MB for a 512 x 512 grey
image. A region's features are rows of that stack, so predictions have no seams at region
borders. Thread safety: a lock serialises feature computation, training and prediction;
every array returned is new (never a view of internal state), and a training replaces the
forest in one assignment, so a reader never sees half a model.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lamella.core.sdk.ml.features import (
    FeatureBank,
    Normalisation,
    Region,
    as_channels,
    compute_features,
    region_slices,
)
from lamella.core.sdk.ml.forest import (
    Prediction,
    PredictionCancelled,
    TrainingError,
    TrainingSummary,
    predict_pixels,
    train,
)
from lamella.core.sdk.ml.pixel_model import PixelForest, PixelSize

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier

__all__ = ["LiveClassifier", "LivePrediction", "PredictionCancelled", "TrainingError"]

# Small and shallow: a retrain on a few thousand painted pixels plus a 512 x 512 prediction
# stays under a second on two cores, and the map is close to a full forest's.
LIVE_TREES = 32
LIVE_MAX_DEPTH = 14
# Painted pixels a retrain learns from at most (a seeded subset, each class in its share):
# fitting grows faster than the pixels (21,000 took 2.5 to 5 times as long as 8,000), and
# on benchmark (j)'s image the map stays within 1 % of the uncapped one (99.2 % alike).
LIVE_MAX_SAMPLES = 8_000


@dataclass(frozen=True)
class LivePrediction:
    """One region classified.

    ``classes`` (Y, X) class values, ``probabilities`` (K, Y, X) float32, ``uncertainty``
    (Y, X) = 1 - max probability, ``values`` the class of each probability plane, ``region``
    the slices it covers. ``grid``: None when every pixel of ``region`` is classified, else
    the image rows (Y,) and columns (X,) whose crossings were (:meth:`LiveClassifier.predict_grid`).
    """

    classes: np.ndarray
    probabilities: np.ndarray
    uncertainty: np.ndarray
    values: tuple[int, ...]
    region: Region
    grid: tuple[np.ndarray, np.ndarray] | None = None


class LiveClassifier:
    """A pixel classifier retrained on demand from the scribbles painted so far.

    Parameters
    ----------
    pixels
        The image, (Y, X) or, with ``channel_axis``, (C, Y, X).
    channel_axis
        True if the first axis of ``pixels`` is channels.
    pixel_size
        (value, unit) of one pixel, e.g. ``(2.5, "nm")``, recorded in a written model.
    bank
        The features (default: all groups at 0.7 ... 10 px).
    n_estimators, max_depth, seed, n_jobs
        The forest; ``n_jobs`` (training and prediction threads) defaults to the machine's
        cores.
    max_samples
        Painted pixels a training learns from at most: above it, a seeded subset with each
        class's share.
    """

    def __init__(self, pixels: np.ndarray, channel_axis: bool, pixel_size: PixelSize | None = None,
                 *, bank: FeatureBank | None = None, n_estimators: int = LIVE_TREES,
                 max_depth: int | None = LIVE_MAX_DEPTH, seed: int = 0,
                 n_jobs: int | None = None, max_samples: int = LIVE_MAX_SAMPLES) -> None:
        self._channels = as_channels(pixels, channel_axis)
        self.shape: tuple[int, int] = self._channels.shape[1:]  # type: ignore[assignment]
        self.pixel_size = pixel_size
        self.bank = bank or FeatureBank()
        self.normalisation = Normalisation.of(self._channels)
        self.n_estimators, self.max_depth, self.seed = n_estimators, max_depth, seed
        self.max_samples = max_samples
        self.n_jobs = n_jobs or os.cpu_count() or 1
        self._lock = threading.RLock()
        self._features: np.ndarray | None = None
        self._forest: RandomForestClassifier | None = None
        self.summary: TrainingSummary | None = None
        self.feature_seconds: float | None = None

    @property
    def channel_count(self) -> int:
        """Channels of the image."""
        return len(self._channels)

    @property
    def feature_names(self) -> list[str]:
        """The name of every feature, in stacking order."""
        return self.bank.names(self.channel_count)

    @property
    def is_trained(self) -> bool:
        """True once a training succeeded."""
        return self._forest is not None

    @property
    def features_ready(self) -> bool:
        """True once the feature stack is computed (train and predict are then fast)."""
        return self._features is not None

    def prepare(self) -> float:
        """Compute the feature stack now (if not yet); returns the seconds it took."""
        with self._lock:
            if self._features is None:
                start = time.perf_counter()
                self._features = compute_features(self.normalisation.apply(self._channels),
                                                  self.bank)
                self.feature_seconds = time.perf_counter() - start
            return self.feature_seconds or 0.0

    def train(self, annotations: np.ndarray) -> TrainingSummary:
        """Fit a new forest on the painted pixels (0 = unlabelled); raises TrainingError."""
        with self._lock:
            self.prepare()
            assert self._features is not None
            forest, summary = train(self._features, annotations, self.feature_names,
                                    n_estimators=self.n_estimators, seed=self.seed,
                                    n_jobs=self.n_jobs, max_depth=self.max_depth, oob=False,
                                    max_samples=self.max_samples, stratified=True)
            self._forest, self.summary = forest, summary
            return summary

    def predict(self, region: Region | None = None, *,
                cancelled: Callable[[], bool] | None = None) -> LivePrediction:
        """Classify ``region`` (two slices; None = the whole image) with the last training.

        ``cancelled`` is asked between chunks of pixels; once it returns True the prediction
        stops with :class:`PredictionCancelled` (a newer stroke needs the worker).
        """
        with self._lock:
            rows, cols = region_slices(region, *self.shape)
            result = self._classify((rows, cols), None, cancelled)
            return LivePrediction(result.classes, result.probabilities, result.uncertainty,
                                  result.values, (rows, cols))

    def predict_grid(self, rows: np.ndarray, columns: np.ndarray, *,
                     cancelled: Callable[[], bool] | None = None) -> LivePrediction:
        """Classify only the pixels where image ``rows`` cross ``columns`` (increasing indices).

        For a view that shows the image smaller than 1:1: the pixels at the screen's
        resolution, a fraction of the cost; each is classified exactly as :meth:`predict`
        classifies it. The result is (len(rows), len(columns)); ``region`` spans the grid.
        """
        rows, columns = np.asarray(rows, np.intp), np.asarray(columns, np.intp)
        if rows.ndim != 1 or columns.ndim != 1 or not rows.size or not columns.size:
            raise ValueError("a grid is two non-empty 1-d arrays of indices, rows and columns")
        for name, axis, size in (("row", rows, self.shape[0]), ("column", columns, self.shape[1])):
            if axis.min() < 0 or axis.max() >= size or np.any(np.diff(axis) <= 0):
                raise ValueError(f"grid {name}s must increase within 0..{size - 1}")
        with self._lock:
            result = self._classify(None, (rows, columns), cancelled)
            region = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(columns[0]), int(columns[-1]) + 1))
            return LivePrediction(result.classes, result.probabilities, result.uncertainty,
                                  result.values, region, (rows.copy(), columns.copy()))

    def _classify(self, region: Region | None, grid: tuple[np.ndarray, np.ndarray] | None,
                  cancelled: Callable[[], bool] | None) -> Prediction:
        if self._forest is None:
            raise TrainingError("nothing trained yet; paint strokes of two classes and train")
        self.prepare()
        assert self._features is not None
        block = self._features if region is None else self._features[region]  # a view, no copy
        return predict_pixels(self._forest, block, threads=self.n_jobs, cancelled=cancelled,
                              grid=grid)

    def model_artifact(self, path: str | Path, class_names: list[str] | None = None) -> Path:
        """Write the last training as a normal model file.

        ``lamella/pixel-classifier-predict`` reads it; ``class_names`` name the classes in
        value order (default 'class N').
        """
        with self._lock:
            if self._forest is None or self.summary is None:
                raise TrainingError("nothing trained yet; train before saving a model")
            values = tuple(int(v) for v in self._forest.classes_)
            names = tuple(class_names) if class_names else tuple(f"class {v}" for v in values)
            if len(names) != len(values):
                raise ValueError(f"{len(names)} class name(s) for {len(values)} trained classes "
                                 f"({', '.join(map(str, values))}); give one name per class")
            model = PixelForest(self._forest, self.bank, self.normalisation, values, names,
                                self.channel_count, self.pixel_size, self.summary)
            return model.write(path)

