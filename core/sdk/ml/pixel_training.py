"""Training a pixel classifier on a whole image, tile by tile (the training module's path).

The editor's live training keeps the whole feature stack (``live.py``); a module may get a
2048 x 2048 image, whose stack would be 1 GB, so here features are computed one tile at a
time and only the rows of painted pixels are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from lamella.core.sdk.ml.features import FeatureBank, Normalisation, feature_tiles
from lamella.core.sdk.ml.forest import (
    MAX_SAMPLES,
    TrainingError,
    check_annotations,
    fit_forest,
    summarise,
)
from lamella.core.sdk.ml.pixel_model import PixelForest, PixelSize

__all__ = ["class_names_for", "painted_samples", "train_pixel_forest"]

Progress = Callable[[float, str], None]


def _quiet(fraction: float, message: str) -> None:
    """Progress sink when nobody listens."""


def class_names_for(values: Sequence[int], names: Sequence[str] | None) -> tuple[str, ...]:
    """One name per class value: ``names`` in value order, or 'class N'."""
    if not names:
        return tuple(f"class {v}" for v in values)
    if len(names) != len(values):
        listed = ", ".join(map(str, values))
        raise TrainingError(f"{len(names)} class name(s) given for {len(values)} painted "
                            f"classes ({listed}); give one name per class, in value order")
    return tuple(names)


def painted_samples(normalised: np.ndarray, annotations: np.ndarray, bank: FeatureBank, *,
                    seed: int, max_samples: int = MAX_SAMPLES, tile: int = 512,
                    on_progress: Progress = _quiet) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of the painted pixels (a seeded subset above ``max_samples``), tile by tile."""
    chosen = np.zeros(annotations.shape, bool)
    where = np.flatnonzero(annotations)
    if where.size > max_samples:
        where = np.random.default_rng(seed).choice(where, max_samples, replace=False)
    chosen.flat[where] = True
    rows, labels = [], []
    tiles = -(-annotations.shape[0] // tile) * -(-annotations.shape[1] // tile)
    for done, (region, features) in enumerate(feature_tiles(normalised, bank, tile=tile)):
        on_progress(done / tiles, "computing features of the painted pixels")
        picked = chosen[region]
        if picked.any():  # tiles without strokes still cost their features: no way around it
            rows.append(features[picked])
            labels.append(annotations[region][picked])
    return np.concatenate(rows), np.concatenate(labels)


def train_pixel_forest(channels: np.ndarray, annotations: np.ndarray, *, bank: FeatureBank,
                       n_estimators: int, seed: int, n_jobs: int = 1,
                       max_depth: int | None = None, class_names: Sequence[str] | None = None,
                       pixel_size: PixelSize | None = None, tile: int = 512,
                       on_progress: Progress = _quiet,
                       what: str = "annotations") -> PixelForest:
    """Train a forest on the painted pixels of a (C, Y, X) image; raises TrainingError.

    The intensity normalisation is measured on this image and kept in the model; the
    training summary holds the out-of-bag accuracy (each tree judged on the painted pixels
    it did not see). ``what`` names the strokes in messages.
    """
    start = time.perf_counter()
    annotations = check_annotations(annotations, channels.shape[1:], what)
    values = tuple(int(v) for v in np.unique(annotations[annotations > 0]))
    names = class_names_for(values, class_names)
    normalisation = Normalisation.of(channels)
    x, y = painted_samples(normalisation.apply(channels), annotations, bank, seed=seed,
                           tile=tile, on_progress=lambda f, m: on_progress(0.6 * f, m))
    on_progress(0.6, f"training {n_estimators} trees on {len(y)} painted pixels")
    forest = fit_forest(x, y, n_estimators=n_estimators, seed=seed, n_jobs=n_jobs,
                        max_depth=max_depth, oob=True)
    summary = summarise(forest, annotations, len(y), bank.names(len(channels)),
                        time.perf_counter() - start)
    return PixelForest(forest, bank, normalisation, values, names, len(channels), pixel_size,
                       summary)
