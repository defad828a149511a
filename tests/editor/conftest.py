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


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    """The built-in modules only (no LAMELLA_MODULE_PATH); read once, never changed."""
    from lamella.core.catalog import Catalog

    return Catalog.discover([], env={})


@pytest.fixture
def model(tmp_path: Path, catalog):  # type: ignore[no-untyped-def]
    """The editor model of a copy of the nanoparticle example."""
    import shutil

    from lamella.editor.model import EditorModel
    from tests.editor.builtin import NANO

    return EditorModel.open(shutil.copy(NANO, tmp_path / NANO.name), catalog)


@pytest.fixture
def panel(qtbot):  # type: ignore[no-untyped-def]
    """An empty properties panel."""
    from lamella.editor.panels.properties import PropertiesPanel

    widget = PropertiesPanel()
    qtbot.addWidget(widget)
    return widget
