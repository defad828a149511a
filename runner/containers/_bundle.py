"""Air-gapped installs: a bundle made on a connected machine, imported on one with no network.

``lamella images export BUNDLE.tar`` writes one tar file holding ``lamella-bundle.json``
(what is inside: Lamella version, images with their ids, the pinned stack), ``images.tar``
(every Lamella image, saved together so shared layers are stored once) and ``wheels/``
(the wheelhouse: the stack and the Lamella SDK wheel, for building new module images
offline). ``lamella images import BUNDLE.tar`` loads the images into an engine and puts the
wheels into this machine's wheelhouse; nothing reaches a network. The bundle is written
under a temporary name and renamed when complete, so a cut export leaves no bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamella.core.errors import LamellaError
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import lamella_version
from lamella.runner.containers._client import find_image
from lamella.runner.containers._remote import add_bytes
from lamella.runner.containers._wheelhouse import stack_pins, wheelhouse_dir

__all__ = ["BundleError", "BundleSummary", "export_bundle", "import_bundle"]

BUNDLE_FILE = "lamella-bundle.json"
_IMAGES = "images.tar"
_CHUNK = 1 << 20
_FORMAT = 1


class BundleError(LamellaError):
    """A bundle could not be written or read."""


@dataclass(frozen=True)
class BundleSummary:
    """What a bundle holds: image tags, wheel count and its size on disk."""

    images: list[str]
    wheels: int
    size_bytes: int


def export_bundle(client: Any, target: Path) -> BundleSummary:
    """Write every Lamella image on ``client`` and the wheelhouse into ``target``."""
    images = client.images.list(filters={"label": names.LABEL_KIND})
    tags = sorted(tag for image in images for tag in image.tags)
    if names.BASE_IMAGE not in tags or names.runtime_image(lamella_version()) not in tags:
        raise BundleError("the engine lacks the base or runtime image: build them first "
                          "(lamella images base, lamella module build --all)")
    wheels = sorted(wheelhouse_dir().glob("*.whl")) + sorted((wheelhouse_dir() / "sdk").glob("*.whl"))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(prefix="lamella-bundle-", dir=target.parent) as temp:
        saved = Path(temp) / _IMAGES
        _save_images(client, tags, saved)
        contents = {"format": _FORMAT, "lamella": lamella_version(), "stack": stack_pins(),
                    "images": {tag: client.images.get(tag).id for tag in tags},
                    "wheels": [w.relative_to(wheelhouse_dir()).as_posix() for w in wheels]}
        with tarfile.open(partial, "w") as bundle:
            add_bytes(bundle, BUNDLE_FILE, json.dumps(contents, indent=1).encode())
            bundle.add(saved, arcname=_IMAGES)
            for wheel in wheels:
                bundle.add(wheel, arcname=f"wheels/{wheel.relative_to(wheelhouse_dir()).as_posix()}")
    os.replace(partial, target)
    return BundleSummary(tags, len(wheels), target.stat().st_size)


def _save_images(client: Any, tags: list[str], into: Path) -> None:
    """``docker save`` of all ``tags`` at once (the SDK saves one image per call)."""
    response = client.api._get(client.api._url("/images/get"), params={"names": tags}, stream=True)
    client.api._raise_for_status(response)
    with into.open("wb") as out:
        for chunk in response.iter_content(_CHUNK):
            out.write(chunk)


def import_bundle(client: Any, source: Path) -> BundleSummary:
    """Load a bundle's images into ``client``'s engine and its wheels into the wheelhouse."""
    try:
        bundle = tarfile.open(source)  # noqa: SIM115 (closed by the with below; opened apart for its error)
    except (OSError, tarfile.TarError) as exc:
        raise BundleError(f"{source}: not a Lamella bundle ({exc}); make one with lamella images "
                          "export on a connected machine") from None
    with bundle:
        contents = _contents(bundle, source)
        images = bundle.extractfile(_IMAGES)
        if images is None:
            raise BundleError(f"{source}: holds no {_IMAGES}; export the bundle again")
        client.images.load(images)
        count = _import_wheels(bundle, contents)
    missing = [tag for tag in contents["images"] if find_image(client, tag) is None]
    if missing:
        raise BundleError(f"{source}: the engine did not load {', '.join(missing)}")
    return BundleSummary(sorted(contents["images"]), count, source.stat().st_size)


def _contents(bundle: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        member = bundle.extractfile(BUNDLE_FILE)
        contents = json.loads(member.read()) if member else None
    except (KeyError, json.JSONDecodeError):
        contents = None
    if not isinstance(contents, dict) or contents.get("format") != _FORMAT:
        raise BundleError(f"{source}: not a Lamella bundle (no readable {BUNDLE_FILE}); make one with "
                          "lamella images export")
    if contents.get("lamella") != lamella_version():
        raise BundleError(f"{source}: made for Lamella {contents.get('lamella')}, and this is "
                          f"{lamella_version()}; export a bundle from the same version")
    return contents


def _import_wheels(bundle: tarfile.TarFile, contents: dict[str, Any]) -> int:
    home = wheelhouse_dir()
    count = 0
    for relative in contents.get("wheels", []):
        path = Path(relative)
        if path.is_absolute() or ".." in path.parts or not path.name.endswith(".whl"):
            raise BundleError(f"bundle lists an unsafe wheel path '{relative}'")
        member = bundle.extractfile(f"wheels/{relative}")
        if member is None:
            continue
        target = home / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            shutil.copyfileobj(member, out, _CHUNK)
        os.replace(out.name, target)
        count += 1
    return count

