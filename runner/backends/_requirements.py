"""A module's own requirements (its ``requirements.txt``), checked before it runs.

A module may need packages the runner's install lacks (an ML module needs torch); the user
then gets one line saying what to install instead of an ImportError traceback from a worker.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from lamella.core.manifest import Manifest

__all__ = ["REQUIREMENTS_FILE", "unmet_requirement"]

REQUIREMENTS_FILE = "requirements.txt"

# (file, mtime, size) of requirement files found satisfied. Only satisfied files are kept:
# after the user installs what was missing, the next run checks again and goes ahead.
_SATISFIED: set[tuple[str, int, int]] = set()


def unmet_requirement(module_dir: Path, manifest: Manifest) -> str | None:
    """The first requirement of the module the installed environment does not meet, as one line.

    Parameters
    ----------
    module_dir
        The module folder; its ``requirements.txt`` (PEP 508 lines; comments and blank lines
        are ignored) is read if there is one.
    manifest
        The module's manifest; its id names the module in the message.

    Returns
    -------
    str or None
        None if every requirement whose environment marker applies is installed in a matching
        version, else e.g. ``"module lamella/unet-train needs torch: pip install 'lamella[ml]'"``.
        A satisfied file is remembered by path, modification time and size, so calling this
        before every run costs one ``stat``.
    """
    path = Path(module_dir) / REQUIREMENTS_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key in _SATISFIED:
        return None
    problem = _first_unmet(path, manifest.id)
    if problem is None:
        _SATISFIED.add(key)
    return problem


def _first_unmet(path: Path, module_id: str) -> str | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = _without_comment(line)
        if not text:
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            return (f"{path} line {number}: '{text}' is not a requirement ({exc}); write one "
                    "package a line, e.g. 'scipy>=1.12'")
        problem = _unmet(requirement, module_id)
        if problem is not None:
            return problem
    return None


def _without_comment(line: str) -> str:
    # As pip reads it: '#' starts a comment at the line start or after whitespace.
    text = line.strip()
    if text.startswith("#"):
        return ""
    return text.split(" #", 1)[0].split("\t#", 1)[0].strip()


def _unmet(requirement: Requirement, module_id: str) -> str | None:
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        return None
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    wanted = f"{requirement.name}{extras}{requirement.specifier}"
    try:
        installed = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        extra = _lamella_extras().get(canonicalize_name(requirement.name))
        install = f"lamella[{extra}]" if extra else wanted
        return f"module {module_id} needs {wanted}: pip install '{install}'"
    if not requirement.specifier.contains(installed, prereleases=True):
        return f"module {module_id} needs {wanted} (installed: {installed}): pip install '{wanted}'"
    return None


@functools.cache
def _lamella_extras() -> dict[str, str]:
    """Package name -> the first of lamella's optional extras that installs it."""
    try:
        info = metadata.metadata("lamella")
    except metadata.PackageNotFoundError:  # a source tree that is not installed has no extras
        return {}
    extras: dict[str, str] = {}
    for text in info.get_all("Requires-Dist") or []:
        requirement = Requirement(text)
        extra = _extra_of(requirement, info.get_all("Provides-Extra") or [])
        if extra is not None:
            extras.setdefault(canonicalize_name(requirement.name), extra)
    return extras


def _extra_of(requirement: Requirement, extras: list[str]) -> str | None:
    """The extra whose marker (``extra == "ml"``) selects ``requirement``; None for core ones."""
    marker = requirement.marker
    if marker is None or marker.evaluate({"extra": ""}):
        return None
    return next((extra for extra in extras if marker.evaluate({"extra": extra})), None)
