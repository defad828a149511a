"""A second, "remote" Docker engine for tests: its own dockerd on loopback, reached over TLS or SSH.

The engine is real (MACHINE-NOTES, "Docker engine"): a second ``dockerd`` with its own data
root, exec root and containerd, listening on ``tcp://127.0.0.1:PORT`` with ``--tlsverify``
(CA, server and client certificates made with ``openssl``) and on a unix socket in its
folder. It starts with no images and shares no files with the tests by convention: tests
give it files only through the API, as a runner must for a real remote host.

``ssh_engine`` adds an ``sshd`` on loopback whose sessions see ``DOCKER_HOST`` set to that
engine's socket, so ``ssh://root@127.0.0.1:PORT`` is an SSH Docker host as a user would give
it. docker-py's ``use_ssh_client`` runs the ``ssh`` found on ``PATH`` with no options of its
own (``docker/transport/sshconn.py``) and OpenSSH reads ``~/.ssh/config`` from the passwd
home, not ``$HOME``; so for the session ``PATH`` starts with a folder whose ``ssh`` is the real
client given this engine's config (key, known host, batch mode): the user's own SSH
setup is not touched.

Both need root (dockerd, sshd) and the system packages ``docker.io`` and ``openssh-server``;
without them the tests are skipped, or fail with ``LAMELLA_REQUIRE_DOCKER=1``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.docker_engine import _unavailable, docker_client

__all__ = ["CA_BUNDLE_VARIABLES", "RemoteEngine", "SshEngine", "remote_engine", "remote_runtime",
           "ssh_engine"]

CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_START_TIMEOUT_S = 60
_STOP_TIMEOUT_S = 30
_LOG_LINES_SHOWN = 5


@dataclass
class RemoteEngine:
    """A running second engine: its TLS address, client certificates and a client."""

    url: str  # tcp://127.0.0.1:PORT (TLS)
    tls: Path  # ca.pem, cert.pem, key.pem for a client
    socket: str  # unix://.../sock: the same engine, for sshd sessions
    client: Any  # docker.DockerClient connected over TLS
    folder: Path
    runtime_seconds: float | None = None  # how long moving the runtime image here took


@dataclass
class SshEngine:
    """The second engine reached over SSH: ``ssh://root@127.0.0.1:PORT`` and a client."""

    url: str
    client: Any
    folder: Path


# ----- helpers ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(*command: str | Path, cwd: Path | None = None) -> None:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-300:]}")


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return " | ".join(lines[-_LOG_LINES_SHOWN:]) or "no output"


