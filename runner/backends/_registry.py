"""Backends by name: ``--backend NAME`` and ``Analysis.run(backend=NAME)`` pick one here.

A backend is registered with a factory taking :class:`BackendOptions`; later backends
(docker, dask) register themselves the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lamella.core._suggest import did_you_mean
from lamella.core.errors import LamellaError
from lamella.runner.backends.base import Backend
from lamella.runner.backends.isolated import IsolatedBackend
from lamella.runner.backends.local import LocalBackend

__all__ = ["DEFAULT_BACKEND", "BackendError", "BackendOptions", "backend_names", "create_backend",
           "register_backend"]

DEFAULT_BACKEND = "local"


@dataclass(frozen=True)
class BackendOptions:
    """What every backend factory is given.

    ``scratch`` is a folder on the cache's filesystem that the run (or session) owns;
    ``gpu_ids`` are the GPUs the user gave (None: the backend's own default); ``hosts``
    the Docker hosts to run on (none: this machine's engine); ``memory_gb`` a container
    memory limit for every node instead of the modules' own ``resources.memory_gb``;
    ``registry`` the registry images reach remote hosts through (None: a hosts file's, else
    ``$LAMELLA_REGISTRY``, else ``docker save``/``load``).
    """

    jobs: int
    scratch: Path
    gpu_ids: tuple[str, ...] | None = None
    hosts: tuple[str, ...] = ()
    memory_gb: float | None = None
    registry: str | None = None


class BackendError(LamellaError):
    """An unknown backend name, or options a backend cannot take."""


BackendFactory = Callable[[BackendOptions], Backend]

def _docker(options: BackendOptions) -> Backend:
    # Imported here: the Docker SDK is an optional extra, needed only by this backend.
    from lamella.runner.backends.docker import DockerBackend
    from lamella.runner.containers._hosts import docker_hosts

    hosts = docker_hosts(options.hosts)
    return DockerBackend(options.jobs, scratch=options.scratch, hosts=hosts, gpu_ids=options.gpu_ids,
                         memory_gb=options.memory_gb, registry=options.registry)


_FACTORIES: dict[str, BackendFactory] = {
    "local": lambda o: LocalBackend(o.jobs, scratch=o.scratch, gpu_ids=o.gpu_ids),
    "isolated": lambda o: IsolatedBackend(o.jobs, gpu_ids=o.gpu_ids or ()),
    "docker": _docker,
}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make a backend available by ``name``."""
    _FACTORIES[name] = factory


def backend_names() -> list[str]:
    """Names of the available backends."""
    return sorted(_FACTORIES)


def create_backend(name: str, options: BackendOptions) -> Backend:
    """A new backend; raises :class:`BackendError` for a name no backend has."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise BackendError(f"backend '{name}': no such backend{did_you_mean(name, _FACTORIES)} "
                           f"(backends: {', '.join(backend_names())})")
    return factory(options)
