"""No container outlives its run: removed when it ends, fails, times out or is stopped, and
left-overs of a runner killed with SIGKILL are removed by the next backend's start."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from lamella.core.catalog import Catalog
from lamella.runner.backends import ResourceRequest
from lamella.runner.backends.docker import DockerBackend
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import build_module
from tests.docker_engine import BuildingDockerBackend, docker_client, needs_docker
from tests.runner.test_backend_contract import Runs, result_of, run_all
from tests.runner.test_results_folder import SLOW, start_run

pytestmark = needs_docker


def containers_of(client: Any, label: str, value: str | None = None) -> list[Any]:
    wanted = f"{label}={value}" if value else label
    return client.containers.list(all=True, filters={"label": wanted})


def test_containers_are_removed_after_success_failure_timeout_and_cancel(
        fixture_modules: Path, tmp_path: Path) -> None:
    runs, client = Runs(fixture_modules, tmp_path), docker_client()
    backend = BuildingDockerBackend(2, scratch=tmp_path)
    try:
        done = run_all(backend, runs.make("ok", "add"), runs.make("bad", "crash", mode="exit"),
                       runs.make("late", "add", ResourceRequest(timeout_s=1.0), sleep=30.0))
        assert [result_of(done[j]).ok for j in ("ok", "bad", "late")] == [True, False, False]
        backend.submit(runs.make("cut", "add", sleep=30.0))
        assert len(containers_of(client, names.LABEL_RUN, backend.run_label)) == 1
        backend.cancel("cut")
        assert containers_of(client, names.LABEL_RUN, backend.run_label) == []
        backend.submit(runs.make("open", "add", sleep=30.0))
    finally:
        backend.close()  # a container still running when the backend closes goes too
    assert containers_of(client, names.LABEL_RUN, backend.run_label) == []


@pytest.fixture
def docker_workdir(tmp_path: Path, fixture_modules: Path, isolated_cache: Path) -> Path:
    (tmp_path / "mods").symlink_to(fixture_modules)
    (tmp_path / "slow.yaml").write_text(SLOW.format(sleep=60))
    client, catalog = docker_client(), Catalog.discover([fixture_modules])
    for module in ("test/gen", "test/add"):
        entry = catalog.resolve(f"{module}@1")
        build_module(client, entry.manifest, entry.folder, say=lambda message: None)
    return tmp_path


def _wait_for_containers(client: Any, count: int, within_s: float = 60) -> list[Any]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        found = [c for c in containers_of(client, names.LABEL_RUNNER)
                 if c.labels.get("org.lamella.node") in ("a", "b")]
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{count} containers did not start within {within_s} s")


def test_ctrl_c_removes_the_running_containers(docker_workdir: Path) -> None:
    client = docker_client()
    run = start_run(docker_workdir, "slow.yaml", "--backend", "docker", started=3)
    running = _wait_for_containers(client, 2)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    left = {c.id for c in containers_of(client, names.LABEL_RUNNER)}
    assert left.isdisjoint(c.id for c in running)
    record = json.loads((docker_workdir / "out" / "run-record.json").read_text())
    assert record["items"]["slow"]["nodes"]["a"]["status"] == "interrupted"


def test_containers_of_a_killed_runner_are_removed_by_the_next_start(docker_workdir: Path) -> None:
    client = docker_client()
    run = start_run(docker_workdir, "slow.yaml", "--backend", "docker", started=3)
    running = _wait_for_containers(client, 2)
    run.kill()  # SIGKILL: the runner can remove nothing
    run.communicate(timeout=60)
    ids = {c.id for c in running}
    assert ids <= {c.id for c in containers_of(client, names.LABEL_RUNNER)}  # still there
    ours = [c for c in running if c.labels[names.LABEL_RUNNER].split(":")[1] == str(run.pid)]
    assert len(ours) == 2
    DockerBackend(1, scratch=docker_workdir).close()  # a new backend's start cleans up
    assert ids.isdisjoint(c.id for c in containers_of(client, names.LABEL_RUNNER))
