"""Segment an image with one or several U-Nets (see docs/unet.md)."""

from __future__ import annotations

from lamella.core.sdk import Task
from lamella.core.sdk.ml.unet import missing_ml_message


def run(task: Task) -> None:
    """Predict class probabilities, the class map, the boundary and the uncertainty maps."""
    try:
        from . import prediction  # imports PyTorch
    except ImportError as exc:
        message = missing_ml_message(exc, "lamella/unet-predict")
        if message is None:
            raise
        task.fail(message)
    prediction.run(task)
