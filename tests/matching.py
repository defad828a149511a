"""Match predicted objects to ground-truth objects by overlap (IoU), for accuracy tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Matching:
    """Pairs (truth id, predicted id, IoU) with IoU above the threshold; each id at most once.

    With a threshold of 0.5 or more a pair is unique by construction: two objects cannot
    both overlap one object by more than half of their union.
    """

    truth_count: int
    predicted_count: int
    pairs: list[tuple[int, int, float]]

    @property
    def mean_matched_iou(self) -> float:
        """Mean IoU of the matched pairs (the 'mean matched score' of Caicedo et al. 2019)."""
        return float(np.mean([iou for _, _, iou in self.pairs])) if self.pairs else 0.0

    @property
    def recall(self) -> float:
        """Share of ground-truth objects matched."""
        return len(self.pairs) / self.truth_count if self.truth_count else 0.0


def match(truth: np.ndarray, predicted: np.ndarray, *, threshold: float = 0.5) -> Matching:
    """Match labels of two integer images of the same shape."""
    truth, predicted = truth.astype(np.int64), predicted.astype(np.int64)
    t_ids, t_area = np.unique(truth[truth > 0], return_counts=True)
    p_ids, p_area = np.unique(predicted[predicted > 0], return_counts=True)
    overlap = (truth > 0) & (predicted > 0)
    pairs, shared = np.unique(np.stack([truth[overlap], predicted[overlap]]), axis=1,
                              return_counts=True)
    t_size, p_size = dict(zip(t_ids, t_area, strict=True)), dict(zip(p_ids, p_area, strict=True))
    matched = []
    for (t, p), n in zip(pairs.T, shared, strict=True):
        iou = n / (t_size[t] + p_size[p] - n)
        if iou > threshold:
            matched.append((int(t), int(p), float(iou)))
    return Matching(len(t_ids), len(p_ids), matched)
