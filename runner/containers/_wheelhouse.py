"""Wheels for container images, fetched on the host so that no build needs a network.

The runtime image holds the scientific stack the SDK and the built-in modules import,
pinned to the versions installed next to this Lamella (so a node computes the same
numbers in a container as in a local run), plus the Lamella SDK as a wheel built from the
checkout. ``pip download`` fetches the wheels for the base image's Python (CPython 3.11 on
x86-64 Linux, glibc 2.36) into one folder, which is also what an air-gapped bundle ships.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from lamella.core.errors import LamellaError

__all__ = ["STACK_ROOTS", "WheelhouseError", "build_lamella_wheel", "fetch_wheels", "host_pins",
           "missing_requirements", "stack_pins", "wheelhouse_dir"]

# What the SDK and the built-in modules import inside a container (not the runner's own
# dependencies such as rich).
STACK_ROOTS = ("numpy", "scipy", "scikit-image", "tifffile", "imagecodecs", "pandas", "matplotlib",
               "pillow", "pydantic", "pyyaml", "packaging")

# The base image's interpreter (Debian bookworm): wheels are chosen for it, not for the host.
_PYTHON_VERSION = "3.11"
_PLATFORMS = ["linux_x86_64", "manylinux2014_x86_64",
              *(f"manylinux_2_{minor}_x86_64" for minor in range(17, 37))]
_PIP_LINES_SHOWN = 3


class WheelhouseError(LamellaError):
    """Wheels could not be fetched or built."""


def wheelhouse_dir() -> Path:
    """Where fetched wheels are kept: ``$LAMELLA_WHEELHOUSE``, else beside the cache."""
    if os.environ.get("LAMELLA_WHEELHOUSE"):
        return Path(os.environ["LAMELLA_WHEELHOUSE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lamella-images" / "wheels"


def stack_pins(roots: Iterable[str] = STACK_ROOTS) -> list[str]:
    """``name==version`` for ``roots`` and everything they need, as installed here.

    Walking the installed distributions' requirements (markers evaluated for the image's
    Linux Python) pins the whole closure, not only the top level, so a rebuild months later
    installs the same stack.
    """
    environment = {str(k): str(v) for k, v in default_environment().items()}
    environment.update(sys_platform="linux", platform_system="Linux", os_name="posix",
                       python_version=_PYTHON_VERSION)
    pins: dict[str, str] = {}
    todo = [canonicalize_name(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise WheelhouseError(f"package '{name}' is not installed next to Lamella; install "
                                  "Lamella again (pip install -e .) so its stack is complete") from None
        pins[name] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({**environment, "extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def missing_requirements(requirements_file: Path, pins: list[str]) -> list[str]:
    """Lines of a module's ``requirements.txt`` that the pinned stack does not satisfy."""
    if not requirements_file.is_file():
        return []
    pinned = {canonicalize_name(p.split("==")[0]): p.split("==")[1] for p in pins}
    missing = []
    for number, raw in enumerate(requirements_file.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise WheelhouseError(f"{requirements_file}:{number}: '{line}' is not a requirement "
                                  f"({exc}); write one package per line, e.g. 'numpy>=1.26'") from None
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            missing.append(line)
    return missing


def host_pins(requirements: list[str], stack: list[str]) -> list[str]:
    """Pin a module's extra ``requirements`` to the versions installed here, with what they need.

    A requirement this Lamella's environment satisfies is pinned to the installed version and
    its whole closure (minus what the runtime's ``stack`` already holds), for the reason the
    stack is pinned: a container computes what a local run computes. It also keeps the CPU
    build of torch: ``torch>=2.3`` resolved on PyPI picks the newest torch with its CUDA
    libraries (9.5 GB of image per module here), while the installed ``2.13.0+cpu`` needs 0.9 GB.
    A requirement not installed here is kept as written and resolved when its wheels are fetched.
    """
    installed, unpinned = [], []
    for line in requirements:
        requirement = Requirement(line)
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            version = None
        if version is not None and requirement.specifier.contains(version, prereleases=True):
            installed.append(requirement.name)
        else:
            unpinned.append(line)
    in_stack = {canonicalize_name(pin.split("==")[0]) for pin in stack}
    closure = [pin for pin in (stack_pins(installed) if installed else [])
               if canonicalize_name(pin.split("==")[0]) not in in_stack]
    return closure + unpinned


def fetch_wheels(requirements: list[str], into: Path) -> None:
    """``pip download`` binary wheels of ``requirements`` for the image's Python into ``into``.

    Wheels already there are used, not fetched again; with no network, a folder that
    already holds them (an imported bundle) is enough.
    """
    if not requirements:
        return
    into.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--only-binary=:all:", "--python-version", _PYTHON_VERSION, "--implementation", "cp",
               "--find-links", str(into), "--find-links", str(wheelhouse_dir()), "--dest", str(into),
               *(arg for platform in _PLATFORMS for arg in ("--platform", platform)), *requirements]
    # The wheelhouse first, with no index: what is there already needs no network at all.
    if subprocess.run([*command, "--no-index"], capture_output=True, check=False).returncode == 0:
        return
    _pip(command, f"fetching wheels into {into}")


def build_lamella_wheel(into: Path) -> Path:
    """Build the Lamella wheel (the SDK a container runs) from this checkout into ``into``."""
    checkout = _checkout()
    into.mkdir(parents=True, exist_ok=True)
    for old in into.glob("lamella-*.whl"):
        old.unlink()
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--wheel-dir", str(into), str(checkout)]
    _pip(command, f"building the Lamella wheel from {checkout}")
    built = sorted(into.glob("lamella-*.whl"))
    if not built:
        raise WheelhouseError(f"pip built no Lamella wheel from {checkout}")
    return built[-1]


def _checkout() -> Path:
    """The source folder this Lamella runs from (an editable install of a clone)."""
    import lamella.core

    root = Path(lamella.core.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "core" / "sdk").is_dir():
        raise WheelhouseError("images are built from a Lamella checkout, and this Lamella is "
                              "installed from a wheel: clone the repository and run `pip install -e .`, "
                              "or import a bundle made on another machine (lamella images import)")
    return root


def _pip(command: list[str], doing: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines()
                 if line.strip() and not re.match(r"\s*WARNING: Location", line)]
        tail = " | ".join(lines[-_PIP_LINES_SHOWN:]) or f"exit status {done.returncode}"
        raise WheelhouseError(f"{doing} failed: {tail}")
