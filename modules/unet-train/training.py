"""The training run: parameters to settings, one model per member, files out."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lamella.core.sdk import Task
from lamella.core.sdk.ml.artifact import MODEL_SUFFIX
from lamella.core.sdk.ml.unet.augment import Augmentation
from lamella.core.sdk.ml.unet.device import choose_device
from lamella.core.sdk.ml.unet.normalise import DEFAULT as NORMALISATION
from lamella.core.sdk.ml.unet.onnx_io import export_onnx
from lamella.core.sdk.ml.unet.store import save_unet
from lamella.core.sdk.ml.unet.targets import class_names
from lamella.core.sdk.ml.unet.train import (
    Dataset,
    TrainResult,
    TrainSettings,
    iterations_for_epochs,
    train_unet,
)

from .data import Labelled, labelled_planes, split

__all__ = ["run"]

HISTORY_COLUMNS = ("member", "iteration", "train_loss", "validation_loss")


def run(task: Task) -> None:
    """Train ``members`` models and write 'model', 'ensemble' and 'history'."""
    task.progress(0.0, "reading the training data")
    labelled = labelled_planes(task)
    _check_counted(task, labelled.targets)
    classes = _class_count(task, labelled.targets)
    train, validation, how = split(labelled, task.param("validation_fraction"))
    print(f"{len(labelled.images)} training plane(s), {classes} classes; {how}")
    settings = _settings(task, train)
    print(f"training on {choose_device(settings.device)}: {settings.iterations} iterations of "
          f"{settings.batch_size} patches of {settings.patch} px, U-Net depth {settings.depth}, "
          f"width {settings.width}")
    members = task.param("members")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for member in range(members):
            seeded = replace(settings, seed=settings.seed + member)
            result = _train_member(task, seeded, member, members, train, validation, classes)
            rows += [{"member": member + 1, **row} for row in result.history]
            metadata = _metadata(task, result, seeded, labelled, classes, how)
            onnx = export_onnx(result.model) if task.param("onnx") else None
            path = save_unet(Path(folder) / f"member-{member + 1}{MODEL_SUFFIX}", result.model,
                             metadata, onnx=onnx)
            task.save_file("ensemble", path)
            if member == 0:
                task.save_file("model", path, filename=f"model{MODEL_SUFFIX}")
                _report(task, result)
    task.save_table("history", _history_table(rows))
    task.progress(1.0, "done")


def _train_member(task: Task, settings: TrainSettings, member: int, members: int,
                  train: Dataset, validation: Dataset | None, classes: int) -> TrainResult:
    prefix = f"member {member + 1}/{members}: " if members > 1 else ""

    def progress(fraction: float, message: str) -> None:
        task.progress(0.02 + 0.96 * (member + fraction) / members, prefix + message)

    result = train_unet(train, classes, settings, validation=validation, progress=progress)
    scores = result.validation
    score = (f", validation loss {scores['loss']:.4f}, foreground IoU "
             f"{scores['foreground_iou']:.3f}" if scores else "")
    stop = " (stopped early)" if result.stopped_early else ""
    print(f"{prefix}seed {settings.seed}: {result.iterations} iterations{stop} in "
          f"{result.seconds:.1f} s on {result.device}; kept iteration {result.best_iteration}"
          f"{score}")
    return result


def _check_counted(task: Task, targets: list[np.ndarray]) -> None:
    """Fail in one line when no pixel of any label image counts in the loss."""
    if not any((t >= 0).any() for t in targets):
        ignore = task.param("ignore_value")
        what = "0 (not painted)" if task.param("target") == "classes" else ""
        if ignore is not None:
            what = f"{what} or {ignore} (ignore_value)" if what else f"{ignore} (ignore_value)"
        task.fail(f"input 'labels': no labelled pixels, every pixel is {what}; paint strokes "
                  "of each class (or connect complete labels)")


def _class_count(task: Task, targets: list[np.ndarray]) -> int:
    mode = task.param("target")
    if mode == "three-class":
        return 3
    if mode == "foreground":
        return 2
    largest = max(int(t.max()) for t in targets)
    given = task.param("class_names")
    names = [n.strip() for n in given.split(",")] if given else None
    if names is not None and largest + 1 > len(names):
        task.fail(f"input 'labels': label value {largest + 1} is not in the class list "
                  f"({len(names)} names in parameter 'class_names': {', '.join(names)}); name "
                  "every painted class or erase the strokes of that value")
    if largest < 1:
        task.fail("input 'labels': only one class is painted; paint at least two classes "
                  "(e.g. 1 = background, 2 = particle) or set target to 'foreground'")
    return max(largest + 1, len(names or []))


def _settings(task: Task, train: Dataset) -> TrainSettings:
    depth = task.param("depth")
    multiple = 2 ** (depth - 1)
    patch = -(-task.param("patch_size") // multiple) * multiple
    iterations = task.param("iterations")
    if task.param("epochs") is not None:
        counted = sum(int((t >= 0).sum()) for t in train.targets)
        iterations = iterations_for_epochs(task.param("epochs"), counted, patch,
                                           task.param("batch_size"))
        print(f"epochs {task.param('epochs'):g}: {iterations} iterations "
              f"({counted} labelled training pixels)")
    augmentation = Augmentation(
        flips=task.param("flips"), rotations=task.param("rotations"),
        brightness=task.param("brightness"), contrast=task.param("contrast"),
        blur=task.param("blur"), noise=task.param("noise"), scale=task.param("scale"))
    return TrainSettings(
        depth=depth, width=task.param("width"), patch=patch, batch_size=task.param("batch_size"),
        iterations=iterations, learning_rate=task.param("learning_rate"),
        dice_weight=task.param("dice_weight"), seed=task.param("seed"),
        validate_every=task.param("validate_every"), patience=task.param("patience"),
        validation_patches=task.param("validation_patches"), augmentation=augmentation,
        device=task.param("device"))


def _metadata(task: Task, result: TrainResult, settings: TrainSettings, labelled: Labelled,
              classes: int, how: str) -> dict[str, Any]:
    """What the model file says about the model besides its weights."""
    given = task.param("class_names")
    names = [n.strip() for n in given.split(",")] if given else None
    cal = labelled.calibration
    return {
        "class_names": class_names(task.param("target"), classes, names),
        "target": {"mode": task.param("target"), "ignore_value": task.param("ignore_value"),
                   "boundary_width": task.param("boundary_width")},
        "normalisation": NORMALISATION,
        "pixel_size": None if cal is None else {"value": cal.x, "unit": cal.unit},
        "training": {**settings.to_dict(), "planes": len(labelled.images),
                     "sources": labelled.sources, "validation": how,
                     "iterations_run": result.iterations, "best_iteration": result.best_iteration,
                     "stopped_early": result.stopped_early},
        "validation": _finite(result.validation),
    }


def _finite(value: Any) -> Any:
    """``value`` with NaN (an IoU of a class absent from the validation data) as None."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _report(task: Task, result: TrainResult) -> None:
    """Metrics for the run record (the first member's)."""
    task.metric("iterations", result.iterations)
    task.metric("best_iteration", result.best_iteration)
    task.metric("training_seconds", round(result.seconds, 1))
    task.metric("device", result.device)
    if result.validation:
        task.metric("validation_loss", round(result.validation["loss"], 5))
        task.metric("validation_foreground_iou", round(result.validation["foreground_iou"], 4))


def _history_table(rows: list[dict[str, Any]]) -> Any:
    """The training curve as a table with its header even when it has no rows."""
    import pandas as pd

    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
