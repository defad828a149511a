"""The module SDK: what module code imports.

A module's ``main.py`` defines ``run(task)`` and uses :class:`Task` to read inputs and
parameters and to write outputs; images come as :class:`Image` with their calibration.

Names are imported on first use: the runner only needs the task-folder contract, and a
command-line run should not pay for numpy and the image readers it never calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lamella.core.lazy import lazy_attributes

if TYPE_CHECKING:
    from lamella.core.sdk._contract import (
        INPUTS_DIR,
        LOG_FILE,
        OUTPUTS_DIR,
        OUTPUTS_FILE,
        TASK_FILE,
        ModuleNotes,
        TaskResources,
        TaskSpec,
        prepare_task_folder,
        read_module_notes,
        read_outputs_file,
    )
    from lamella.core.sdk._entry import import_module_file, load_entrypoint, run_task_folder
    from lamella.core.sdk._image import Calibration, Image
    from lamella.core.sdk._imageio import TIFF_SUFFIXES, read_image, write_image
    from lamella.core.sdk._task import Task, as_label_array

_HOME = {
    "_contract": ["INPUTS_DIR", "LOG_FILE", "OUTPUTS_DIR", "OUTPUTS_FILE", "TASK_FILE",
                  "ModuleNotes", "TaskResources", "TaskSpec", "prepare_task_folder",
                  "read_module_notes", "read_outputs_file"],
    "_entry": ["import_module_file", "load_entrypoint", "run_task_folder"],
    "_image": ["Calibration", "Image"],
    "_imageio": ["TIFF_SUFFIXES", "read_image", "write_image"],
    "_task": ["Task", "as_label_array"],
}

__all__ = [
    "INPUTS_DIR",
    "LOG_FILE",
    "OUTPUTS_DIR",
    "OUTPUTS_FILE",
    "TASK_FILE",
    "TIFF_SUFFIXES",
    "Calibration",
    "Image",
    "ModuleNotes",
    "Task",
    "TaskResources",
    "TaskSpec",
    "as_label_array",
    "import_module_file",
    "load_entrypoint",
    "prepare_task_folder",
    "read_image",
    "read_module_notes",
    "read_outputs_file",
    "run_task_folder",
    "write_image",
]

__getattr__, __dir__ = lazy_attributes(__name__, _HOME, globals())
