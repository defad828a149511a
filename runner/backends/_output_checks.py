"""Checks on what a finished module listed in ``outputs.json``, before anything is stored.

The SDK already refuses bad output names, but a module that writes ``outputs.json`` itself
(a container entry without the SDK) could list any path: the runner would then hash, store
and make read-only a file outside the task folder. :func:`listing_problem` refuses such a
listing using ``lstat`` only, so nothing outside ``outputs/`` is opened, followed or changed.
:func:`content_problem` then checks each file against its port type.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lamella.core.sdk._task import output_name_problem, shown

__all__ = ["listing_problem"]

_PLAIN = ("; a module writes each output as a plain file directly in outputs/ (the SDK's "
          "task.save_* do)")


def listing_problem(outputs_dir: Path, written: dict[str, list[str]],
                    port_types: dict[str, str]) -> str:
    """Why the listing ``written`` (port -> file names) cannot be taken, or ``''``."""
    for port in written:
        if port not in port_types:
            known = ", ".join(port_types) or "none"
            return (f"outputs.json lists output {shown(port)}, which the module does not declare "
                    f"(outputs: {known})")
    for port in port_types:
        if port not in written:
            return f"module finished without listing output '{port}' in outputs.json"
    for port, files in written.items():
        for name in files:
            problem = _file_problem(outputs_dir, port, name)
            if problem:
                return problem
    return ""


def _file_problem(outputs_dir: Path, port: str, name: str) -> str:
    problem = output_name_problem(name)
    if problem:
        return f"output '{port}': outputs.json lists {shown(name)}, which {problem}{_PLAIN}"
    try:
        mode = os.lstat(outputs_dir / name).st_mode
    except OSError:
        return f"output '{port}': file {shown(name)[1:-1]} listed but not written"
    if stat.S_ISLNK(mode):
        return f"output '{port}': {shown(name)[1:-1]} is a symbolic link, not a file{_PLAIN}"
    if not stat.S_ISREG(mode):
        return f"output '{port}': {shown(name)[1:-1]} is not a regular file{_PLAIN}"
    return ""
