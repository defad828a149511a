"""Building Lamella's images on a Docker engine, with no registry and no network in a build.

Three layers of images, each built from the one before:

- the **base** (``lamella/python-base:bookworm``): a Debian root filesystem made by
  ``debootstrap`` and imported with ``docker import``; no registry is involved, which is also
  how an air-gapped microscope PC gets one (from a bundle, see ``_bundle``);
- the **runtime** (``lamella/runtime:VERSION``): the base plus the pinned scientific stack in
  one layer (installed in a build stage and copied, so the wheels themselves add nothing) and
  the Lamella SDK wheel in a small layer above it; every module image shares both;
- an **extras** image (``lamella/runtime-extras:DIGEST``), only for modules with requirements
  beyond the stack: the runtime plus those packages pinned to the versions installed next to
  this Lamella (torch's CPU build, not PyPI's newest CUDA one), in one layer. Modules needing
  the same packages share it: unet-train and unet-predict carry torch once, not twice;
- a **module** image (``lamella/threshold:1.1.0``): the runtime (or its extras image) plus
  the module's code. A module folder without a Dockerfile gets the standard one below; a
  folder with its own Dockerfile is built from it, given the build argument ``RUNTIME`` and
  a ``wheels/`` folder with its extra requirements.

Every build runs with ``network_mode="none"``: wheels come from the host's wheelhouse.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from lamella.core.catalog import folder_digest, sdk_digest
from lamella.core.errors import LamellaError
from lamella.core.manifest import Manifest
from lamella.runner.containers import _names as names
from lamella.runner.containers._apeer import apeer_dockerfile, apeer_entry
from lamella.runner.containers._client import find_image
from lamella.runner.containers._wheelhouse import (
    build_lamella_wheel,
    fetch_wheels,
    host_pins,
    missing_requirements,
    stack_pins,
    wheelhouse_dir,
)

__all__ = ["BuildError", "Built", "build_base", "build_extras", "build_module", "build_runtime",
           "lamella_version", "module_dockerfile"]

_DEBIAN_SUITE = "bookworm"
_DEBIAN_PACKAGES = "python3,python3-venv,ca-certificates"
_SKIPPED = shutil.ignore_patterns("tests", "__pycache__", "*.pyc", ".*")
_LOG_LINES_SHOWN = 4

Say = Callable[[str], None]


class BuildError(LamellaError):
    """An image could not be built."""


@dataclass(frozen=True)
class Built:
    """An image that was built: its tag, id (digest) and size, and how long it took."""

    tag: str
    image_id: str
    size_bytes: int
    seconds: float


def lamella_version() -> str:
    """The installed Lamella's version (the runtime image's tag)."""
    return installed_version("lamella")


# ----- base ---------------------------------------------------------------------------------
def build_base(client: Any, *, mirror: str = "http://deb.debian.org/debian", say: Say = print) -> Built:
    """Make the base image from a ``debootstrap`` root filesystem (needs root and a Debian mirror)."""
    if shutil.which("debootstrap") is None:
        raise BuildError("the base image is made with debootstrap, which is not installed: "
                         "apt-get install debootstrap (or import a bundle: lamella images import)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lamella-base-") as temp:
        rootfs, archive = Path(temp) / "rootfs", Path(temp) / "rootfs.tar"
        say(f"debootstrap {_DEBIAN_SUITE} (minbase, {_DEBIAN_PACKAGES}) from {mirror}")
        done = subprocess.run(["debootstrap", "--variant=minbase", f"--include={_DEBIAN_PACKAGES}",
                               _DEBIAN_SUITE, str(rootfs), mirror], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
            raise BuildError(f"debootstrap failed ({tail}); it needs root and a reachable Debian "
                             "mirror (give another with --mirror)")
        _trim_rootfs(rootfs)
        with tarfile.open(archive, "w") as tar:
            tar.add(rootfs, arcname=".")
        repository, tag = names.BASE_IMAGE.split(":")
        client.api.import_image_from_file(str(archive), repository=repository, tag=tag, changes=[
            f"LABEL {names.LABEL_KIND}=base", "ENV LANG=C.UTF-8", 'CMD ["/bin/bash"]'])
    return _built(client, names.BASE_IMAGE, started)


def _trim_rootfs(rootfs: Path) -> None:
    """Drop downloaded packages and package lists: nothing in a container installs with apt."""
    for folder in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (rootfs / folder).glob("*"):
            if path.is_file():
                path.unlink()


# ----- runtime ------------------------------------------------------------------------------
_RUNTIME_DOCKERFILE = """\
# The scientific stack in a build stage, copied as one layer: the wheels add no layer.
FROM {base} AS stack
LABEL org.lamella.kind=stage
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/lamella \\
 && /opt/lamella/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \\
      --find-links /tmp/wheels -r /tmp/wheels/stack.txt

