"""Training a U-Net: seeded patch sampling, Adam, validation and early stopping.

Reproducible: the weights are initialised from ``torch.manual_seed(seed)`` (inside
``torch.random.fork_rng``, so the caller's random state is left alone) and every patch,
zoom, flip and noise value comes from ``numpy.random.default_rng(seed)``, so the same
images, targets and settings give bit-identical weights on the same machine (same PyTorch
build and thread count). Training is bounded by a number of iterations, never by time.

Validation: a fixed set of patches, drawn once (without augmentation) from the validation
images, is scored every ``validate_every`` iterations; the weights with the lowest
validation loss are kept, and training stops early after ``patience`` scorings without a
better loss.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from lamella.core.sdk.ml.unet.augment import Augmentation
from lamella.core.sdk.ml.unet.device import choose_device
from lamella.core.sdk.ml.unet.losses import segmentation_loss
from lamella.core.sdk.ml.unet.model import UNet, UNetSpec
from lamella.core.sdk.ml.unet.sampling import PatchSampler

__all__ = ["Dataset", "TrainResult", "TrainSettings", "iterations_for_epochs", "train_unet"]

Progress = Callable[[float, str], None]


@dataclass
class Dataset:
    """Normalised images, each (C, H, W) float32, and their int64 targets (H, W)."""

    images: list[np.ndarray]
    targets: list[np.ndarray]


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides the trained weights (stored in the model file)."""

    depth: int = 3
    width: int = 16
    patch: int = 128
    batch_size: int = 8
    iterations: int = 300
    learning_rate: float = 1e-3
    dice_weight: float = 0.0
    seed: int = 0
    validate_every: int = 25
    patience: int = 4
    validation_patches: int = 16
    augmentation: Augmentation = field(default_factory=Augmentation)
    device: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain values."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "augmentation"}
        return {**values, "augmentation": self.augmentation.to_dict()}


@dataclass
class TrainResult:
    """A trained model (on the CPU, in evaluation mode) and how training went."""

    model: UNet
    iterations: int
    best_iteration: int
    stopped_early: bool
    validation: dict[str, Any]
    history: list[dict[str, float]]
    seconds: float
    device: str


def iterations_for_epochs(epochs: float, counted_pixels: int, patch: int, batch_size: int) -> int:
    """Iterations that show the network ``epochs`` times as many pixels as are labelled.

    Examples
    --------
    >>> iterations_for_epochs(2, 1024 * 768, 128, 8)
    12
    """
    return max(1, math.ceil(epochs * counted_pixels / (patch * patch * batch_size)))


def train_unet(train: Dataset, classes: int, settings: TrainSettings, *,
               validation: Dataset | None = None,
               progress: Progress | None = None) -> TrainResult:
    """Train a U-Net on ``train`` (and score it on ``validation``); see the module docstring."""
    device = choose_device(settings.device)
    started = time.monotonic()
    sampler = PatchSampler(train.images, train.targets, settings.patch, settings.augmentation)
    rng = np.random.default_rng(settings.seed)
    checks = _validation_patches(validation, settings)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        spec = UNetSpec(in_channels=train.images[0].shape[0], classes=classes,
                        depth=settings.depth, width=settings.width)
        model = UNet(spec).to(device)
        loop = _Loop(model, device, settings, checks, progress)
        loop.run(sampler, rng)
    model.load_state_dict(loop.best_state)
    model = model.to("cpu").eval()
    return TrainResult(model=model, iterations=loop.iteration, best_iteration=loop.best_iteration,
                       stopped_early=loop.stopped_early, validation=loop.best_scores,
                       history=loop.history, seconds=time.monotonic() - started,
                       device=str(device))


