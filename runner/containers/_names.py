"""Image tags and labels: how Lamella names what it builds and finds it again.

A module's image is ``manifest.image`` when the manifest sets one, else its id and version
(``lamella/threshold`` 1.1.0 -> ``lamella/threshold:1.1.0``). Images and containers carry
``org.lamella.*`` labels: an image says which module code and SDK it was built from (so a
stale image is caught before a run, not after it), a container says which run started it
(so the next start can remove containers a killed runner left behind).
"""

from __future__ import annotations

from lamella.core.manifest import Manifest

__all__ = ["BASE_IMAGE", "EXTRAS_REPOSITORY", "LABEL_FROM", "LABEL_KIND", "LABEL_MODULE",
           "LABEL_MODULE_DIGEST", "LABEL_RECIPE", "LABEL_RUN", "LABEL_RUNNER", "LABEL_SDK", "LABEL_STACK",
           "RUNTIME_REPOSITORY",
           "extras_image", "module_image", "runtime_image"]

BASE_IMAGE = "lamella/python-base:bookworm"
RUNTIME_REPOSITORY = "lamella/runtime"
EXTRAS_REPOSITORY = "lamella/runtime-extras"

LABEL_KIND = "org.lamella.kind"  # base | runtime | extras | module
LABEL_FROM = "org.lamella.from"  # the image an extras or module image was built on
LABEL_MODULE = "org.lamella.module"  # id@version
LABEL_MODULE_DIGEST = "org.lamella.module-digest"  # the module folder's content digest
LABEL_SDK = "org.lamella.sdk"  # the SDK's content digest
LABEL_STACK = "org.lamella.stack"  # digest of the pinned scientific stack
LABEL_RECIPE = "org.lamella.recipe"  # digest of the standard module Dockerfile
LABEL_RUN = "org.lamella.run"  # the run (backend instance) that started a container
LABEL_RUNNER = "org.lamella.runner"  # host:pid:start-time of the process that started it


def module_image(manifest: Manifest) -> str:
    """The image tag a module runs from."""
    return manifest.image or f"{manifest.id}:{manifest.version}"


def runtime_image(version: str) -> str:
    """The runtime image tag for a Lamella version."""
    return f"{RUNTIME_REPOSITORY}:{version}"


def extras_image(digest: str) -> str:
    """The tag of the runtime plus one set of pinned extra packages (``digest`` of the pins)."""
    return f"{EXTRAS_REPOSITORY}:{digest}"
