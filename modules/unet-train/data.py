"""The training data of a task: image and label planes, targets, and the validation split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk import Calibration, Image, Task, as_label_array, read_image
from lamella.core.sdk.ml.unet.normalise import DEFAULT as NORMALISATION
from lamella.core.sdk.ml.unet.normalise import normalise
from lamella.core.sdk.ml.unet.planes import image_planes, label_planes
from lamella.core.sdk.ml.unet.targets import make_target
from lamella.core.sdk.ml.unet.train import Dataset

__all__ = ["MAX_CLASSES", "Labelled", "labelled_planes", "split"]

MAX_CLASSES = 32  # more painted classes than this are instance labels read as classes


@dataclass
class Labelled:
    """Normalised image planes (C, H, W), their targets and where each plane came from."""

    images: list[np.ndarray]
    targets: list[np.ndarray]
    sources: list[str]
    calibration: Calibration | None


def labelled_planes(task: Task) -> Labelled:
    """Every (image, labels) pair the task was given, as normalised planes and targets."""
    pairs = _pairs(task)
    data = Labelled([], [], [], None)
    for number, (image, labels) in enumerate(pairs, start=1):
        what = f"training pair {number} ({image.name}, {labels.name})"
        try:
            planes = image_planes(image.data, image.axes, f"image {image.name}")
            label_list = label_planes(labels.data, labels.axes, f"labels {labels.name}")
        except ValueError as exc:
            task.fail(str(exc))
        if len(planes) != len(label_list) or planes[0].shape[1:] != label_list[0].shape:
            task.fail(f"{what}: the image is {_size(planes[0].shape[1:], len(planes))} but its "
                      f"labels are {_size(label_list[0].shape, len(label_list))}; connect labels "
                      "made for this image")
        for index, (plane, label) in enumerate(zip(planes, label_list, strict=True)):
            data.images.append(normalise(plane, NORMALISATION))
            data.targets.append(_target(task, label))
            data.sources.append(image.name if len(planes) == 1 else f"{image.name} z={index}")
        data.calibration = data.calibration or image.calibration
    channels = {image.shape[0] for image in data.images}
    if len(channels) > 1:
        task.fail(f"the training images have different channel counts ({sorted(channels)}); "
                  "give images of one kind (all grey, or all with the same channels)")
    return data


def _size(shape: tuple[int, ...], planes: int) -> str:
    text = f"{shape[1]} x {shape[0]} pixels"
    return text if planes == 1 else f"{text} x {planes} slices"


def _pairs(task: Task) -> list[tuple[Image, Image]]:
    pairs = []
    for image_port, labels_port in (("image", "labels"), ("images", "label_images")):
        given = task.has_input(image_port), task.has_input(labels_port)
        if given[0] != given[1]:
            missing = labels_port if given[0] else image_port
            task.fail(f"input '{missing}' is not connected; '{image_port}' and '{labels_port}' "
                      "come as a pair: connect both")
        if not given[0]:
            continue
        images, labels = task.input_paths(image_port), task.input_paths(labels_port)
        if len(images) != len(labels):
            task.fail(f"input '{image_port}' has {len(images)} files but '{labels_port}' has "
                      f"{len(labels)}; give one label image per image")
        for image_path, labels_path in zip(images, labels, strict=True):
            pairs.append((_read(task, image_path, image_port),
                          _read_labels(task, labels_path, labels_port)))
    if not pairs:
        task.fail("no training data: connect 'image' and 'labels' (e.g. load.image and "
                  "load-labels.labels) or 'images' and 'label_images' (e.g. synthetic.image_set "
                  "and synthetic.labels_set)")
    return pairs


def _read(task: Task, path, port: str) -> Image:  # type: ignore[no-untyped-def]
    try:
        return read_image(path.resolve())
    except InputFileError as exc:
        task.fail(f"input '{port}': {exc}")


def _read_labels(task: Task, path, port: str) -> Image:  # type: ignore[no-untyped-def]
    image = _read(task, path, port)
    try:
        return image.like(as_label_array(image.data, f"input '{port}' ({image.name})"))
    except InputFileError as exc:
        task.fail(str(exc))


def _target(task: Task, labels: np.ndarray) -> np.ndarray:
    mode = task.param("target")
    if mode == "classes":
        ignore = task.param("ignore_value")
        painted = labels[(labels != 0) & (labels != (-1 if ignore is None else ignore))]
        if painted.size and int(painted.max()) > MAX_CLASSES:
            task.fail(f"parameter 'target': 'classes' reads each label value as a class, but the "
                      f"labels hold values up to {int(painted.max())}: these look like instance "
                      "labels (one id per object); set target to 'three-class' or 'foreground'")
    return make_target(labels, mode, ignore_value=task.param("ignore_value"),
                       boundary_width=task.param("boundary_width"))


def split(data: Labelled, fraction: float) -> tuple[Dataset, Dataset | None, str]:
    """Training and validation sets, and a line saying how they were split.

    Several planes: the last ``round(fraction x planes)`` (at least one) are held out
    whole. One plane: its bottom rows are (their targets ignored in training), or its top
    rows when the bottom holds no labels.
    """
    everything = Dataset(data.images, data.targets)
    if fraction <= 0:
        return everything, None, "no validation data (validation_fraction 0)"
    if len(data.images) > 1:
        held = min(len(data.images) - 1, max(1, round(fraction * len(data.images))))
        keep = len(data.images) - held
        return (Dataset(data.images[:keep], data.targets[:keep]),
                Dataset(data.images[keep:], data.targets[keep:]),
                f"validation on {held} of {len(data.images)} images: {', '.join(data.sources[keep:])}")
    return _split_rows(data.images[0], data.targets[0], fraction)


def _split_rows(image: np.ndarray, target: np.ndarray,
                fraction: float) -> tuple[Dataset, Dataset | None, str]:
    height = target.shape[0]
    rows = max(1, round(fraction * height))
    for where, band in (("bottom", slice(height - rows, height)), ("top", slice(0, rows))):
        held = target[band]
        if (held >= 0).any() and (np.delete(target, np.arange(height)[band], axis=0) >= 0).any():
            train_target = target.copy()
            train_target[band] = -1
            return (Dataset([image], [train_target]), Dataset([image[:, band]], [held.copy()]),
                    f"validation on the {where} {rows} rows of the one image")
    return (Dataset([image], [target]), None,
            "no validation data: the labels do not reach both the image's top or bottom band "
            "and the rest")
