"""Run items: one set of workflow input files. A batch is many items of one workflow."""

from __future__ import annotations

import errno
import glob
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core._suggest import did_you_mean
from lamella.core.errors import InputFileError
from lamella.core.workflow import Workflow
from lamella.runner._arguments import ArgumentError

__all__ = ["RunItem", "batch_items", "single_item"]


@dataclass(frozen=True)
class RunItem:
    """Workflow input files for one run of the graph; ``name`` labels its outputs.

    ``params`` (node -> parameter -> value) overrides the workflow's values for this item
    only: a sweep point, or values given for the whole run.
    """

    name: str
    inputs: dict[str, Path]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)


def single_item(workflow: Workflow, given: Mapping[str, str | Path]) -> RunItem:
    """The item for a one-off run: given files (relative to the cwd) over workflow defaults."""
    return RunItem(workflow.name, _bind_inputs(workflow, given))


def batch_items(workflow: Workflow, pattern: str, given: Mapping[str, str | Path]) -> list[RunItem]:
    """One item per file matching ``pattern`` (``GLOB`` or ``NAME=GLOB``), for one input."""
    input_name, glob_text = _batch_target(workflow, pattern)
    if input_name in given:
        raise ArgumentError("batch", f"input '{input_name}' is given twice, as a batch and as one "
                            "file; give it once (a batch runs the workflow once per matching file)",
                            value=pattern)
    found = [Path(p) for p in glob.glob(glob_text, recursive=True)]
    matches = sorted(p for p in found if p.is_file())
    if not matches:
        only_folders = " (only folders match; end the pattern with e.g. /*.tif)" if found else ""
        raise ArgumentError("batch", f"no files match{only_folders} (check the pattern; on a "
                            "command line, quote it)", value=glob_text)
    names = _unique_names([m.stem.removesuffix(".ome") for m in matches])
    return [RunItem(name, _bind_inputs(workflow, {**given, input_name: match}))
            for name, match in zip(names, matches, strict=True)]


def _batch_target(workflow: Workflow, pattern: str) -> tuple[str, str]:
    name, sep, glob_text = pattern.partition("=")
    if sep and name in workflow.inputs:
        return name, glob_text
    if sep and name.isidentifier():  # NAME=GLOB with a NAME the workflow lacks
        known = ", ".join(workflow.inputs) or "none"
        raise ArgumentError("batch", f"the workflow has no input '{name}'"
                            f"{did_you_mean(name, workflow.inputs)} (inputs: {known})", value=pattern)
    if len(workflow.inputs) == 1:
        return next(iter(workflow.inputs)), pattern
    known = ", ".join(workflow.inputs) or "none"
    raise ArgumentError("batch", "say which workflow input the files are for, as NAME=GLOB, e.g. "
                        f"'image=data/*.tif' (inputs: {known})", value=pattern)


def _bind_inputs(workflow: Workflow, given: Mapping[str, str | Path]) -> dict[str, Path]:
    unknown = [n for n in given if n not in workflow.inputs]
    if unknown:
        known = ", ".join(workflow.inputs) or "none"
        raise ArgumentError("inputs", f"the workflow has no input '{unknown[0]}'"
                            f"{did_you_mean(unknown[0], workflow.inputs)} (inputs: {known})",
                            key=unknown[0])
    bound = {}
    for name, spec in workflow.inputs.items():
        if name in given:
            path, origin = _absolute(Path(given[name]).expanduser()), ""
        elif spec.default is not None:
            path = workflow.resolve_path(spec.default)
            origin = " (the workflow's default; give another file for this input)"
        else:
            raise ArgumentError("inputs", "no file given, and the workflow has no default for "
                                "this input", key=name)
        _check_regular_file(name, path, origin or " (check the path)")
        bound[name] = path
    return bound


def _absolute(path: Path) -> Path:
    """``path`` with links resolved; as given (made absolute) when they loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # a symbolic link loop (RuntimeError up to Python 3.12)
        return Path(os.path.abspath(path))


_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"),
            (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _check_regular_file(name: str, path: Path, origin: str) -> None:
    """Refuse, in one line, an input that is not a regular file this process can read.

    Special files are refused from ``stat`` alone: opening a FIFO would block, and reading
    a device such as /dev/zero would never end.
    """
    where = f"input '{name}': {path}"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputFileError(f"{where}: file not found{origin}") from None
    except OSError as exc:
        raise InputFileError(f"{where}: {_stat_problem(exc)}") from None
    if stat.S_ISDIR(mode):
        raise InputFileError(f"{where} is a folder; give one file, or run on every image in it as "
                             f"a batch of '{path}/*.tif'")
    kind = next((what for test, what in _SPECIAL if test(mode)), None)
    if kind is not None:
        todo = "save the image to a file and give that" if "pipe" in kind else "give an image file"
        raise InputFileError(f"{where} is {kind}, not a file; {todo}")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{where}: cannot be read (permission denied); make it readable "
                             "(chmod u+r) or give a copy you can read")


def _stat_problem(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return ("a symbolic link loop (the link leads back to itself); point it at the image "
                "file, or give the file's own path")
    if exc.errno == errno.EACCES:
        return "cannot be reached (permission denied on a folder in its path); give a file you can read"
    return f"cannot be read ({exc.strerror}); check the file"


def _unique_names(stems: list[str]) -> list[str]:
    """Stems made unique with a ``-2``, ``-3``... suffix that no other file already uses."""
    used: set[str] = set()
    names = []
    for stem in stems:
        name, number = stem, 1
        while name in used or (name != stem and name in stems):
            number += 1
            name = f"{stem}-{number}"
        used.add(name)
        names.append(name)
    return names
