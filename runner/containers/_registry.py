"""Images to a remote Docker host through a registry, when one is configured.

``docker save``/``load`` sends a module image whole (the runtime layers again, 9-13 s per
image here). Through a registry only the layers it lacks travel: this machine's engine
pushes ``REGISTRY/lamella/threshold:1.1.0`` and the remote engine pulls it and tags it
``lamella/threshold:1.1.0``. The image id (its configuration's digest) is the same on both
engines, which :func:`lamella.runner.containers._remote.ensure_image` checks.

The registry is named by ``--registry HOST:PORT`` (which sets ``$LAMELLA_REGISTRY``) or by
``registry:`` in a hosts file (for that file's hosts). A registry without TLS must be one
the engines allow as insecure; dockerd allows ``localhost`` and ``127.0.0.0/8`` by default.
"""

from __future__ import annotations

import contextlib
import os
import urllib.error
import urllib.request
from typing import Any

from lamella.core.errors import LamellaError

__all__ = ["ENV_REGISTRY", "RegistryError", "configured_registry", "send_through_registry"]

ENV_REGISTRY = "LAMELLA_REGISTRY"
_PROBE_TIMEOUT_S = 3.0


class RegistryError(LamellaError):
    """An image could not be moved through the registry."""


def configured_registry() -> str | None:
    """The registry ``--registry`` or ``$LAMELLA_REGISTRY`` names, or None."""
    return os.environ.get(ENV_REGISTRY, "").strip().rstrip("/") or None


def send_through_registry(source: Any, target: Any, tag: str, registry: str) -> tuple[int, int]:
    """Push ``tag`` from ``source`` to ``registry``, pull it on ``target``, tag it ``tag`` there.

    Returns the number of layers pushed and pulled: those the registry, or the target,
    did not hold already.

    Raises
    ------
    RegistryError
        The registry does not answer, or the push or the pull failed (the caller then
        falls back to ``docker save``/``load``).
    """
    _probe(registry)
    repository, version = _split(f"{registry}/{tag}")
    source.images.get(tag).tag(repository, version)
    try:
        pushed = _follow(source.api.push(repository, version, stream=True, decode=True), "push to",
                         registry, "Pushed")
        pulled = _follow(target.api.pull(repository, version, stream=True, decode=True), "pull from",
                         registry, "Pull complete")
        target.images.get(f"{repository}:{version}").tag(*_split(tag))
        return pushed, pulled
    finally:  # the registry's name for the image is only a means of transport
        for client in (source, target):
            _untag(client, f"{repository}:{version}")


def _probe(registry: str) -> None:
    """Raise unless the registry answers its API's base address (``/v2/``)."""
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/", timeout=_PROBE_TIMEOUT_S):
            return
    except urllib.error.HTTPError as exc:
        if exc.code == 401:  # it answers, and wants credentials: the engines have them
            return
        raise RegistryError(f"registry {registry} answered {exc.code} at /v2/") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RegistryError(f"registry {registry} is not reachable ({reason})") from None


def _follow(stream: Any, action: str, registry: str, moved: str) -> int:
    """Read a push or pull's progress to its end; raise on the error it reports.

    Returns how many layers ended with status ``moved`` (the others existed already).
    """
    import docker.errors

    layers: set[str] = set()
    try:
        for line in stream:
            if not isinstance(line, dict):
                continue
            if line.get("error"):
                raise RegistryError(f"{action} registry {registry} failed: {line['error']}")
            if line.get("status") == moved:
                layers.add(str(line.get("id")))
    except docker.errors.DockerException as exc:
        raise RegistryError(f"{action} registry {registry} failed: {exc}") from None
    return len(layers)


def _split(reference: str) -> tuple[str, str]:
    """``host:port/name:tag`` -> (``host:port/name``, ``tag``)."""
    repository, _, version = reference.rpartition(":")
    if not repository or "/" in version:
        return reference, "latest"
    return repository, version


def _untag(client: Any, reference: str) -> None:
    import docker.errors

    with contextlib.suppress(docker.errors.DockerException):
        client.images.remove(reference, noprune=True)
