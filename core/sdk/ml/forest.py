"""Random forests on pixel features: checking scribbles, training, predicting.

A label image of scribbles holds 0 where nothing was painted and the class value (1..K)
where a class was painted. Only painted pixels train the forest; every pixel is then
classified. scikit-learn is imported only here, when a forest is built or used, so the rest
of the SDK works without the ``ml`` extra.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lamella.core.errors import ModuleError

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier

__all__ = ["ML_EXTRA_HINT", "Prediction", "PredictionCancelled", "TrainingError", "TrainingSummary",
           "check_annotations", "fit_forest", "labelled_samples", "predict_pixels",
           "require_sklearn", "summarise", "train"]

ML_EXTRA_HINT = 'pip install "lamella[ml]"'
# Painted pixels used for training at most; more add little to a forest and cost time.
MAX_SAMPLES = 200_000
# Pixels per chunk when predicting tree by tree: 4 MB of 61 float32 features, cache-sized.
THREAD_CHUNK = 16_384


class TrainingError(ValueError):
    """Scribbles a classifier cannot be trained from; the message says what to paint."""


class PredictionCancelled(Exception):
    """A prediction stopped part-way because its caller no longer wants it."""


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
                     max_samples: int = MAX_SAMPLES,
                     stratified: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of the painted pixels: features (y, x, F) rows where annotations > 0.

    Above ``max_samples`` painted pixels, a seeded random subset keeps every class's share
    (on average; exactly, class by class, with ``stratified``).
    """
    flat = annotations.ravel()
    where = np.flatnonzero(flat)
    if where.size > max_samples:
        rng = np.random.default_rng(seed)
        where = (_stratified(where, flat[where], max_samples, rng) if stratified
                 else rng.choice(where, max_samples, replace=False))
        where = np.sort(where)
    table = features.reshape(-1, features.shape[-1])
    return table[where], flat[where]


def _stratified(where: np.ndarray, values: np.ndarray, total: int,
                rng: np.random.Generator) -> np.ndarray:
    """About ``total`` of ``where``: each class in proportion to its share, at least one pixel."""
    classes, counts = np.unique(values, return_counts=True)
    quotas = np.maximum(1, counts * total // counts.sum())
    return np.concatenate([rng.choice(where[values == value], min(int(quota), int(count)), replace=False)
                           for value, count, quota in zip(classes, counts, quotas, strict=True)])


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
    # Once: each read of ``feature_importances_`` walks every tree again (0.2 s for 32 trees).
    weights = forest.feature_importances_
    order = np.argsort(weights)[::-1][:top]
    importances = [(names[i], float(weights[i])) for i in order]
    oob = float(forest.oob_score_) if getattr(forest, "oob_score", False) else None
    return TrainingSummary(tuple(int(v) for v in values),
                           {int(v): int(c) for v, c in zip(values, counts, strict=True)},
                           samples, oob, importances, seconds)


def train(features: np.ndarray, annotations: np.ndarray, names: list[str], *, n_estimators: int,
          seed: int, n_jobs: int = 1, max_depth: int | None = None, oob: bool = True,
          max_samples: int = MAX_SAMPLES,
          stratified: bool = False) -> tuple[RandomForestClassifier, TrainingSummary]:
    """Check the scribbles, fit a forest on the painted pixels and summarise it.

    Above ``max_samples`` painted pixels, a seeded subset (see :func:`labelled_samples`).
    """
    start = time.perf_counter()
    annotations = check_annotations(annotations, features.shape[:2])
    x, y = labelled_samples(features, annotations, seed=seed, max_samples=max_samples,
                            stratified=stratified)
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


def predict_pixels(forest: RandomForestClassifier, features: np.ndarray, chunk: int = 65_536,
                   *, threads: int | None = None, cancelled: Callable[[], bool] | None = None,
                   grid: tuple[np.ndarray, np.ndarray] | None = None) -> Prediction:
    """Classify every pixel of a (y, x, F) feature block, ``chunk`` pixels at a time.

    ``threads`` None: scikit-learn's ``predict_proba`` (the modules' path). A number: that
    many threads each take bands of about ``THREAD_CHUNK`` pixels, copy their features and
    run every tree over them while they stay in the processor's cache (about 1.7 times
    faster on a 61-feature stack; the live classifier's path). With threads, ``cancelled``
    is asked before each band; when it returns True, :class:`PredictionCancelled` is raised.
    ``grid``: classify only the pixels where ``rows`` cross ``columns`` (index arrays); the
    result is (len(rows), len(columns)).
    """
    count = features.shape[-1]
    height, width = features.shape[:2] if grid is None else (len(grid[0]), len(grid[1]))
    if threads is None:
        block = features if grid is None else features[grid[0][:, None], grid[1][None, :]]
        table = block.reshape(-1, count)
        probabilities = np.empty((len(forest.classes_), table.shape[0]), np.float32)
        for start in range(0, table.shape[0], chunk):
            part = forest.predict_proba(table[start:start + chunk])
            probabilities[:, start:start + chunk] = part.T
    else:
        probabilities = _tree_by_tree(forest, _bands(features, grid), (height, width), threads,
                                      cancelled)
    values = tuple(int(v) for v in forest.classes_)
    classes = np.asarray(values, np.int64)[probabilities.argmax(axis=0)]
    return Prediction(classes.reshape(height, width), probabilities.reshape(-1, height, width),
                      values)


def _bands(features: np.ndarray, grid: tuple[np.ndarray, np.ndarray] | None
           ) -> Callable[[int, int], np.ndarray]:
    """(top, bottom) -> the features of those rows as a contiguous float32 (pixels, F) table."""
    count = features.shape[-1]
    if grid is None:
        return lambda top, bottom: np.ascontiguousarray(features[top:bottom], np.float32).reshape(-1, count)
    rows, columns = grid
    return lambda top, bottom: np.ascontiguousarray(
        features[rows[top:bottom, None], columns[None, :]], np.float32).reshape(-1, count)


def _tree_by_tree(forest: RandomForestClassifier, band: Callable[[int, int], np.ndarray],
                  shape: tuple[int, int], threads: int,
                  cancelled: Callable[[], bool] | None) -> np.ndarray:
    """(K, Y x X) float32 mean class probabilities of the forest's trees, band by band."""
    from concurrent.futures import ThreadPoolExecutor

    height, width = shape
    trees = forest.estimators_
    probabilities = np.empty((len(forest.classes_), height * width), np.float32)
    step = max(1, THREAD_CHUNK // max(1, width))  # rows per band
    given_up = threading.Event()  # once cancelled, the bands left are skipped unasked

    def one_band(top: int) -> bool:
        if given_up.is_set() or (cancelled is not None and cancelled()):
            given_up.set()
            return False
        table = band(top, min(height, top + step))  # what the trees read, unchecked
        total = np.zeros((table.shape[0], probabilities.shape[0]))
        for tree in trees:  # the trees' own order, as predict_proba sums them with one job
            total += tree.predict_proba(table, check_input=False)
        probabilities[:, top * width:top * width + table.shape[0]] = (total / len(trees)).T
        return True

    with ThreadPoolExecutor(max(1, threads)) as pool:
        finished = all(list(pool.map(one_band, range(0, height, step))))
    if not finished:
        raise PredictionCancelled("a newer request replaced this prediction")
    return probabilities
