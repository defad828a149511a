"""Which image a module runs from on an engine, and whether that image is fit to run.

An image is fit when it exists and was built from the module's current code and this
Lamella's SDK (its ``org.lamella.module-digest`` and ``org.lamella.sdk`` labels); otherwise
the run is refused before anything starts, with the command that builds it. A ``container``
module (no Python folder) is taken as its image is. Answers are kept per backend, so a
batch of thousands asks the engine once per module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamella.core.catalog import sdk_digest
from lamella.runner.backends.base import ModuleIdentity
from lamella.runner.containers import _names as names
from lamella.runner.containers._client import find_image

__all__ = ["ImageCheck", "ModuleImage", "build_command"]


@dataclass(frozen=True)
class ModuleImage:
    """A module's image on one engine: its tag, id and the pinned reference for the record."""

    tag: str
    id: str

    @property
    def reference(self) -> str:
        """``tag@sha256:...``: what the run record pins."""
        return f"{self.tag}@{self.id}"


def build_command(module: ModuleIdentity) -> str:
    """The command that builds ``module``'s image."""
    return f"lamella module build {module.manifest.id}"


class ImageCheck:
    """Looks up module images on one engine, once per module."""

    def __init__(self, client: Any, host: str) -> None:
        self.client, self.host = client, host
        self._images: dict[str, ModuleImage | str] = {}

    def problem(self, module: ModuleIdentity) -> str | None:
        """Why ``module`` cannot run from an image here (one line), or None."""
        found = self._lookup(module)
        return found if isinstance(found, str) else None

    def image_for(self, module: ModuleIdentity) -> ModuleImage:
        """The image ``module`` runs from (only after :meth:`problem` said None)."""
        found = self._lookup(module)
        assert isinstance(found, ModuleImage), found
        return found

    def forget(self, module: ModuleIdentity) -> None:
        """Look ``module``'s image up again next time (it was just built)."""
        self._images.pop(f"{module.ref}:{module.digest}", None)

    def _lookup(self, module: ModuleIdentity) -> ModuleImage | str:
        key = f"{module.ref}:{module.digest}"
        if key not in self._images:
            self._images[key] = self._check(module)
        return self._images[key]

    def _check(self, module: ModuleIdentity) -> ModuleImage | str:
        tag = names.module_image(module.manifest)
        image = find_image(self.client, tag)
        if image is None:
            how = build_command(module) if module.manifest.kind != "container" else f"docker pull {tag}"
            return f"image {tag} of module {module.ref} is not on Docker host {self.host}; build it: {how}"
        if module.manifest.kind == "container":
            return ModuleImage(tag, image.id)
        labels = image.labels or {}
        if labels.get(names.LABEL_MODULE_DIGEST) != module.digest:
            return (f"image {tag} on Docker host {self.host} was built from other code than "
                    f"{module.folder}; rebuild it: {build_command(module)}")
        if module.manifest.kind == "python" and labels.get(names.LABEL_SDK) != sdk_digest():
            return (f"image {tag} on Docker host {self.host} holds another version of the Lamella "
                    f"SDK; rebuild the runtime and the module: lamella images runtime && "
                    f"{build_command(module)}")
        return ModuleImage(tag, image.id)
