"""Containers and task volumes a killed runner left on a remote host go at the next start."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from lamella.runner.backends.docker import DockerBackend
from lamella.runner.containers import _names as names
from lamella.runner.containers._client import DockerHost
from tests.docker.remote_engine import RemoteEngine
from tests.docker_engine import needs_docker

pytestmark = needs_docker


def test_the_next_start_removes_what_a_dead_runner_left_on_a_remote_host(
        tmp_path: Path, remote_runtime: RemoteEngine) -> None:
    client = remote_runtime.client
    dead = {names.LABEL_RUNNER: f"{socket.gethostname()}:999999999:1", names.LABEL_KIND: "task"}
    alive_elsewhere = {names.LABEL_RUNNER: "another-machine:12:34", names.LABEL_KIND: "task"}
    left = client.containers.create("lamella/runtime:0.1.0", ["true"], labels=dead)
    client.volumes.create(name="lamella-left-behind", labels=dead)
    kept = client.containers.create("lamella/runtime:0.1.0", ["true"], labels=alive_elsewhere)
    try:
        remote = DockerHost(remote_runtime.url, tls=remote_runtime.tls)
        DockerBackend(1, scratch=tmp_path, hosts=(remote,)).close()
        ids = {c.id for c in client.containers.list(all=True)}
        assert left.id not in ids and kept.id in ids  # another machine's runner is not judged
        assert "lamella-left-behind" not in {v.name for v in client.volumes.list()}
    finally:
        kept.remove(force=True)
        with contextlib.suppress(Exception):  # removed already, as it should be
            left.remove(force=True)