def _validation_patches(validation: Dataset | None,
                        settings: TrainSettings) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The fixed validation patches (drawn once, with a seed of their own), or None."""
    if validation is None or not validation.images:
        return None
    sampler = PatchSampler(validation.images, validation.targets, settings.patch, None)
    images, targets = sampler.batch(np.random.default_rng([settings.seed, 1]),
                                    settings.validation_patches)
    return torch.from_numpy(images), torch.from_numpy(targets)


class _Loop:
    """The training loop's state: iteration, best weights so far, scores, history."""

    def __init__(self, model: UNet, device: torch.device, settings: TrainSettings,
                 checks: tuple[torch.Tensor, torch.Tensor] | None,
                 progress: Progress | None) -> None:
        self.model, self.device, self.settings, self.checks = model, device, settings, checks
        self.progress = progress
        self.optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
        self.iteration = self.best_iteration = 0
        self.best_loss = math.inf
        self.best_state = _copy_state(model)
        self.best_scores: dict[str, Any] = {}
        self.history: list[dict[str, float]] = []
        self.stopped_early = False
        self._recent: list[float] = []
        self._last_loss = math.nan
        self._last_report = self._loop_started = 0.0
        self._stale = 0

    def run(self, sampler: PatchSampler, rng: np.random.Generator) -> None:
        total = self.settings.iterations
        self._last_report = self._loop_started = time.monotonic()
        for self.iteration in range(1, total + 1):
            images, targets = sampler.batch(rng, self.settings.batch_size)
            self._last_loss = self.step(torch.from_numpy(images), torch.from_numpy(targets))
            self._recent.append(self._last_loss)
            due = self.iteration % self.settings.validate_every == 0 or self.iteration == total
            if self.checks is not None and due and self._validate():
                self.stopped_early = True
                break
            self._report()
        if self.checks is None:  # nothing to choose by: the last weights are the model
            self.best_state, self.best_iteration = _copy_state(self.model), self.iteration

    def step(self, images: torch.Tensor, targets: torch.Tensor) -> float:
        """One Adam step on a batch; returns its loss."""
        self.model.train()
        images, targets = images.to(self.device), targets.to(self.device)
        self.optimiser.zero_grad(set_to_none=True)
        loss = segmentation_loss(self.model(images), targets,
                                 dice_weight=self.settings.dice_weight)
        loss.backward()
        self.optimiser.step()
        return float(loss.detach())

    def _validate(self) -> bool:
        """Score the validation patches; True when training should stop early."""
        assert self.checks is not None
        scores = evaluate(self.model, *self.checks, device=self.device,
                          dice_weight=self.settings.dice_weight,
                          batch_size=self.settings.batch_size)
        train_loss = float(np.mean(self._recent)) if self._recent else math.nan
        self.history.append({"iteration": self.iteration, "train_loss": round(train_loss, 6),
                             "validation_loss": round(scores["loss"], 6)})
        self._recent = []
        if scores["loss"] < self.best_loss:
            self.best_loss, self.best_iteration, self._stale = scores["loss"], self.iteration, 0
            self.best_state, self.best_scores = _copy_state(self.model), scores
            return False
        self._stale += 1
        return 0 < self.settings.patience <= self._stale

    def _report(self) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if now - self._last_report < 1.0 and self.iteration < self.settings.iterations:
            return
        self._last_report = now
        # Time per iteration so far (validations included) times the iterations left.
        left = (now - self._loop_started) / self.iteration * (self.settings.iterations
                                                               - self.iteration)
        loss = self._last_loss
        best = f", best validation loss {self.best_loss:.3f}" if self.best_scores else ""
        self.progress(self.iteration / self.settings.iterations,
                      f"training: iteration {self.iteration}/{self.settings.iterations}, loss "
                      f"{loss:.3f}{best}, about {_duration(left)} left")


@torch.no_grad()
def evaluate(model: UNet, images: torch.Tensor, targets: torch.Tensor, *, device: torch.device,
             dice_weight: float = 0.0, batch_size: int = 8) -> dict[str, Any]:
    """Loss, per-class IoU and foreground IoU (class 0 = background) on labelled patches."""
    model.eval()
    classes = model.spec.classes
    confusion = np.zeros((classes, classes), np.int64)
    loss_sum, counted = 0.0, 0
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size].to(device)
        target = targets[start:start + batch_size].to(device)
        logits = model(batch)
        pixels = int((target >= 0).sum())
        loss_sum += float(segmentation_loss(logits, target, dice_weight=dice_weight)) * pixels
        counted += pixels
        confusion += _confusion(logits.argmax(1).cpu().numpy(), target.cpu().numpy(), classes)
    iou = [_iou(confusion, [k]) for k in range(classes)]
    return {"loss": loss_sum / max(counted, 1), "iou": iou,
            "foreground_iou": _iou(confusion, list(range(1, classes))),
            "pixel_accuracy": float(np.trace(confusion) / max(confusion.sum(), 1)),
            "pixels": counted}


def _confusion(predicted: np.ndarray, target: np.ndarray, classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) over counted pixels."""
    counted = target >= 0
    pairs = target[counted] * classes + predicted[counted]
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


def _iou(confusion: np.ndarray, group: list[int]) -> float:
    """IoU of the union of classes ``group`` against the rest (NaN if neither occurs)."""
    truth = confusion[group].sum()
    found = confusion[:, group].sum()
    both = confusion[np.ix_(group, group)].sum()
    union = truth + found - both
    return float(both / union) if union else math.nan


def _copy_state(model: UNet) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _duration(seconds: float) -> str:
    """'45 s', '3 min', '1.5 h'."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
