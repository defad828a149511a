"""Helpers for the painting tests: a stand-in training module, a workflow, mouse strokes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

STAND_IN = {
    "id": "test/paint-train", "version": "1.0.0", "name": "Paint train (stand-in)",
    "category": "Machine learning",
    "description": "Stand-in training step: writes the painted pixels of each class and the names.",
    "inputs": {"image": {"type": "image", "description": "the image painted on"},
               "annotations": {"type": "labels", "description": "0 unlabelled, 1..K classes"}},
    "outputs": {"counts": {"type": "json", "description": "painted pixels per class value"}},
    "parameters": {  # as lamella/pixel-classifier-train's (the live features follow them)
        "class_names": {"type": "string", "default": "", "description": "comma-separated class names"},
        "features": {"type": "enum", "choices": ["all", "ilastik", "intensity", "custom"],
                     "default": "all", "description": "feature groups"},
        "groups": {"type": "string", "default": "intensity, gaussian", "description": "for custom"},
        "scales": {"type": "string", "default": "0.7, 1, 1.6, 3.5, 5, 10", "description": "sigmas"}},
    "resources": {"gpu": "none", "memory_gb": 0.5, "threads": 1, "network": False},
    "image": "test/paint-train:1.0.0", "entrypoint": "main:run",
}
STAND_IN_MAIN = '''
import numpy as np


def run(task):
    labels = task.labels("annotations").data
    values, counts = np.unique(labels, return_counts=True)
    names = [n.strip() for n in str(task.param("class_names") or "").split(",") if n.strip()]
    task.save_json("counts", {"counts": {str(int(v)): int(c) for v, c in zip(values, counts)},
                              "names": names, "dtype": str(labels.dtype)})
'''

WORKFLOW = """lamella: 1
name: paint-test
inputs:
  image: {type: image, default: two.tif}
nodes:
  load: {module: lamella/load-image@1, params: {crop_info_bar: 'off'}, in: {path: $inputs.image}}
  train: {module: test/paint-train@1, in: {image: load.image}}
"""


def two_levels(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """uint8: the left half dark (60), the right half bright (190), with some noise."""
    image = np.where(np.arange(width)[None, :] < width // 2, 60, 190) * np.ones((height, 1))
    noise = np.random.default_rng(seed).normal(0, 8, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def write_stand_in(folder: Path) -> Path:
    """The stand-in training module in ``folder/paint-train``; returns ``folder``."""
    module = folder / "paint-train"
    module.mkdir(parents=True, exist_ok=True)
    (module / "module.json").write_text(json.dumps(STAND_IN, indent=2))
    (module / "main.py").write_text(STAND_IN_MAIN)
    return folder


def write_workflow(folder: Path, text: str = WORKFLOW) -> Path:
    """The workflow and its two-level image ``two.tif`` in ``folder``."""
    import tifffile

    folder.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(folder / "two.tif", two_levels())
    path = folder / "paint-test.yaml"
    path.write_text(text)
    return path


def disc(size: int) -> set[tuple[int, int]]:
    """Offsets (dx, dy) a brush of ``size`` covers around its centre pixel, by the definition."""
    radius = size / 2
    reach = int(np.ceil(radius))
    return {(dx, dy) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)
            if dx * dx + dy * dy <= radius * radius}


def stroke(view, points: list[tuple[int, int]], button=None) -> None:  # type: ignore[no-untyped-def]
    """Press on the first image pixel, move through the others with the button held, release.

    The moves are sent as events carrying the held button (QTest.mouseMove drops it).
    """
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    button = button or Qt.MouseButton.LeftButton
    viewport = view.viewport()
    where = [view.mapFromScene(QPointF(x + 0.5, y + 0.5)) for x, y in points]
    QTest.mousePress(viewport, button, Qt.KeyboardModifier.NoModifier, where[0])
    for point in where[1:]:
        move = QMouseEvent(QEvent.Type.MouseMove, QPointF(point), QPointF(viewport.mapToGlobal(point)),
                           Qt.MouseButton.NoButton, button, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, move)
    QTest.mouseRelease(viewport, button, Qt.KeyboardModifier.NoModifier, where[-1])
