"""Screenshot of the painting window in a real X window (Xvfb), for docs/annotating.md.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/make_annotate.py

Needs Debian's xvfb and Qt's X libraries (MACHINE-NOTES, Qt) and the ml extra. Opens the
pixel-classifier example (or, without it, a copy of its first steps on the bundled
microstructure image), opens Edit ▸ Annotate training image… for its training step,
paints a few strokes per phase (taken from the bundled ground truth, as a user would paint
inside each phase), waits for the live prediction and grabs the window. Nothing is saved.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "xcb"  # a real window, not the offscreen surface
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "docs" / "screenshots"))

import numpy as np  # noqa: E402
from make import grab, settle, wait  # noqa: E402  (the README screenshots' helpers)
from PySide6 import QtCore, QtWidgets  # noqa: E402

from lamella.core.catalog import Catalog  # noqa: E402
from lamella.core.sdk import read_image  # noqa: E402
from lamella.editor._runs import RunController  # noqa: E402
from lamella.editor.model import EditorModel  # noqa: E402
from lamella.editor.window import EditorWindow  # noqa: E402

EXAMPLE = REPO / "examples" / "workflows" / "pixel-classifier.yaml"
TRUTH = REPO / "examples" / "data" / "microstructure-truth.tif"
STROKES_PER_CLASS = 4
FALLBACK = """lamella: 1
name: pixel-classifier
inputs:
  image: {type: image, default: %s}
nodes:
  load: {module: lamella/load-image@1, params: {crop_info_bar: 'off'}, in: {path: $inputs.image}}
  train:
    module: lamella/pixel-classifier-train@1
    params: {class_names: 'ferrite, pearlite, martensite'}
    in: {image: load.image}
"""


def workflow(cache: Path) -> Path:
    """The example, or a workflow of its first steps written in ``cache``."""
    if EXAMPLE.exists():
        return EXAMPLE
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / "pixel-classifier.yaml"
    path.write_text(FALLBACK % (REPO / "examples" / "data" / "microstructure.tif"))
    return path


def strokes_from_truth(truth: np.ndarray, seed: int = 3) -> list[tuple[int, list[tuple[int, int]]]]:
    """Short horizontal strokes well inside each class of ``truth`` (10 px from its edge)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    made = []
    for value in sorted(int(v) for v in np.unique(truth) if v):
        inside = ndimage.binary_erosion(truth == value, iterations=10)
        ys, xs = np.nonzero(inside)
        for index in rng.choice(len(ys), size=min(STROKES_PER_CLASS, len(ys)), replace=False):
            y, x = int(ys[index]), int(xs[index])
            end = x
            while end + 1 < truth.shape[1] and inside[y, end + 1] and end - x < 90:
                end += 1
            made.append((value, [(x, y), (end, y)]))
    return made


def main() -> int:
    """Open the example, paint, wait for the prediction, grab, close."""
    app = QtWidgets.QApplication(sys.argv[:1])
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / "lamella-screenshots-cache"
    window = EditorWindow(EditorModel.open(workflow(cache), Catalog.discover()),
                          controller=RunController(cache_dir=cache),
                          settings=QtCore.QSettings(str(cache / "settings.ini"),
                                                    QtCore.QSettings.Format.IniFormat))
    window.setGeometry(0, 0, 1560, 960)
    window.show()
    settle(app)
    shown: list[object] = []
    window.annotate.opened.connect(shown.append)
    if not window.annotate.open():
        raise SystemExit(window.statusBar().currentMessage())
    wait(app, lambda: bool(shown))
    painter = shown[0]
    painter.setGeometry(40, 30, 1400, 900)
    settle(app)
    painter.view.fit()
    truth = read_image(TRUTH).data
    painter.set_brush_size(11)
    for value, points in strokes_from_truth(truth):  # each retrains; the newest strokes win
        painter.set_class(value)
        painter.paint(points)
    wait(app, lambda: not painter.trainer.busy and bool(painter.predicted.all()))
    painter.bar.opacity.setValue(40)
    settle(app, 2.0)
    painter.view.actual_size()
    settle(app, 1.0)
    grab(painter, "editor-annotate.png")
    painter.ask_unsaved = lambda: QtWidgets.QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    painter.close()
    window.files.ask = lambda: QtWidgets.QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
