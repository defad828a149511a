"""Live training: retrain the pixel classifier after each stroke, off the window's thread.

One worker thread per painted image keeps one :class:`LiveClassifier`, so the image's
features are computed once (at the first training) and reused by every later one (until
the training step's feature parameters change, :meth:`LiveTrainer.set_bank`). Requests
carry a generation number; only the newest request waits (a newer one replaces it), so
while one training runs the strokes made meanwhile are trained on next, together, and
nothing older. After training, the visible area is predicted first, then the rest of the
image in tiles. A view showing the image smaller than 1:1 first gets the pixels it shows, at
the screen's resolution, spread to every pixel (a ``coarse`` part, :mod:`._paint_grid`);
the same area at full resolution follows. The worker gives up as soon as a newer request
is waiting (checked between chunks of a prediction), and the window drops any part whose
generation is not the newest (see :meth:`LiveTrainer.is_current`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from lamella.core.sdk.ml.forest import PredictionCancelled  # numpy only; scikit-learn when used
from lamella.editor.viewers._paint_grid import place, rest_of, screen_grid, spread
from lamella.editor.viewers._paint_labels import Region

__all__ = ["TILE", "LiveTrainer", "PredictionPart", "regions_in_order"]

TILE = 512  # pixels per side of the tiles predicted after the visible area


@dataclass(frozen=True)
class PredictionPart:
    """The prediction of one region: classes (1..K) and uncertainty (1 - top probability)."""

    generation: int
    region: Region
    classes: np.ndarray
    uncertainty: np.ndarray
    final: bool  # the last part of its generation: the whole image is predicted
    coarse: bool = False  # classified at the screen's resolution; full resolution follows


@dataclass(frozen=True)
class _Request:
    generation: int
    labels: np.ndarray
    visible: Region | None
    scale: float  # screen pixels per image pixel


def regions_in_order(shape: tuple[int, int], visible: Region | None, tile: int = TILE) -> list[Region]:
    """The visible region first, then the rest of an image of ``shape`` in tiles, nearest first."""
    height, width = shape
    if visible is None:
        visible = (slice(0, 0), slice(0, 0))
    rows, columns = visible
    first = [visible] if rows.stop > rows.start and columns.stop > columns.start else []
    rest = []
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            box = (slice(top, min(height, top + tile)), slice(left, min(width, left + tile)))
            rest += _outside(box, visible)
    centre = ((rows.start + rows.stop) / 2, (columns.start + columns.stop) / 2)
    rest.sort(key=lambda r: abs((r[0].start + r[0].stop) / 2 - centre[0])
              + abs((r[1].start + r[1].stop) / 2 - centre[1]))
    return first + rest


def _has_pixels(region: Region) -> bool:
    return region[0].stop > region[0].start and region[1].stop > region[1].start


def _outside(box: Region, hole: Region) -> list[Region]:
    """``box`` less ``hole``, as up to four rectangles (above, below, left, right)."""
    (top, bottom), (left, right) = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
    (h_top, h_bottom), (h_left, h_right) = (hole[0].start, hole[0].stop), (hole[1].start, hole[1].stop)
    if h_bottom <= top or h_top >= bottom or h_right <= left or h_left >= right or h_top == h_bottom:
        return [box]
    inner_top, inner_bottom = max(top, h_top), min(bottom, h_bottom)
    parts = [(slice(top, inner_top), slice(left, right)), (slice(inner_bottom, bottom), slice(left, right)),
             (slice(inner_top, inner_bottom), slice(left, max(left, h_left))),
             (slice(inner_top, inner_bottom), slice(min(right, h_right), right))]
    return [p for p in parts if p[0].stop > p[0].start and p[1].stop > p[1].start]


class LiveTrainer(QObject):
    """Trains and predicts in a worker thread; results arrive as Qt signals on the UI thread.

    Parameters
    ----------
    pixels
        The painted image: (rows, columns), or (channels, rows, columns) with
        ``channel_axis`` true.
    pixel_size
        ``(value, unit)`` of a pixel, e.g. ``(2.5, 'nm')``, or None.
    bank
        The features (a ``FeatureBank``); None: the classifier's default.

    Signals
    -------
    status(str)
        What the worker does now: 'computing features…', 'training…', 'predicting…', or a
        summary of the last training when it is done.
    predicted(PredictionPart)
        One region predicted.
    failed(int, str)
        A training of that generation failed, in one line.
    """

    status = Signal(str)
    predicted = Signal(object)
    failed = Signal(int, str)

    def __init__(self, pixels: np.ndarray, *, channel_axis: bool = False, pixel_size: Any = None,
                 bank: Any = None) -> None:
        # No Qt parent, on purpose: the worker thread holds this object until it ends, so a
        # signal is never emitted on a QObject that a closed window has deleted.
        super().__init__()
        self._pixels, self._channel_axis, self._pixel_size = pixels, channel_axis, pixel_size
        self._bank = bank  # a FeatureBank; None: the classifier's default
        self._classifier: Any = None
        self._wake = threading.Condition()
        self._pending: _Request | None = None
        self._latest = 0
        self._working = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.trainings = 0  # trainings finished (for the window's status and tests)

    @property
    def generation(self) -> int:
        """The newest request's generation."""
        return self._latest

    def is_current(self, generation: int) -> bool:
        """True if ``generation`` is the newest request (older results are stale)."""
        return generation == self._latest

    @property
    def busy(self) -> bool:
        """True while a request waits or is being worked on."""
        with self._wake:
            return self._working or self._pending is not None

    def request(self, labels: np.ndarray, visible: Region | None, scale: float = 1.0) -> int:
        """Train on (a copy of) ``labels`` and predict, visible region first; its generation.

        ``scale``: screen pixels per image pixel in the view; below 1 the visible region is
        first classified at the screen's resolution (a coarse part), then at full resolution.
        """
        with self._wake:
            if self._closed:
                return self._latest
            self._latest += 1
            self._pending = _Request(self._latest, labels.copy(), visible, scale)
            self._wake.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, daemon=True, name="lamella-live-training")
            self._thread.start()
        return self._latest

    def set_bank(self, bank: Any) -> None:
        """Use other features from the next training on (they are computed anew, once)."""
        with self._wake:
            self._bank = bank

    def close(self) -> None:
        """Stop after the step under way; nothing more is emitted."""
        with self._wake:
            self._closed, self._pending = True, None
            self._wake.notify()

    # ----- the worker thread --------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                job, self._pending, self._working = self._pending, None, True
            assert job is not None
            try:
                self._run(job)
            except ImportError as exc:  # the ml extra is missing
                self._emit(self.failed, job.generation, f"live training needs the ml extra "
                           f"(pip install 'lamella[ml]'): {exc}")
            except Exception as exc:  # one line in the window's status; the thread goes on
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self._emit(self.failed, job.generation, text[:300])
            finally:
                with self._wake:
                    self._working = False

    def _run(self, job: _Request) -> None:
        classifier = self._classifier_for_image()
        if not classifier.features_ready:  # once per image: seconds on a large one
            self._emit(self.status, "computing features…")
            classifier.prepare()
            if self._stale(job):
                return
        started = time.monotonic()
        self._emit(self.status, "training…")
        summary = classifier.train(job.labels)
        self.trainings += 1
        trained = time.monotonic() - started
        if self._stale(job):
            return
        self._emit(self.status, "predicting…")
        try:
            self._predict(classifier, job)
        except PredictionCancelled:
            return  # a newer request is waiting
        if not self._stale(job):
            painted, predicted = sum(summary.pixels_per_class.values()), time.monotonic() - started - trained
            self._emit(self.status, f"trained on {painted:,} painted pixels of {len(summary.classes)} "
                       f"classes in {trained:.1f} s, predicted in {predicted:.1f} s")

    def _predict(self, classifier: Any, job: _Request) -> None:
        """The visible region (at the screen's resolution first, if smaller), then the rest."""
        def stale() -> bool:
            return self._stale(job)

        visible = job.visible
        regions = regions_in_order(job.labels.shape, visible)
        grid = screen_grid(visible, job.scale) if visible is not None and _has_pixels(visible) else None
        first = 0
        if grid is not None and visible is not None:
            if not self._visible_coarse_first(classifier, job, visible, grid, len(regions) == 1):
                return
            first = 1  # the visible region is done
        for index, region in enumerate(regions[first:], start=first):
            if stale():
                return
            found = classifier.predict(region=region, cancelled=stale)
            self._emit(self.predicted, PredictionPart(
                job.generation, region, np.asarray(found.classes),
                np.asarray(found.uncertainty, dtype=np.float32), index == len(regions) - 1))

    def _visible_coarse_first(self, classifier: Any, job: _Request, visible: Region,
                              grid: tuple[np.ndarray, np.ndarray], final: bool) -> bool:
        """The pixels on screen, spread; then the others, the grid's kept: False if stale."""
        def stale() -> bool:
            return self._stale(job)

        found = classifier.predict_grid(*grid, cancelled=stale)
        classes, uncertainty = np.asarray(found.classes), np.asarray(found.uncertainty, dtype=np.float32)
        self._emit(self.predicted, PredictionPart(job.generation, visible, spread(classes, grid, visible),
                                                  spread(uncertainty, grid, visible), False, True))
        shape = (visible[0].stop - visible[0].start, visible[1].stop - visible[1].start)
        every_class, every_uncertainty = np.empty(shape, classes.dtype), np.empty(shape, np.float32)
        place(every_class, classes, grid, visible)
        place(every_uncertainty, uncertainty, grid, visible)
        for other in rest_of(grid, visible):  # the pixels on screen are not classified again
            if stale():
                return False
            more = classifier.predict_grid(*other, cancelled=stale)
            place(every_class, np.asarray(more.classes), other, visible)
            place(every_uncertainty, np.asarray(more.uncertainty, dtype=np.float32), other, visible)
        self._emit(self.predicted, PredictionPart(job.generation, visible, every_class, every_uncertainty,
                                                  final))
        return True

    def _classifier_for_image(self) -> Any:
        with self._wake:
            bank = self._bank
        if self._classifier is None or (bank is not None and self._classifier.bank != bank):
            from lamella.core.sdk.ml.live import LiveClassifier  # the ml extra: imported when used

            self._classifier = LiveClassifier(self._pixels, channel_axis=self._channel_axis,
                                              pixel_size=self._pixel_size, bank=bank)
        return self._classifier

    def _stale(self, job: _Request) -> bool:
        with self._wake:
            return self._closed or job.generation != self._latest

    def _emit(self, signal: Any, *values: Any) -> None:
        if not self._closed:  # after close() the window (the receiver) may be gone
            signal.emit(*values)
