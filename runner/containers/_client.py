"""Connecting to Docker engines: this machine's, or remote ones over TLS or SSH.

A host is given as a URL (``unix:///var/run/docker.sock``, ``tcp://gpu-box:2376``,
``ssh://user@host``) or as an entry of a hosts file (see :mod:`._hosts`). ``tcp://`` uses
TLS when the host has a certificate folder (``ca.pem``, ``cert.pem``, ``key.pem``: the
entry's ``tls``, else ``$DOCKER_CERT_PATH``); ``ssh://`` runs the ``ssh`` client, so the
user's SSH keys and config apply. Every failure is one line that names the host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamella.core.errors import LamellaError

__all__ = ["DEFAULT_HOST", "DockerHost", "EngineUnreachable", "connect", "find_image"]

DEFAULT_HOST = "unix:///var/run/docker.sock"
_API_TIMEOUT_S = 60
_API_VERSION = "1.41"  # Docker 20.10 (Debian bookworm's engine); newer engines accept it


class EngineUnreachable(LamellaError):
    """No Docker engine answers at a host's address."""


@dataclass(frozen=True)
class DockerHost:
    """One Docker engine: where it is, how to reach it, and what it may be given at once.

    ``slots`` None means one per CPU the engine reports; ``gpus`` None means none unless
    the user gives ``--gpus``; ``cpus`` None means every CPU the engine reports, shared
    among the slots (each run gets ``cpus // slots`` threads).
    """

    url: str = DEFAULT_HOST
    name: str = ""
    tls: Path | None = None
    slots: int | None = None
    gpus: tuple[str, ...] | None = None
    memory_gb: float | None = None
    cpus: int | None = None
    shares_files: bool | None = None  # None: true for a unix:// socket (this machine)

    @property
    def label(self) -> str:
        """The name events and the record use: the given name, else the address."""
        return self.name or self.url

    @property
    def sees_local_files(self) -> bool:
        """True if task folders on this machine can be mounted into its containers."""
        return self.shares_files if self.shares_files is not None else self.url.startswith("unix://")


def connect(host: DockerHost) -> Any:
    """A ``docker.DockerClient`` for ``host`` that has answered a ping."""
    try:
        import docker
        import docker.errors
    except ImportError:
        raise EngineUnreachable("the Docker backend needs the Docker SDK for Python: "
                                "pip install 'lamella[docker]'") from None
    socket_path = host.url.removeprefix("unix://") if host.url.startswith("unix://") else None
    if socket_path is not None and not os.path.exists(socket_path):
        # Said before the SDK tries: its failed connection would leave a socket open.
        raise EngineUnreachable(f"Docker engine at {host.label}: not reachable (no engine socket); "
                                f"{_hint(host)}")
    try:
        # A fixed API version: the SDK would otherwise ask the engine for it before trust_env
        # can be switched off. requests lets REQUESTS_CA_BUNDLE (set on many managed PCs)
        # replace the host's own CA on every call, so the environment is not consulted.
        client = docker.DockerClient(base_url=host.url, tls=_tls(host), timeout=_API_TIMEOUT_S,
                                     use_ssh_client=host.url.startswith("ssh://"), version=_API_VERSION)
        client.api.trust_env = False
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        raise EngineUnreachable(f"Docker engine at {host.label}: not reachable ({_reason(exc)}); "
                                f"{_hint(host)}") from None
    return client


def find_image(client: Any, tag: str) -> Any | None:
    """Image ``tag`` on ``client``'s engine, or None if it has none of that name."""
    import docker.errors

    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None


def _tls(host: DockerHost) -> Any:
    if not host.url.startswith("tcp://"):
        return False
    folder = host.tls or (Path(os.environ["DOCKER_CERT_PATH"]) if os.environ.get("DOCKER_CERT_PATH")
                          else None)
    if folder is None:
        return False
    import docker.tls

    missing = [name for name in ("ca.pem", "cert.pem", "key.pem") if not (folder / name).is_file()]
    if missing:
        raise EngineUnreachable(f"Docker host {host.label}: TLS folder {folder} lacks "
                                f"{', '.join(missing)}; put the CA and client certificates there")
    return docker.tls.TLSConfig(client_cert=(str(folder / "cert.pem"), str(folder / "key.pem")),
                                ca_cert=str(folder / "ca.pem"), verify=True)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for known, said in (("FileNotFoundError", "no engine socket"),
                        ("Connection refused", "connection refused"),
                        ("PermissionError", "permission denied on the socket"),
                        ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate is not signed by the given CA"),
                        ("timed out", "timed out"), ("Name or service not known", "unknown host name")):
        if known in text:
            return said
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _hint(host: DockerHost) -> str:
    if host.url.startswith("unix://"):
        return ("start the engine (systemctl start docker, or run dockerd) or give a remote "
                "one with --docker-host")
    return "check that the engine runs there and the address, port and certificates are right"
