"""The sandbox every container gets, observed from inside a real container on a real engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamella.runner.backends import ResourceRequest
from lamella.runner.containers._sandbox import NOBODY, PIDS_LIMIT
from tests.docker_engine import BuildingDockerBackend, needs_docker
from tests.runner.test_backend_contract import Runs, result_of, run_all
from tests.runner.tmp_modules import write_module

pytestmark = needs_docker

PROBE = """\
import os, socket

def _status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return line.split()[1]

def _first(*paths):
    for path in paths:
        if os.path.exists(path):
            return open(path).read().strip()
    return "absent"

def run(task):
    seen = {"uid": os.getuid(), "gid": os.getgid(), "cap_eff": _status("CapEff"),
            "no_new_privs": _status("NoNewPrivs"),
            "memory_limit": _first("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                   "/sys/fs/cgroup/memory.max"),
            "pids_limit": _first("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max"),
            "cpu_quota": _first("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu.max"),
            "threads_env": os.environ.get("OMP_NUM_THREADS"),
            "interfaces": sorted(line.split(":")[0].strip()
                                 for line in open("/proc/net/dev").readlines()[2:])}
    try:
        socket.create_connection(("93.184.216.34", 80), timeout=2).close()
        seen["network"] = "reached"
    except OSError as exc:
        seen["network"] = type(exc).__name__
    try:
        open(task.input_path("image"), "ab").close()
        seen["input_write"] = "allowed"
    except OSError as exc:
        seen["input_write"] = exc.strerror
    mounts = {line.split()[4]: line.split()[5] for line in open("/proc/self/mountinfo")}
    seen["inputs_mount"] = mounts.get("/task/inputs", "absent").split(",")[0]
    seen["task_mount"] = mounts.get("/task", "absent").split(",")[0]
    print("SEEN " + __import__("json").dumps(seen))
    task.save_table("table", [{"done": 1}])
"""


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    return write_module(tmp_path / "mods", "probe", PROBE)


def _seen(result) -> dict:  # type: ignore[no-untyped-def]
    line = next(x for x in result.log.read_text().splitlines() if x.startswith("SEEN "))
    return json.loads(line.removeprefix("SEEN "))


def test_a_module_runs_unprivileged_offline_and_limited(fixture_modules: Path, tmp_path: Path,
                                                        probe: Path) -> None:
    runs = Runs(fixture_modules, tmp_path)
    backend = BuildingDockerBackend(1, scratch=tmp_path)
    try:
        request = runs.make("p", probe, ResourceRequest(memory_gb=0.75))
        result = result_of(run_all(backend, request)["p"])
        assert result.ok, result.error
        seen = _seen(result)
    finally:
        backend.close()
    assert f"{seen['uid']}:{seen['gid']}" == NOBODY  # the tests run as root: nobody inside
    assert seen["cap_eff"] == "0000000000000000" and seen["no_new_privs"] == "1"
    assert int(seen["memory_limit"]) == int(0.75 * 1024**3)
    assert int(seen["pids_limit"]) == PIDS_LIMIT
    assert int(seen["cpu_quota"]) == 100_000 * backend.capabilities.threads_per_slot  # one slot's threads
    assert seen["threads_env"] == str(backend.capabilities.threads_per_slot)
    assert seen["interfaces"] == ["lo"] and seen["network"] in {"OSError", "gaierror", "TimeoutError"}
    assert (seen["inputs_mount"], seen["task_mount"]) == ("ro", "rw")
    assert seen["input_write"] in {"Read-only file system", "Permission denied"}


def test_a_module_asking_for_the_network_gets_it(fixture_modules: Path, tmp_path: Path) -> None:
    module = write_module(tmp_path / "mods", "online", PROBE)
    manifest = json.loads((module / "module.json").read_text())
    manifest["resources"] = {"network": True}
    (module / "module.json").write_text(json.dumps(manifest))
    backend = BuildingDockerBackend(1, scratch=tmp_path)
    try:
        result = result_of(run_all(backend, Runs(fixture_modules, tmp_path).make("n", module))["n"])
        assert result.ok, result.error
        seen = _seen(result)
    finally:
        backend.close()
    assert "eth0" in seen["interfaces"]  # on the engine's bridge, not only loopback
