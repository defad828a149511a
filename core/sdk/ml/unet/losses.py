"""The training loss: cross-entropy over the counted pixels, optionally plus a soft Dice term.

Ignored pixels are masked out by multiplying with a 0/1 weight rather than dropped by index,
so whatever class an ignored pixel's target holds, its loss term and its gradient are exactly
zero: the loss and every gradient depend only on the counted pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["segmentation_loss"]

_SMOOTH = 1.0  # keeps Dice defined for a class absent from a batch


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, *,
                      dice_weight: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy over counted pixels, plus ``dice_weight`` x (1 - mean soft Dice).

    Parameters
    ----------
    logits : (N, K, H, W) float tensor
    target : (N, H, W) int64 tensor
        Class indices 0..K-1, negative (``targets.IGNORE``) where a pixel is not counted.
    dice_weight : float
        Weight of the Dice term (0 = cross-entropy only). Dice weighs every class equally
        whatever its pixel count, which helps thin classes such as boundaries.

    Returns
    -------
    Scalar tensor; 0 when no pixel is counted.
    """
    counted = target >= 0
    weight = counted.to(logits.dtype)
    classes = target.clamp(min=0)  # any class at an ignored pixel: its weight is 0
    per_pixel = F.cross_entropy(logits, classes, reduction="none")
    total = weight.sum()
    loss = (per_pixel * weight).sum() / total.clamp(min=1.0)
    if dice_weight > 0:
        loss = loss + dice_weight * (1.0 - _soft_dice(logits, classes, weight))
    return loss


def _soft_dice(logits: torch.Tensor, classes: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean over classes of 2 |P * T| / (|P| + |T|) on the counted pixels."""
    probabilities = torch.softmax(logits, dim=1) * weight.unsqueeze(1)
    truth = F.one_hot(classes, logits.shape[1]).permute(0, 3, 1, 2).to(logits.dtype)
    truth = truth * weight.unsqueeze(1)
    dims = (0, 2, 3)
    overlap = (probabilities * truth).sum(dims)
    sizes = probabilities.sum(dims) + truth.sum(dims)
    return ((2 * overlap + _SMOOTH) / (sizes + _SMOOTH)).mean()
