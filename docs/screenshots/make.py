"""Screenshots of the editor in a real X window (Xvfb), for the README.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/make.py

Needs Debian's xvfb and Qt's X libraries (MACHINE-NOTES, Qt). Opens the nanoparticle
example on its bundled image, and grabs the window from the X server: before a run, after a
run with a labels overlay in the viewer, and (with the compare dialog) the grid of values.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "xcb"  # a real window, not the offscreen surface
REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "screenshots"

from PySide6 import QtCore, QtWidgets  # noqa: E402

from lamella.core.catalog import Catalog  # noqa: E402
from lamella.editor._runs import RunController  # noqa: E402
from lamella.editor.model import EditorModel  # noqa: E402
from lamella.editor.window import EditorWindow  # noqa: E402

EXAMPLE = REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml"


def wait(app: QtWidgets.QApplication, condition, seconds: float = 600) -> None:  # type: ignore[no-untyped-def]
    """Process events until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the editor did not finish in time")
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)


def settle(app: QtWidgets.QApplication, seconds: float = 1.0) -> None:
    """Process events for a while (repaints, zoom to fit)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)


def grab(window: QtWidgets.QWidget, name: str) -> Path:
    """The window as the X server shows it (frame and all)."""
    screen = window.screen()
    pixmap = screen.grabWindow(0, window.x(), window.y(), window.frameGeometry().width(),
                               window.frameGeometry().height())
    path = OUT / name
    pixmap.save(str(path))
    print(f"wrote {path.relative_to(REPO)} ({pixmap.width()} x {pixmap.height()})")
    return path


def main() -> int:
    """Open the example, take the screenshots, close."""
    app = QtWidgets.QApplication(sys.argv[:1])
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / "lamella-screenshots-cache"
    window = EditorWindow(EditorModel.open(EXAMPLE, Catalog.discover()),
                          controller=RunController(cache_dir=cache),
                          settings=QtCore.QSettings(str(cache / "settings.ini"),
                                                    QtCore.QSettings.Format.IniFormat))
    window.setGeometry(0, 0, 1560, 960)
    window.show()
    window.inputs.set_path(REPO / "examples" / "data" / "particles.tif")
    settle(app)
    window.canvas.fit()
    shown: list[object] = []
    window.preview.ready.connect(shown.append)
    window.canvas.select(["segment"])  # its live preview, on the chosen image
    wait(app, lambda: bool(shown))
    settle(app)
    grab(window, "editor-before-run.png")

    done: list[str] = []
    window.controller.finished.connect(lambda kind, result, error: done.append(kind))
    window.runs.out_dir = cache / "results"
    window.runs.start()
    wait(app, lambda: "run" in done)
    window.canvas.select(["edge"])  # its preview: the run's result, reused from the cache
    wait(app, lambda: getattr(window.outputs.shown, "node", None) == "edge")
    window.outputs.viewer.set_opacity(0.45)
    settle(app, 2.0)
    grab(window, "editor-after-run.png")

    from lamella.editor._compare import open_compare

    dialog = open_compare(window, "segment", "method")  # what "Try values…" opens
    dialog.setGeometry(80, 60, 1400, 820)
    wait(app, lambda: not dialog.running and bool(dialog.grid.cells))
    settle(app, 2.0)
    grab(dialog, "editor-compare-values.png")
    dialog.close()
    window.files.ask = lambda: QtWidgets.QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
