"""``lamella editor [WORKFLOW]``: open the editor window on a workflow (or a new one)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtWidgets

from lamella.core.catalog import Catalog
from lamella.editor.model import EditorModel
from lamella.editor.window import EditorWindow

__all__ = ["main", "open_window"]


def open_window(workflow: Path | None, module_dirs: Sequence[Path] = ()) -> EditorWindow:
    """A shown editor window on ``workflow`` (its problems listed) or on a new workflow."""
    catalog = Catalog.discover(module_dirs)
    window = EditorWindow(EditorModel(catalog), module_dirs=module_dirs)
    if workflow is not None:
        window.files.open_path(Path(workflow), asked=True)
    window.show()
    return window


def main(workflow: Path | None = None, module_dirs: Sequence[Path] = ()) -> int:
    """Run the editor until its window closes; the exit status of the Qt event loop."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Lamella")
    app.setOrganizationName("Lamella")
    window = open_window(workflow, module_dirs)
    status = app.exec()
    del window
    return int(status)