FROM {base}
COPY --from=stack /opt/lamella /opt/lamella
COPY sdk/ /tmp/sdk/
RUN /opt/lamella/bin/pip install --no-index --no-cache-dir --no-deps --disable-pip-version-check \\
      /tmp/sdk/*.whl && rm -rf /tmp/sdk
ENV PATH=/opt/lamella/bin:/usr/local/bin:/usr/bin:/bin HOME=/tmp MPLCONFIGDIR=/tmp/matplotlib \\
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
"""


def build_runtime(client: Any, *, force: bool = False, say: Say = print) -> Built | None:
    """Build the runtime image from the base, the wheelhouse and the SDK wheel of this checkout.

    Returns None when the image is already built from this SDK and stack (unless ``force``).
    """
    _require_image(client, names.BASE_IMAGE, "lamella images base")
    pins, wheels = stack_pins(), wheelhouse_dir()
    tag = names.runtime_image(lamella_version())
    current = {names.LABEL_SDK: sdk_digest(), names.LABEL_STACK: _stack_digest(pins)}
    if not force and _labelled(client, tag, current):
        return None
    say(f"wheels for {len(pins)} packages in {wheels}")
    fetch_wheels(pins, wheels)
    sdk_wheel = build_lamella_wheel(wheels / "sdk")
    with tempfile.TemporaryDirectory(prefix="lamella-runtime-") as temp:
        context = Path(temp)
        _link_wheels(wheels, context / "wheels")
        (context / "wheels" / "stack.txt").write_text("\n".join(pins) + "\n")
        (context / "sdk").mkdir()
        shutil.copy2(sdk_wheel, context / "sdk" / sdk_wheel.name)
        (context / "Dockerfile").write_text(_RUNTIME_DOCKERFILE.format(base=names.BASE_IMAGE))
        labels = {names.LABEL_KIND: "runtime", **current}
        built = _docker_build(client, context, tag, labels, say=say)
    # The build stage's image is only a step: once copied from, it would keep 870 MB.
    client.images.prune(filters={"dangling": True, "label": f"{names.LABEL_KIND}=stage"})
    return built


def _link_wheels(source: Path, target: Path) -> None:
    """The wheelhouse's wheels in a build context, hard-linked where the filesystem allows."""
    target.mkdir(parents=True)
    for wheel in source.glob("*.whl"):
        try:
            (target / wheel.name).hardlink_to(wheel)
        except OSError:
            shutil.copy2(wheel, target / wheel.name)


def _stack_digest(pins: list[str]) -> str:
    return hashlib.sha256("\n".join(pins).encode()).hexdigest()[:16]


# ----- modules ------------------------------------------------------------------------------
def module_dockerfile(extras: list[str]) -> str:
    """The standard Dockerfile of a Python module: runtime, extra wheels if any, the code."""
    lines = [f"ARG RUNTIME={names.runtime_image(lamella_version())}", "FROM ${RUNTIME}"]
    if extras:
        lines += ["COPY wheels/ /tmp/wheels/",
                  "RUN /opt/lamella/bin/pip install --no-index --no-cache-dir --disable-pip-version-check "
                  "--find-links /tmp/wheels -r /tmp/wheels/requirements.txt && rm -rf /tmp/wheels"]
    lines += ["COPY module/ /module/",
              # faulthandler: a module that crashes Python leaves its traceback in the log.
              'ENTRYPOINT ["/opt/lamella/bin/python", "-u", "-X", "faulthandler", "-m", '
              '"lamella.core.sdk", "/module"]',
              'CMD ["/task"]']
    return "\n".join(lines) + "\n"


def build_module(client: Any, manifest: Manifest, folder: Path, *, force: bool = False,
                 say: Say = print) -> Built | None:
    """Build a Python or APEER module's image from its folder (see the module docstring).

    Returns None when the image is already built from this code and SDK (unless ``force``).
    """
    runtime = names.runtime_image(lamella_version())
    _require_image(client, runtime, "lamella images runtime")
    stack = stack_pins()
    extras = host_pins(missing_requirements(folder / "requirements.txt", stack), stack)
    own_dockerfile = manifest.kind != "apeer" and (folder / "Dockerfile").is_file()
    below = runtime if own_dockerfile or not extras else build_extras(client, extras, say=say)
    current = {names.LABEL_MODULE_DIGEST: folder_digest(folder), names.LABEL_SDK: sdk_digest(),
               names.LABEL_RECIPE: _recipe_digest(), names.LABEL_FROM: _image_id(client, below)}
    if not force and _labelled(client, names.module_image(manifest), current):
        return None
    with tempfile.TemporaryDirectory(prefix="lamella-module-") as temp:
        context = Path(temp)
        shutil.copytree(folder, context / "module", ignore=_SKIPPED)
        (context / "wheels").mkdir()
        if own_dockerfile and extras:  # its own Dockerfile installs them, from wheels/
            _wheels_into_context(extras, context, manifest.ref, say)
        dockerfile = _dockerfile(manifest, folder, context, extras if own_dockerfile else [], below)
        (context / "Dockerfile").write_text(dockerfile)
        labels = {names.LABEL_KIND: "module", names.LABEL_MODULE: manifest.ref, **current}
        return _docker_build(client, context, names.module_image(manifest), labels,
                             buildargs={"RUNTIME": below}, say=say)


_EXTRAS_DOCKERFILE = """\
# Installed under a prefix in a build stage and merged into the venv: the wheels add no layer.
ARG RUNTIME
FROM ${RUNTIME} AS extras
LABEL org.lamella.kind=stage
COPY wheels/ /tmp/wheels/
RUN /opt/lamella/bin/pip install --no-index --no-cache-dir --no-deps --disable-pip-version-check \\
      --prefix /tmp/extras --find-links /tmp/wheels -r /tmp/wheels/requirements.txt

FROM ${RUNTIME}
COPY --from=extras /tmp/extras/ /opt/lamella/
"""


def build_extras(client: Any, extras: list[str], *, say: Say = print) -> str:
    """The runtime plus ``extras`` (pinned requirements) as one shared image; return its tag.

    Built once per set of pins and runtime: every module needing the same packages is built
    on it. ``--no-deps``: the pins are already the whole closure.
    """
    runtime = names.runtime_image(lamella_version())
    tag = names.extras_image(hashlib.sha256("\n".join(sorted(extras)).encode()).hexdigest()[:16])
    current = {names.LABEL_FROM: _image_id(client, runtime)}
    if _labelled(client, tag, current):
        return tag
    with tempfile.TemporaryDirectory(prefix="lamella-extras-") as temp:
        context = Path(temp)
        (context / "wheels").mkdir()
        _wheels_into_context(extras, context, tag, say)
        (context / "Dockerfile").write_text(_EXTRAS_DOCKERFILE)
        labels = {names.LABEL_KIND: "extras", **current}
        _docker_build(client, context, tag, labels, buildargs={"RUNTIME": runtime}, say=say)
    client.images.prune(filters={"dangling": True, "label": f"{names.LABEL_KIND}=stage"})
    return tag


def _wheels_into_context(requirements: list[str], context: Path, what: str, say: Say) -> None:
    """Fetch ``requirements`` into the wheelhouse and a build context's ``wheels/`` folder."""
    say(f"{what}: wheels for {', '.join(requirements)}")
    fetch_wheels(requirements, wheelhouse_dir())
    fetch_wheels(requirements, context / "wheels")
    (context / "wheels" / "requirements.txt").write_text("\n".join(requirements) + "\n")


def _image_id(client: Any, tag: str) -> str:
    image = find_image(client, tag)
    return image.id if image is not None else ""


def _dockerfile(manifest: Manifest, folder: Path, context: Path, extras: list[str], runtime: str) -> str:
    """The Dockerfile a module is built from: the standard one, its own, or the APEER translation."""
    if manifest.kind == "apeer":
        # Its own Dockerfile needs a registry and PyPI: only its entry and folder are kept.
        return apeer_dockerfile(apeer_entry(folder), extras, runtime)
    own = folder / "Dockerfile"
    if own.is_file():
        (context / "module" / "Dockerfile").unlink()
        return own.read_text(encoding="utf-8")
    return module_dockerfile(extras)


def _recipe_digest() -> str:
    """Digest of the standard module Dockerfile: a change to it makes old images out of date."""
    return hashlib.sha256(module_dockerfile(["x"]).encode()).hexdigest()[:16]


# ----- shared -------------------------------------------------------------------------------
def _labelled(client: Any, tag: str, labels: dict[str, str]) -> bool:
    """True if image ``tag`` exists and carries every one of ``labels``."""
    image = find_image(client, tag)
    have = (image.labels or {}) if image is not None else None
    return have is not None and all(have.get(key) == value for key, value in labels.items())


def _require_image(client: Any, tag: str, command: str) -> None:
    if find_image(client, tag) is None:
        raise BuildError(f"image {tag} is not on this Docker engine; build it first: {command}")


def _docker_build(client: Any, context: Path, tag: str, labels: dict[str, str], *,
                  buildargs: dict[str, str] | None = None, say: Say) -> Built:
    import docker.errors

    started = time.monotonic()
    say(f"building {tag}")
    before = find_image(client, tag)
    replaced = before.id if before is not None else None
    try:
        client.images.build(path=str(context), tag=tag, labels=labels, buildargs=buildargs or {},
                            network_mode="none", rm=True, forcerm=True, pull=False)
    except docker.errors.BuildError as exc:
        raise BuildError(f"building {tag} failed: {_build_tail(exc)}") from None
    except docker.errors.APIError as exc:
        raise BuildError(f"building {tag} failed: {exc.explanation or exc}") from None
    built = _built(client, tag, started)
    if replaced and replaced != built.image_id:
        # The image this one replaces keeps no tag: left, it would only take space.
        with contextlib.suppress(docker.errors.APIError):
            client.images.remove(replaced, noprune=False)
    return built



def _build_tail(exc: Any) -> str:
    lines = [str(entry.get("stream", "")).strip() for entry in getattr(exc, "build_log", []) or []]
    lines = [line for line in lines if line]
    return " | ".join([*lines[-_LOG_LINES_SHOWN:], str(exc.msg)])


def _built(client: Any, tag: str, started: float) -> Built:
    image = client.images.get(tag)
    return Built(tag, image.id, int(image.attrs.get("Size", 0)), time.monotonic() - started)