def _short_folder(prefix: str) -> Path:
    # Short on purpose: a unix socket path holds at most 107 bytes, and containerd's
    # sockets live below the exec root.
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not ended in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _unmount_below(folder: Path) -> None:
    """Lazily unmount whatever an engine left mounted under ``folder`` (deepest first)."""
    prefix = str(folder) + "/"
    with open("/proc/self/mountinfo") as table:
        points = [line.split()[4] for line in table if line.split()[4].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def _requirements(*programs: str) -> None:
    if os.getuid() != 0:
        _unavailable("a second Docker engine and an sshd need root")
    missing = [name for name in programs if shutil.which(name) is None]
    if missing:
        _unavailable(f"{', '.join(missing)} not installed (apt-get install docker.io openssh-server)")


# ----- certificates -------------------------------------------------------------------------
_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def make_certificates(folder: Path) -> tuple[Path, Path]:
    """A CA, a server certificate for IP 127.0.0.1 and a client certificate, made with openssl.

    Returns (server folder, client folder); each holds ``ca.pem``, ``cert.pem``, ``key.pem``.
    """
    server, client = folder / "server", folder / "client"
    for part in (server, client):
        part.mkdir(parents=True)
    _run("openssl", "req", "-x509", *_EC_KEY, "-keyout", folder / "ca-key.pem", "-out", folder / "ca.pem",
         "-days", "2", "-subj", "/CN=lamella test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _sign(folder, server, "127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _sign(folder, client, "lamella-test-client", "extendedKeyUsage=clientAuth\n")
    return server, client


def _sign(ca: Path, into: Path, name: str, extensions: str) -> None:
    (into / "ext.cnf").write_text(extensions + "keyUsage=critical,digitalSignature\n"
                                  "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
    _run("openssl", "req", "-new", *_EC_KEY, "-keyout", into / "key.pem", "-out", into / "req.csr",
         "-subj", f"/CN={name}")
    _run("openssl", "x509", "-req", "-in", into / "req.csr", "-CA", ca / "ca.pem", "-CAkey",
         ca / "ca-key.pem", "-CAcreateserial", "-out", into / "cert.pem", "-days", "2",
         "-extfile", into / "ext.cnf")
    shutil.copy(ca / "ca.pem", into / "ca.pem")
    (into / "key.pem").chmod(0o600)


# ----- the second dockerd ---------------------------------------------------------------------
def start_engine(folder: Path) -> tuple[subprocess.Popen[bytes], RemoteEngine]:
    """Start a dockerd with its state in ``folder``, TLS on a free loopback port; wait for it."""
    server, client_tls = make_certificates(folder / "tls")
    port = _free_port()
    log = folder / "dockerd.log"
    # Its own bridge: with --bridge none a dockerd deletes the default bridge, docker0, which
    # belongs to this machine's engine (its containers with a network would lose it).
    bridge = _make_bridge(folder.name)
    command = ["dockerd", "--data-root", folder / "root", "--exec-root", folder / "exec",
               "--pidfile", folder / "pid", "-H", f"tcp://127.0.0.1:{port}", "-H", f"unix://{folder}/sock",
               "--bridge", bridge, "--iptables=false", "--ip-forward=false", "--ip-masq=false",
               "--tlsverify", "--tlscacert", server / "ca.pem", "--tlscert", server / "cert.pem",
               "--tlskey", server / "key.pem", "--log-level", "warn"]
    with log.open("wb") as output:
        process = subprocess.Popen([str(part) for part in command], stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"tcp://127.0.0.1:{port}"
    try:
        client = _wait_for_engine(process, url, client_tls, log)
    except BaseException:
        _stop(process)
        subprocess.run(["ip", "link", "delete", bridge], capture_output=True)
        raise
    return process, RemoteEngine(url, client_tls, f"unix://{folder}/sock", client, folder)


def _bridge_name(folder_name: str) -> str:
    return folder_name.replace("-", "")[:15]


def _make_bridge(folder_name: str) -> str:
    """A bridge interface of its own for a second engine (see start_engine)."""
    name = _bridge_name(folder_name)
    subnet = 200 + sum(map(ord, name)) % 50
    for command in (["ip", "link", "add", name, "type", "bridge"],
                    ["ip", "addr", "add", f"10.231.{subnet}.1/24", "dev", name],
                    ["ip", "link", "set", name, "up"]):
        subprocess.run(command, check=True, capture_output=True)
    return name


def _wait_for_engine(process: subprocess.Popen[bytes], url: str, tls: Path, log: Path) -> Any:
    from lamella.core.errors import LamellaError
    from lamella.runner.containers._client import DockerHost, connect

    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the second dockerd exited with {process.returncode}: {_tail(log)}")
        with contextlib.suppress(LamellaError):
            return connect(DockerHost(url=url, tls=tls))
        if time.monotonic() > deadline:
            raise RuntimeError(f"the second dockerd did not answer within {_START_TIMEOUT_S} s: {_tail(log)}")
        time.sleep(0.25)


def stop_engine(process: subprocess.Popen[bytes], engine: RemoteEngine) -> None:
    """Remove the engine's containers, stop it and delete its folder."""
    with contextlib.suppress(Exception):
        for container in engine.client.containers.list(all=True):
            container.remove(force=True)
    with contextlib.suppress(Exception):
        engine.client.close()
    _stop(process)
    subprocess.run(["ip", "link", "delete", _bridge_name(engine.folder.name)], capture_output=True)
    _unmount_below(engine.folder)
    shutil.rmtree(engine.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def remote_engine() -> Iterator[RemoteEngine]:
    """A second Docker engine on loopback over TLS, for the whole session (see the docstring)."""
    docker_client()  # no engine or SDK here: skip (fail in CI), as every Docker test does
    _requirements("dockerd", "openssl", "ip")
    folder = _short_folder("lre-")
    with pytest.MonkeyPatch.context() as patch:
        # requests lets these override the CA that docker-py's TLSConfig sets, on every
        # request, so with them set no client trusts this engine's own CA
        # (test_remote_engine.py::test_tls_connect_with_requests_ca_bundle_set shows it).
        for variable in CA_BUNDLE_VARIABLES:
            patch.delenv(variable, raising=False)
        try:
            process, engine = start_engine(folder)
        except RuntimeError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            _unavailable(str(exc))
        try:
            yield engine
        finally:
            stop_engine(process, engine)


@pytest.fixture(scope="session")
def remote_runtime(remote_engine: RemoteEngine) -> RemoteEngine:
    """The second engine with this machine's runtime image moved onto it (timed)."""
    from lamella.runner.containers import _names as names
    from lamella.runner.containers._build import lamella_version
    from lamella.runner.containers._remote import ensure_image

    started = time.monotonic()
    ensure_image(docker_client(), remote_engine.client, names.runtime_image(lamella_version()))
    remote_engine.runtime_seconds = time.monotonic() - started
    return remote_engine


# ----- sshd -----------------------------------------------------------------------------------
_SSHD_CONFIG = """\
ListenAddress 127.0.0.1:{port}
HostKey {folder}/host_key
PidFile {folder}/sshd.pid
AuthorizedKeysFile {folder}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST={docker_host}
"""

_SSH_CONFIG = """\
Host 127.0.0.1
  IdentityFile {folder}/client_key
  IdentitiesOnly yes
  UserKnownHostsFile {folder}/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
"""


def start_sshd(folder: Path, docker_host: str) -> tuple[subprocess.Popen[bytes], int]:
    """An sshd on a free loopback port that lets in one generated key; sessions get ``docker_host``."""
    port = _free_port()
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", folder / "host_key")
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", folder / "client_key")
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    host_key = (folder / "host_key.pub").read_text().split()
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    (folder / "sshd_config").write_text(_SSHD_CONFIG.format(port=port, folder=folder,
                                                            docker_host=docker_host))
    (folder / "ssh_config").write_text(_SSH_CONFIG.format(folder=folder))
    _ssh_wrapper(folder)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    log = folder / "sshd.log"
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    with log.open("wb") as output:
        # sshd re-executes itself, so it needs its absolute path.
        process = subprocess.Popen([str(Path(sshd).resolve()), "-D", "-e", "-f", str(folder / "sshd_config")],
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(process, port, log)
    except BaseException:
        _stop(process)
        raise
    return process, port


def _ssh_wrapper(folder: Path) -> None:
    """``folder/bin/ssh``: the real ssh client, given this sshd's config."""
    real = shutil.which("ssh") or "/usr/bin/ssh"
    wrapper = folder / "bin" / "ssh"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {real} -F {folder}/ssh_config "$@"\n')
    wrapper.chmod(0o755)


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            if conn.recv(4).startswith(b"SSH-"):
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"sshd did not answer within {_START_TIMEOUT_S} s: {_tail(log)}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def ssh_engine(remote_engine: RemoteEngine) -> Iterator[SshEngine]:
    """The second engine as the SSH Docker host ``ssh://root@127.0.0.1:PORT`` (see the docstring)."""
    from lamella.core.errors import LamellaError
    from lamella.runner.containers._client import DockerHost, connect

    _requirements("sshd", "ssh", "ssh-keygen")
    try:
        import paramiko  # noqa: F401  (docker-py loads its SSH transport only with paramiko)
    except ImportError:
        _unavailable("the Docker SDK reaches ssh:// hosts only with paramiko: pip install 'docker[ssh]'")
    folder = _short_folder("lss-")
    try:
        process, port = start_sshd(folder, remote_engine.socket)
    except RuntimeError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(str(exc))
    url = f"ssh://root@127.0.0.1:{port}"
    sockets: list[Any] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{folder / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
        _keep_ssh_sockets(patch, sockets)
        try:
            client = connect(DockerHost(url=url))
        except LamellaError as exc:
            _stop(process)
            shutil.rmtree(folder, ignore_errors=True)
            pytest.fail(f"sshd runs but the Docker SDK cannot reach the engine through it: {exc}; "
                        f"sshd log: {_tail(folder / 'sshd.log')}")
        try:
            yield SshEngine(url, client, folder)
        finally:
            with contextlib.suppress(Exception):
                client.close()
            for sock in sockets:
                _close_ssh_socket(sock)
            _stop(process)
            shutil.rmtree(folder, ignore_errors=True)


def _keep_ssh_sockets(patch: pytest.MonkeyPatch, sockets: list[Any]) -> None:
    """Keep every ssh connection docker-py opens, to close it at the end of the session.

    With ``use_ssh_client`` docker-py 7 starts one ``ssh`` process per API request in a
    connection pool it never keeps or closes (``SSHHTTPAdapter.get_connection``); left to
    the garbage collector, each would end as a ResourceWarning in whichever test runs then.
    """
    from docker.transport import sshconn

    connect = sshconn.SSHSocket.connect

    def kept(self: Any, **kwargs: Any) -> None:
        connect(self, **kwargs)
        sockets.append(self)

    patch.setattr(sshconn.SSHSocket, "connect", kept)


def _close_ssh_socket(sock: Any) -> None:
    """End one docker-py ssh connection: its ssh process, pipes and (never used) socket."""
    with contextlib.suppress(OSError, ValueError):
        sock.close()  # docker-py's: says goodbye and terminates the process, without waiting
    if sock.proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            sock.proc.wait(_STOP_TIMEOUT_S)
        for pipe in (sock.proc.stdin, sock.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
    socket.socket.close(sock)
