"""What a finished task folder holds, as the cache entry records it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lamella.core.cache_keys import file_digest
from lamella.core.sdk import OUTPUTS_DIR, read_module_notes, read_outputs_file
from lamella.runner.backends import NodeResult

__all__ = ["result_meta"]


def result_meta(task_dir: Path, result: NodeResult) -> dict[str, Any]:
    """The cache-entry facts of a finished task folder.

    The outputs listing, each file's SHA-256 (the backend's where it gave one), the values
    chosen for 'auto' parameters and the module's warnings.

    Raises
    ------
    OSError, ValueError, KeyError
        If the module wrote no readable ``outputs.json``.
    """
    outputs_dir = task_dir / OUTPUTS_DIR
    written = read_outputs_file(outputs_dir)
    notes = read_module_notes(outputs_dir)
    digests = {port: [result.output_digests.get(f) or file_digest(outputs_dir / f) for f in files]
               for port, files in written.items()}
    return {"outputs": written, "output_digests": digests, "resolved": notes.resolved,
            "warnings": notes.warnings}
