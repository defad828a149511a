"""Starting ``lamella`` as a child process the way a terminal would.

A POSIX shell starts background jobs with SIGINT ignored, and an ignored signal stays
ignored across ``exec``: a test run from a background shell (``pytest ... &``) would start
every child deaf to Ctrl-C. Children that a test sends SIGINT to get its default back.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

__all__ = ["LAMELLA", "default_sigint", "start_lamella"]

LAMELLA = str(Path(sys.executable).parent / "lamella")


def default_sigint() -> None:
    """For ``preexec_fn``: the child acts on Ctrl-C, whatever this process inherited."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_lamella(*args: str, cwd: Path, new_group: bool = False) -> subprocess.Popen[str]:
    """Start ``lamella ARGS`` with pipes for stdout and stderr and SIGINT at its default."""
    return subprocess.Popen([LAMELLA, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
                            start_new_session=new_group)
