"""What goes wrong with containers, said in one line that names the fix."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from lamella.runner.backends import ResourceRequest
from lamella.runner.backends.docker import DockerBackend
from lamella.runner.containers._build import build_module
from lamella.runner.containers._client import DockerHost, EngineUnreachable, connect
from tests.docker_engine import BuildingDockerBackend, docker_client, needs_docker
from tests.runner.processes import LAMELLA
from tests.runner.test_backend_contract import Runs, result_of, run_all
from tests.runner.test_results_folder import SLOW, lamella
from tests.runner.tmp_modules import write_module

pytestmark = needs_docker

HOG = """\
import numpy as np

def run(task):
    print("allocating 600 MB")
    block = np.ones(600 * 1024**2 // 8)
    task.save_table("table", [{"sum": float(block.sum())}])
"""


def test_a_container_killed_for_memory_says_so_with_its_limit(fixture_modules: Path, tmp_path: Path) -> None:
    module = write_module(tmp_path / "mods", "hog", HOG, inputs=())
    backend = BuildingDockerBackend(1, scratch=tmp_path)
    try:
        result = result_of(run_all(backend, Runs(fixture_modules, tmp_path).make(
            "h", module, ResourceRequest(memory_gb=0.25)))["h"])
    finally:
        backend.close()
    assert not result.ok and result.exit_status == 137
    said = ("out of memory (limit 256 MB); give the node more with --memory-limit or the "
            "module's resources.memory_gb")
    # The engine flags OOMKilled only when it saw the kernel's OOM event in time (under load it
    # sometimes does not); then the exit status 137 under a memory limit is reported as likely.
    assert result.error in (said, f"killed (exit status 137), probably {said}"), result.error


def test_a_module_without_an_image_is_refused_with_the_build_command(fixture_modules: Path,
                                                                    tmp_path: Path) -> None:
    docker_client()
    module = write_module(tmp_path / "mods", "unbuilt", HOG, inputs=())
    backend = DockerBackend(1, scratch=tmp_path)
    try:
        reason = backend.refusal(Runs(fixture_modules, tmp_path).make("u", module))
    finally:
        backend.close()
    assert reason == (f"image test/unbuilt:1.0.0 of module test/unbuilt@1.0.0 is not on Docker host "
                      f"{socket.gethostname()}; build it: lamella module build test/unbuilt")


def test_an_image_built_from_older_code_is_refused(fixture_modules: Path, tmp_path: Path) -> None:
    client = docker_client()
    module = write_module(tmp_path / "mods", "edited", HOG, inputs=())
    runs = Runs(fixture_modules, tmp_path)
    build_module(client, runs.make("e", module).manifest, module, say=lambda message: None)
    (module / "main.py").write_text(HOG.replace("600", "60"))
    backend = DockerBackend(1, scratch=tmp_path)
    try:
        reason = backend.refusal(runs.make("e", module))
    finally:
        backend.close()
    assert reason == (f"image test/edited:1.0.0 on Docker host {socket.gethostname()} was built from "
                      f"other code than {module}; rebuild it: lamella module build test/edited")


def test_no_engine_at_the_address_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(EngineUnreachable) as caught:
        connect(DockerHost(f"unix://{tmp_path}/docker.sock"))
    assert str(caught.value) == (f"Docker engine at unix://{tmp_path}/docker.sock: not reachable (no engine "
                                 "socket); start the engine (systemctl start docker, or run dockerd) or "
                                 "give a remote one with --docker-host")
    with pytest.raises(EngineUnreachable, match=r"^Docker engine at tcp://127.0.0.1:1: not reachable "
                       r"\(connection refused\); check that the engine runs there"):
        connect(DockerHost("tcp://127.0.0.1:1"))


def test_the_cli_reports_an_unreachable_engine_and_a_missing_image(tmp_path: Path, fixture_modules: Path,
                                                                   isolated_cache: Path) -> None:
    (tmp_path / "mods").symlink_to(fixture_modules)
    (tmp_path / "slow.yaml").write_text(SLOW.format(sleep=0))
    done = lamella("run", "slow.yaml", "--modules", "mods", "--backend", "docker", "--docker-host",
                   f"unix://{tmp_path}/none.sock", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: Docker engine at unix://{tmp_path}/none.sock: not reachable (no engine socket); start "
        "the engine (systemctl start docker, or run dockerd) or give a remote one with --docker-host"]
    assert LAMELLA


def test_a_gpu_less_host_refuses_required_and_runs_optional_on_the_cpu(fixture_modules: Path,
                                                                        tmp_path: Path) -> None:
    runs = Runs(fixture_modules, tmp_path)
    backend = BuildingDockerBackend(1, scratch=tmp_path)
    try:
        assert backend.refusal(runs.make("r", "add", ResourceRequest(gpu="required"))) == (
            "needs a GPU, and backend 'docker' has none (give GPUs with --gpus, e.g. --gpus all, or run "
            "on a backend with GPUs)")
        result = result_of(run_all(backend, runs.make("o", "add", ResourceRequest(gpu="optional")))["o"])
    finally:
        backend.close()
    assert result.ok and result.placement is not None and result.placement.gpu_ids == ()
