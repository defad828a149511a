"""Prediction: one or several models over one image plane, tiled, with an uncertainty map.

An ensemble's probabilities are the mean of its members'; its uncertainty is, per pixel, the
largest over classes of the members' standard deviation (population, ``ddof=0``) of that
class's probability: 0 where the members agree, up to 0.5 where half say yes and half no.
Mean and spread are accumulated member by member (Welford's update), so memory does not
grow with the number of members, and identical members give a spread of exactly 0.

A model trained at one pixel size sees objects at the size it learnt when the image is
resampled to that pixel size first (:func:`resample`); the probabilities are resampled back
to the image's own grid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from skimage.transform import resize

from lamella.core.sdk.ml.unet.model import UNet
from lamella.core.sdk.ml.unet.tiling import Forward, predict_tiled

__all__ = ["TileSettings", "predict_ensemble", "resample", "torch_forward"]


@dataclass(frozen=True)
class TileSettings:
    """How an image is cut into tiles (see :func:`tiling.predict_tiled`)."""

    tile: int = 256
    overlap: int = 64
    batch_size: int = 4


def torch_forward(model: UNet, device: torch.device) -> Forward:
    """A :data:`tiling.Forward` running ``model`` on ``device`` (softmax applied).

    A copy of the network runs in channels-last memory format, in inference mode: on the CPU
    its convolutions then take about two thirds of the time they take in the default layout
    (2048 x 2048, 256 px tiles, batch 4: benchmarks/RESULTS.md (j)), with the same
    probabilities to rounding. The tiles need no conversion (a convolution follows its
    weights' layout). ``model`` itself is left as it is (the copy's weights are a few MB).
    """
    network = copy.deepcopy(model).to(device)
    # Module.to takes memory_format; torch's type stubs leave it out.
    network = network.to(memory_format=torch.channels_last).eval()  # type: ignore[call-overload]

    def forward(tiles: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = network(torch.from_numpy(np.ascontiguousarray(tiles)).to(device))
            return torch.softmax(logits, dim=1).contiguous().cpu().numpy()

    return forward


def predict_ensemble(plane: np.ndarray, forwards: list[Forward], *, multiple: int,
                     tiles: TileSettings,
                     progress: Callable[[float], None] | None = None,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Mean class probabilities (K, H, W) and uncertainty (H, W) of a (C, H, W) plane."""
    def member(index: int) -> np.ndarray:
        def member_progress(done: float) -> None:
            if progress is not None:
                progress((index + done) / len(forwards))

        return predict_tiled(plane, forwards[index], tile=tiles.tile, overlap=tiles.overlap,
                             batch_size=tiles.batch_size, multiple=multiple,
                             progress=member_progress).astype(np.float32, copy=False)

    mean = member(0)
    if len(forwards) == 1:  # spread 0 everywhere: no (K, H, W) accumulator is needed
        return mean, np.zeros(plane.shape[1:], np.float32)
    spread = np.zeros_like(mean)
    for index in range(1, len(forwards)):
        probabilities = member(index)
        delta = probabilities - mean
        mean += delta / np.float32(index + 1)
        spread += delta * (probabilities - mean)
    deviation = np.sqrt(np.maximum(spread / np.float32(len(forwards)), 0.0))
    return mean, deviation.max(axis=0)


def resample(data: np.ndarray, shape: tuple[int, int], *, order: int = 1) -> np.ndarray:
    """A (C, H, W) array resampled to (C, *shape) (linear; smoothed first when shrinking)."""
    if data.shape[1:] == tuple(shape):
        return data
    shrinking = shape[0] < data.shape[1] or shape[1] < data.shape[2]
    return np.stack([resize(channel, shape, order=order, mode="reflect", preserve_range=True,
                            anti_aliasing=shrinking and order > 0).astype(np.float32)
                     for channel in data])
