"""Container entry: ``python -m lamella.core.sdk MODULE_DIR TASK_FOLDER [ENTRYPOINT]``.

Without ENTRYPOINT the function named by ``entrypoint`` in ``MODULE_DIR/module.json`` runs.
Progress is written to stdout as lines ``LAMELLA_PROGRESS <fraction> <message>`` so a runner
reading the container's log can turn them into events. The exit status is 0 on success,
2 for a clear module error (message on the last stderr line) and 1 for a crash.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from lamella.core.errors import LamellaError, ManifestError
from lamella.core.manifest import load_manifest
from lamella.core.sdk._entry import run_task_folder


def _print_progress(fraction: float, message: str) -> None:
    print(f"LAMELLA_PROGRESS {fraction:.4f} {message}", flush=True)


def main(argv: list[str]) -> int:
    """Run one task; see the module docstring for the exit statuses."""
    if len(argv) not in (2, 3):
        print("usage: python -m lamella.core.sdk MODULE_DIR TASK_FOLDER [ENTRYPOINT]", file=sys.stderr)
        return 2
    module_dir = Path(argv[0])
    try:
        entrypoint = argv[2] if len(argv) == 3 else load_manifest(module_dir / "module.json").entrypoint
        run_task_folder(module_dir, entrypoint, Path(argv[1]), _print_progress)
    except LamellaError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        return 1
    return 0


def _one_line(exc: LamellaError) -> str:
    # A runner reads only the last stderr line; a manifest's list of problems must fit on it.
    if isinstance(exc, ManifestError):
        return f"{exc.source}: " + "; ".join(str(p) for p in exc.problems)
    return str(exc)


def _one_stream() -> None:
    """With ``LAMELLA_ONE_STREAM=1``, stderr goes where stdout goes, in the order written.

    A container engine keeps a container's two streams apart and may hand their lines over
    in another order than they were written; a runner that needs the error to be the last
    line (as the Docker backend does) sets this.
    """
    if os.environ.get("LAMELLA_ONE_STREAM") == "1":
        sys.stdout.flush()
        os.dup2(sys.stdout.fileno(), sys.stderr.fileno())


if __name__ == "__main__":
    _one_stream()
    sys.exit(main(sys.argv[1:]))
