"""GPU passthrough on this GPU-less engine: the exact device request the engine receives.

No GPU exists here (MACHINE-NOTES): the engine accepts a container with a GPU device
request and refuses to start it. The tests check what a GPU host's engine would be given
(``docker inspect``: ``HostConfig.DeviceRequests``), that concurrent nodes get distinct
device ids, and that the refusal to start reaches the user as one line saying what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lamella.runner.backends import ResourceRequest
from lamella.runner.containers._sandbox import ContainerPlan, container_settings
from tests.docker_engine import BuildingDockerBackend, docker_client, needs_docker
from tests.runner.test_backend_contract import Runs

pytestmark = needs_docker


def test_a_plan_with_gpus_becomes_a_device_request_with_explicit_ids(tmp_path: Path) -> None:
    client = docker_client()
    (tmp_path / "inputs").mkdir()
    plan = ContainerPlan(image="lamella/runtime:0.1.0", entrypoint="main:run", task_folder=tmp_path,
                         threads=1, memory_gb=0.5, network=False, gpu_ids=("2", "3"), labels={})
    container = client.containers.create(**container_settings(plan))
    try:
        requests = client.api.inspect_container(container.id)["HostConfig"]["DeviceRequests"]
    finally:
        container.remove(force=True)
    assert requests == [{"Driver": "", "Count": 0, "DeviceIDs": ["2", "3"], "Capabilities": [["gpu"]],
                         "Options": {}}]


def _inspecting_backend(tmp_path: Path, seen: dict[str, Any]) -> Any:
    """The Docker backend, noting each container's device request before it is removed."""
    backend = BuildingDockerBackend(2, scratch=tmp_path, gpu_ids=("0", "1"))
    forget = backend._forget

    def noting(job_id: str, **how: Any) -> None:
        container = backend._tasks[job_id].container
        seen[job_id] = docker_client().api.inspect_container(container.id)["HostConfig"]["DeviceRequests"]
        forget(job_id, **how)

    backend._forget = noting
    return backend


def test_concurrent_nodes_get_distinct_gpus_and_a_gpu_less_engine_fails_clearly(
        fixture_modules: Path, tmp_path: Path) -> None:
    runs, seen = Runs(fixture_modules, tmp_path), {}
    backend = _inspecting_backend(tmp_path, seen)
    try:
        one, two = (runs.make(n, "add", ResourceRequest(gpu="required")) for n in ("g1", "g2"))
        placed = [backend.submit(one), backend.submit(two)]
        results: dict[str, Any] = {}
        while len(results) < 2:
            results.update({u.job_id: u for u in backend.poll(0.5) if u.job_id in ("g1", "g2")
                            and not hasattr(u, "fraction")})
    finally:
        backend.close()
    assert sorted(p.gpu_ids for p in placed) == [("0",), ("1",)]
    assert {job: r[0]["DeviceIDs"] for job, r in seen.items()} == {"g1": ["0"], "g2": ["1"]}
    for job_id, placement in zip(("g1", "g2"), placed, strict=True):
        result = results[job_id]
        assert not result.ok
        assert result.error == (
            f"GPU {placement.gpu_ids[0]} could not be given to the container on {placement.host} "
            "(could not select device driver \"\" with capabilities: [[gpu]]); install the NVIDIA "
            "Container Toolkit there, or run without --gpus (modules with resources.gpu 'optional' "
            "then use the CPU)")
