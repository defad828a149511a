"""Train a U-Net from images and labels (see docs/unet.md)."""

from __future__ import annotations

from lamella.core.sdk import Task
from lamella.core.sdk.ml.unet import missing_ml_message


def run(task: Task) -> None:
    """Train the model(s) and write the model file, the ensemble and the training curve."""
    try:
        from . import training  # imports PyTorch
    except ImportError as exc:
        message = missing_ml_message(exc, "lamella/unet-train")
        if message is None:
            raise
        task.fail(message)
    training.run(task)
