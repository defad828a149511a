"""Load a module's entry function and run it on a prepared task folder.

The same code runs a module in a local worker process, in a container
(``python -m lamella.core.sdk TASK_FOLDER``) and in module tests.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lamella.core.errors import ModuleError
from lamella.core.sdk._task import ProgressCallback, Task

__all__ = ["import_module_file", "load_entrypoint", "module_package", "run_task_folder"]


def import_module_file(module_dir: Path, file_stem: str) -> types.ModuleType:
    """Import ``module_dir/<file_stem>.py`` as part of a private package for that folder.

    Each module folder becomes its own package, so helper files next to ``main.py`` are
    imported relatively (``from . import feret``) and two modules with a helper of the same
    name never collide in one worker process.
    """
    module_dir = Path(module_dir).resolve()
    package = module_package(module_dir)
    if package not in sys.modules:
        holder = types.ModuleType(package)
        holder.__path__ = [str(module_dir)]
        holder.__file__ = str(module_dir / "__init__.py")
        sys.modules[package] = holder
    return importlib.import_module(f"{package}.{file_stem}")


def module_package(module_dir: Path) -> str:
    """The private package name a module folder's files are imported under."""
    return "lamella_module_" + hashlib.sha1(str(Path(module_dir).resolve()).encode()).hexdigest()[:12]


def load_entrypoint(module_dir: Path, entrypoint: str) -> Callable[[Task], Any]:
    """Return the function named by ``'file:function'`` in a module folder."""
    file_stem, function_name = entrypoint.split(":", 1)
    module = import_module_file(module_dir, file_stem)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ModuleError(f"entrypoint '{entrypoint}': {module_dir / (file_stem + '.py')} has no "
                          f"function '{function_name}'; fix 'entrypoint' in module.json")
    return function


def run_task_folder(module_dir: Path, entrypoint: str, task_folder: Path,
                    on_progress: ProgressCallback | None = None) -> dict[str, list[str]]:
    """Run a module on a task folder; return the files written per output port."""
    function = load_entrypoint(module_dir, entrypoint)
    task = Task(task_folder, on_progress=on_progress)
    function(task)
    return task.finish()
