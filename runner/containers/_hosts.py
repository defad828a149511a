"""Docker hosts from the command line: addresses, or a hosts file listing several.

A hosts file (YAML) lists the engines a run may use, what each offers and how to reach it::

    hosts:
      - url: unix:///var/run/docker.sock    # this machine's engine
        slots: 2
      - url: tcp://gpu-box:2376              # TLS: ca.pem, cert.pem, key.pem in tls
        name: gpu-box
        tls: ~/.docker/gpu-box
        slots: 4
        gpus: [0, 1]
        memory_gb: 64
        cpus: 16
      - url: ssh://lab@cluster-7             # the ssh client, with your keys and config
    registry: 127.0.0.1:5000                 # optional: images reach these hosts through it

Every field but ``url`` is optional: ``slots`` defaults to the run's ``--jobs``, ``gpus`` to
none (``--gpus`` gives every host the same), ``memory_gb`` and ``cpus`` to what the engine
reports; a run gets ``cpus // slots`` threads. Give ``cpus`` where the host's CPUs are not all
the run's: a machine shared with other work, or two engines on one machine.
``shares_files`` (default: true for a ``unix://`` socket, false otherwise) says whether the
engine sees this machine's files, so task folders can be mounted instead of shipped.
``registry`` (``HOST:PORT``) names a registry this machine's engine pushes module images
to and the file's remote hosts pull them from (only missing layers travel); without it, or
with ``--registry`` / ``$LAMELLA_REGISTRY`` naming one for every host, see
:mod:`._registry`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lamella.core.errors import LamellaError
from lamella.runner.containers._client import DockerHost
from lamella.runner.containers._registry import configured_registry

__all__ = ["HostsFileError", "docker_hosts", "read_hosts_file", "registry_for"]

# The registry a hosts file names for its hosts (a DockerHost is a frozen dataclass and
# carries no registry of its own).
_registries: dict[DockerHost, str] = {}


class HostsFileError(LamellaError):
    """A hosts file that cannot be read."""


class _HostEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^(unix|tcp|ssh)://")
    name: str = ""
    tls: Path | None = None
    slots: int | None = Field(default=None, ge=1)
    gpus: list[str | int] | None = None
    memory_gb: float | None = Field(default=None, gt=0)
    cpus: int | None = Field(default=None, ge=1)
    shares_files: bool | None = None


class _HostsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hosts: list[_HostEntry] = Field(min_length=1)
    registry: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.\-\[\]:]+(:[0-9]+)?$")


def read_hosts_file(path: Path) -> tuple[DockerHost, ...]:
    """The hosts a hosts file lists (see the module docstring)."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = _HostsFile.model_validate(data)
    except OSError as exc:
        raise HostsFileError(f"{path}: cannot be read ({exc.strerror}); give a hosts file or a "
                             "Docker host address such as tcp://gpu-box:2376") from None
    except yaml.YAMLError as exc:
        raise HostsFileError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HostsFileError(f"{path}: {where}: {first['msg']} (a hosts file holds 'hosts:', a list "
                             "of entries with url and optional name, tls, slots, gpus, memory_gb, "
                             "cpus, shares_files; optional registry: HOST:PORT)") from None
    base = path.parent
    hosts = tuple(DockerHost(url=e.url, name=e.name, tls=_path(e.tls, base), slots=e.slots,
                             gpus=tuple(str(g) for g in e.gpus) if e.gpus is not None else None,
                             memory_gb=e.memory_gb, cpus=e.cpus,
                             shares_files=e.shares_files)
                  for e in parsed.hosts)
    for host in hosts:
        if parsed.registry:
            _registries[host] = parsed.registry
        else:
            _registries.pop(host, None)
    return hosts


def registry_for(host: DockerHost, given: str | None = None) -> str | None:
    """The registry images reach ``host`` through, or None.

    Its hosts file's, else ``given`` (a run's ``registry`` argument), else ``--registry``'s
    (``$LAMELLA_REGISTRY``).
    """
    return _registries.get(host) or given or configured_registry()


def _path(given: Path | None, base: Path) -> Path | None:
    if given is None:
        return None
    expanded = given.expanduser()
    return expanded if expanded.is_absolute() else base / expanded


def docker_hosts(given: tuple[str, ...]) -> tuple[DockerHost, ...]:
    """Hosts from ``--docker-host`` values: each an address or a hosts file."""
    hosts: list[DockerHost] = []
    for value in given:
        hosts += read_hosts_file(Path(value)) if "://" not in value else [DockerHost(value)]
    return tuple(hosts) or (DockerHost(),)
