"""Run a module folder on test inputs, in-process, exactly as a runner would.

Module tests use this::

    from lamella.core.sdk.testing import run_module
    result = run_module(MODULE_DIR, tmp_path, inputs={"image": path}, params={"method": "otsu"})
    mask = result.image("mask")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core.errors import ModuleError
from lamella.core.manifest import Manifest, load_manifest, param_problems, resolve_params
from lamella.core.sdk._contract import OUTPUTS_DIR, ModuleNotes, prepare_task_folder, read_module_notes
from lamella.core.sdk._entry import import_module_file, run_task_folder
from lamella.core.sdk._image import Image
from lamella.core.sdk._imageio import read_image

__all__ = ["ModuleRun", "import_module_file", "run_module"]


@dataclass
class ModuleRun:
    """What a module wrote: files per output port, the progress, resolved values and warnings."""

    outputs: dict[str, list[Path]]
    progress: list[tuple[float, str]] = field(default_factory=list)
    notes: ModuleNotes = field(default_factory=ModuleNotes)

    def path(self, port: str) -> Path:
        """The main file of an output port."""
        return self.outputs[port][0]

    def image(self, port: str) -> Image:
        """Read an image-like output (image, labels, mask, probabilities)."""
        return read_image(self.path(port))


def run_module(module_dir: Path, workdir: Path, *, inputs: dict[str, Any] | None = None,
               params: dict[str, Any] | None = None, node: str = "test") -> ModuleRun:
    """Run the module in ``module_dir`` on ``inputs`` (port -> path or list of paths).

    Parameters are checked against the manifest first, as workflow validation would.
    """
    module_dir = Path(module_dir)
    manifest: Manifest = load_manifest(module_dir / "module.json")
    given = dict(params or {})
    problems = param_problems(manifest, given)
    if problems:
        raise ModuleError("; ".join(f"parameter '{n}': {m}" for n, m in problems))
    as_lists = {port: _as_path_list(v) for port, v in (inputs or {}).items()}
    folder = Path(workdir) / f"task-{node}"
    # Symlinks to the given files, so a module's messages name them as the user would see.
    prepare_task_folder(folder, node=node, manifest=manifest, inputs=as_lists,
                        params=resolve_params(manifest, given), hard_links=False)
    progress: list[tuple[float, str]] = []
    written = run_task_folder(module_dir, manifest.entrypoint, folder,
                              on_progress=lambda f, m: progress.append((f, m)))
    out = folder / OUTPUTS_DIR
    return ModuleRun({port: [out / f for f in files] for port, files in written.items()}, progress,
                     read_module_notes(out))


def _as_path_list(value: Any) -> list[Path]:
    return [Path(v) for v in value] if isinstance(value, list | tuple) else [Path(value)]
