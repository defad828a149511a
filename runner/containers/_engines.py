"""The Docker engines of one backend: connected, cleaned, checked for images, and told apart.

An engine either sees this machine's files (task folders are bind-mounted) or does not (a
remote host: inputs are shipped into its content store and outputs fetched back, see
:mod:`._remote`). Images reach a remote engine without a registry: when it lacks a
module's image, or holds one built from other code, and this machine's engine has the
right one, it is sent with ``docker save``/``load``, or through the host's registry when
one is configured (once per backend and image).
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass, field
from typing import Any

from lamella.core.errors import LamellaError
from lamella.runner.backends.base import ModuleIdentity
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import lamella_version
from lamella.runner.containers._client import DEFAULT_HOST, DockerHost, EngineUnreachable, connect
from lamella.runner.containers._hosts import registry_for
from lamella.runner.containers._images import ImageCheck
from lamella.runner.containers._remote import HostFiles, RemoteFilesError, ensure_image
from lamella.runner.containers._stale import remove_stale_containers

__all__ = ["Engine", "connect_engines", "this_machines_engine"]


@dataclass
class Engine:
    """One connected engine of a backend."""

    host: DockerHost
    client: Any
    label: str  # the name events and the record give the host
    images: ImageCheck
    files: HostFiles | None = None  # None: the engine sees this machine's files
    alive: bool = True
    registry: str | None = None  # HOST:PORT images come through, or None: save/load
    _sent: set[str] = field(default_factory=set)

    def image_problem(self, module: ModuleIdentity, source: Engine | None) -> str | None:
        """Why ``module`` has no fit image here, after sending this machine's if that helps."""
        problem = self.images.problem(module)
        if problem is None or source is None or source is self or source.images.problem(module):
            return problem
        tag = names.module_image(module.manifest)
        try:
            for image in (names.runtime_image(lamella_version()), tag):
                if image not in self._sent:
                    ensure_image(source.client, self.client, image, self.registry)
                    self._sent.add(image)
        except (RemoteFilesError, LamellaError) as exc:
            return f"{problem} (sending it from this machine failed: {exc})"
        self.images.forget(module)
        return self.images.problem(module)

    def answers(self) -> bool:
        """True if the engine still answers."""
        try:
            self.client.ping()
        except Exception:
            return False
        return True


def connect_engines(hosts: tuple[DockerHost, ...], *, registry: str | None = None) -> list[Engine]:
    """Connect to every host that answers (warning about the others); none answering raises.

    ``registry`` is where images reach a remote host through, unless its hosts file names one.
    """
    engines, failures = [], []
    for host in hosts:
        try:
            engines.append(_connect(host, registry))
        except EngineUnreachable as exc:
            failures.append(exc)
    if not engines:
        raise failures[0]
    for failure in failures:
        print(f"warning: {failure}; running on the other hosts", file=sys.stderr, flush=True)
    return engines


def this_machines_engine() -> Engine | None:
    """The engine of this machine, if one answers (it holds the images built here)."""
    try:
        return _connect(DockerHost())
    except EngineUnreachable:
        return None


def _connect(host: DockerHost, registry: str | None = None) -> Engine:
    client = connect(host)
    remove_stale_containers(client)
    # This machine's engine is named as the machine is; others by their given name or address.
    label = host.name or (socket.gethostname() if host.url == DEFAULT_HOST else host.url)
    files = None if host.sees_local_files else HostFiles(client, host=label)
    return Engine(host, client, label, ImageCheck(client, label), files,
                  registry=registry_for(host, registry))
