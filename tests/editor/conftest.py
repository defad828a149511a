"""Editor tests run Qt offscreen: no display is needed (see MACHINE-NOTES, Qt)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def make_window(qtbot, tmp_path: Path, isolated_cache: Path):  # type: ignore[no-untyped-def]
    """Editor windows on a private cache and settings file; unsaved changes are discarded."""
    from PySide6 import QtCore, QtWidgets

    from lamella.core.catalog import Catalog
    from lamella.editor._runs import RunController
    from lamella.editor.model import EditorModel
    from lamella.editor.window import EditorWindow

    made: list = []

    def make(workflow: Path | None = None, modules: tuple[Path, ...] = ()) -> EditorWindow:
        settings = QtCore.QSettings(str(tmp_path / f"settings-{len(made)}.ini"),
                                    QtCore.QSettings.Format.IniFormat)
        catalog = Catalog.discover(modules)
        model = EditorModel.open(workflow, catalog) if workflow else EditorModel(catalog)
        window = EditorWindow(model, module_dirs=modules,
                              controller=RunController(cache_dir=isolated_cache), settings=settings)
        window.files.ask = lambda: QtWidgets.QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.controller.close()
