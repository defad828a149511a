"""The contract every execution backend must meet: one test class, run against each backend.

Later backends (docker, dask) join by adding a factory to BACKENDS.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lamella.core.cache_keys import file_digest
from lamella.core.catalog import folder_digest
from lamella.core.manifest import load_manifest, resolve_params
from lamella.core.sdk import Image, read_image, write_image
from lamella.runner.backends import (
    Backend,
    InputFile,
    IsolatedBackend,
    LocalBackend,
    ModuleIdentity,
    NodeProgress,
    NodeResult,
    ResourceRequest,
    RunRequest,
)
from lamella.runner.backends.local import machine_memory_gb
from tests.docker_engine import BuildingDockerBackend, needs_docker
from tests.runner.tmp_modules import CLOBBER, write_module

Factory = Callable[..., Backend]
BACKENDS: dict[str, Callable[[int, Path, tuple[str, ...]], Backend]] = {
    "local": lambda jobs, scratch, gpus: LocalBackend(jobs, scratch=scratch, gpu_ids=gpus),
    "isolated": lambda jobs, scratch, gpus: IsolatedBackend(jobs, gpu_ids=gpus),
    # A real engine; module images are built on first use (tests/docker_engine.py).
    "docker": lambda jobs, scratch, gpus: BuildingDockerBackend(jobs, scratch=scratch, gpu_ids=gpus),
}
# What a container backend does differently, by design (each test says why).
CONTAINERS = {"docker"}

ENV_MODULE = """\
import os

def run(task):
    print("gpus=" + os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
    task.metric("granted", ",".join(task.spec.resources.gpu_ids))
    task.save_table("table", [{"done": 1}])
"""


@pytest.fixture(params=[pytest.param(name, marks=[needs_docker] if name in CONTAINERS else [])
                        for name in sorted(BACKENDS)])
def make_backend(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    made: list[Backend] = []

    def factory(slots: int = 1, gpus: tuple[str, ...] = ()) -> Backend:
        scratch = tmp_path / f"scratch-{len(made)}"
        scratch.mkdir()
        made.append(BACKENDS[request.param](slots, scratch, gpus))
        made[-1].test_name = request.param  # type: ignore[attr-defined]
        return made[-1]

    yield factory
    for backend in made:
        backend.close()


class Runs:
    """Run requests for the fixture modules and modules written into the test's folder."""

    def __init__(self, modules: Path, tmp: Path) -> None:
        self.modules, self.tmp = modules, tmp
        self.image = write_image(tmp / "in.ome.tif", Image(np.full((4, 4), 7, np.uint16), "YX"))

    def make(self, job_id: str, module: str | Path, resources: ResourceRequest | None = None,
             **params: object) -> RunRequest:
        folder = module if isinstance(module, Path) else self.modules / module
        manifest = load_manifest(folder / "module.json")
        inputs = ({"image": [InputFile(file_digest(self.image), self.image.name, self.image)]}
                  if "image" in manifest.inputs else {})
        return RunRequest(job_id, job_id, "item", ModuleIdentity(manifest, folder_digest(folder), folder),
                          resolve_params(manifest, params), inputs, resources or ResourceRequest(),
                          user_files=frozenset(inputs))


@pytest.fixture
def runs(fixture_modules: Path, tmp_path: Path) -> Runs:
    return Runs(fixture_modules, tmp_path)


def run_all(backend: Backend, *requests: RunRequest, limit_s: float = 120) -> dict[str, list]:
    """Submit runs as resources free up; return every update per job id."""
    pending, updates = list(requests), {r.job_id: [] for r in requests}
    finished: set[str] = set()
    deadline = time.monotonic() + limit_s
    while len(finished) < len(requests) and time.monotonic() < deadline:
        while pending and backend.can_start(pending[0]):
            backend.submit(pending.pop(0))
        for update in backend.poll(0.2):
            updates[update.job_id].append(update)
            if isinstance(update, NodeResult):
                finished.add(update.job_id)
    return updates


def result_of(updates: list) -> NodeResult:
    results = [u for u in updates if isinstance(u, NodeResult)]
    assert len(results) == 1
    return results[0]


def test_success_returns_outputs_as_artifacts(make_backend, runs: Runs) -> None:
    result = result_of(run_all(make_backend(), runs.make("ok", "add", amount=2))["ok"])
    assert result.ok and result.error == "" and result.changed_inputs == []
    assert result.outputs == {"image": ["image.ome.tif"]}
    artifact = result.artifacts["image.ome.tif"]
    assert artifact.digest == file_digest(artifact.path)
    assert read_image(artifact.path).data.tolist() == [[9] * 4] * 4
    assert result.log is not None and result.log.read_text() == "adding 2\n"
    assert result.placement is not None and result.placement.host == socket.gethostname()


def test_progress_is_forwarded(make_backend, runs: Runs) -> None:
    updates = run_all(make_backend(), runs.make("p", "add", sleep=1.0))["p"]
    fractions = [u.fraction for u in updates if isinstance(u, NodeProgress)]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert [u.message for u in updates if isinstance(u, NodeProgress)][-1] == "step 4"


@pytest.mark.parametrize(("mode", "error", "exit_status"), [
    ("raise", "ValueError: bad pixel at (3, 4)", 1),   # the container entry's statuses
    ("fail", "parameter 'mode': asked to fail", 2),
    ("exit", "module process exited with exit status 3", 3),
    ("segfault", "module process killed by SIGSEGV (segmentation fault)", -11),
    ("no-output", "module finished without writing output 'image'", 2),
])
def test_failures_are_results_not_crashes(make_backend, runs: Runs, mode: str, error: str,
                                          exit_status: int | None) -> None:
    backend = make_backend()
    bad, good = runs.make("bad", "crash", mode=mode), runs.make("good", "add")
    updates = run_all(backend, bad, good)
    result = result_of(updates["bad"])
    assert (result.ok, result.error, result.exit_status) == (False, error, exit_status)
    assert result_of(updates["good"]).ok  # the backend carries on after the failure
    assert result.log is not None
    log = result.log.read_text()
    assert log.startswith("crash module starting\n")
    if mode == "raise":
        assert "Traceback" in log and log.rstrip().endswith("ValueError: bad pixel at (3, 4)")
    if mode == "segfault":
        assert "Fatal Python error: Segmentation fault" in log


def test_slots_run_in_parallel_and_limit_starts(make_backend, runs: Runs) -> None:
    backend = make_backend(2)
    a, b, c = (runs.make(n, "add", sleep=2.0) for n in "abc")
    backend.submit(a)
    assert backend.can_start(b)
    backend.submit(b)
    assert not backend.can_start(c)  # both slots taken
    sequence: list[tuple[str, str]] = []
    while sum(kind == "result" for _, kind in sequence) < 2:
        for update in backend.poll(0.2):
            sequence.append((update.job_id, "result" if isinstance(update, NodeResult) else "progress"))
    # Run one after the other, one job's first progress would follow the other's result.
    first_result = next(i for i, (_, kind) in enumerate(sequence) if kind == "result")
    started_before = {job for job, kind in sequence[:first_result] if kind == "progress"}
    assert started_before == {"a", "b"}
    assert backend.can_start(c)


def test_memory_is_matched_not_only_slots(make_backend, runs: Runs) -> None:
    backend = make_backend(2)
    big = ResourceRequest(memory_gb=machine_memory_gb() * 0.6)
    first, second = runs.make("m1", "add", big, sleep=1.0), runs.make("m2", "add", big)
    backend.submit(first)
    assert not backend.can_start(second)  # a slot is free, the memory is not
    assert backend.can_start(runs.make("small", "add"))
    run_all(backend)  # nothing pending: just let the first end
    while not backend.can_start(second):
        backend.poll(0.2)
    assert result_of(run_all(backend, second)["m2"]).ok


def in_container(backend: Backend) -> bool:
    return getattr(backend, "test_name", "") in CONTAINERS


def test_each_running_node_gets_its_own_gpus(make_backend, runs: Runs, tmp_path: Path) -> None:
    # No GPU exists here: the test checks the exact grant each task receives (task.json,
    # CUDA_VISIBLE_DEVICES), which is what a GPU library would read.
    backend = make_backend(3, gpus=("0", "1"))
    if in_container(backend):
        pytest.skip("a container gets its GPUs as a device request, which a GPU-less engine "
                    "refuses to start: tests/docker/test_gpus.py checks the request itself")
    module = write_module(tmp_path / "mods", "env", ENV_MODULE, inputs=())
    needs_gpu = ResourceRequest(gpu="required")
    one, two, three = (runs.make(n, module, needs_gpu) for n in ("g1", "g2", "g3"))
    placed = [backend.submit(one), backend.submit(two)]
    assert sorted(p.gpu_ids for p in placed) == [("0",), ("1",)]
    assert not backend.can_start(three)  # three slots, two GPUs
    results: dict[str, NodeResult] = {}
    while len(results) < 2:
        results.update({u.job_id: u for u in backend.poll(0.2) if isinstance(u, NodeResult)})
    for job_id, placement in zip(("g1", "g2"), placed, strict=True):
        assert results[job_id].metrics == {"granted": placement.gpu_ids[0]}
        assert results[job_id].log.read_text() == f"gpus={placement.gpu_ids[0]}\n"
    assert result_of(run_all(backend, three)["g3"]).ok


def test_a_run_needing_a_gpu_is_refused_without_one(make_backend, runs: Runs) -> None:
    backend = make_backend()
    request = runs.make("g", "add", ResourceRequest(gpu="required"))
    reason = backend.refusal(request)
    assert reason == (f"needs a GPU, and backend '{backend.capabilities.name}' has none (give GPUs "
                      "with --gpus, e.g. --gpus all, or run on a backend with GPUs)")
    assert backend.refusal(runs.make("ok", "add")) is None


def test_a_module_writing_to_its_input_is_reported(make_backend, runs: Runs, tmp_path: Path) -> None:
    module = write_module(tmp_path / "mods", "clobber", CLOBBER)
    backend = make_backend()
    result = result_of(run_all(backend, runs.make("w", module))["w"])
    if in_container(backend):  # inputs are mounted read-only: the write itself fails
        assert not result.ok and result.changed_inputs == []
        assert result.error.startswith("OSError: [Errno 30] Read-only file system")
        return
    assert not result.ok and result.changed_inputs == [("image", "in.ome.tif")]
    assert runs.image.read_bytes() != b"CLOBBERED"  # the user's file was a copy


def test_cancel_stops_the_run_and_frees_its_slot(make_backend, runs: Runs) -> None:
    backend = make_backend()
    slow, next_one = runs.make("slow", "add", sleep=30.0), runs.make("next", "add")
    backend.submit(slow)
    while not any(isinstance(u, NodeProgress) for u in backend.poll(0.2)):
        pass  # the module is running
    started = time.monotonic()
    backend.cancel("slow")
    assert time.monotonic() - started < 10 and backend.can_start(next_one)
    assert result_of(run_all(backend, next_one)["next"]).ok  # and no result ever came for 'slow'


def test_a_run_past_its_timeout_is_stopped(make_backend, runs: Runs) -> None:
    request = runs.make("t", "add", ResourceRequest(timeout_s=1.0), sleep=30.0)
    result = result_of(run_all(make_backend(), request, limit_s=30)["t"])
    assert (result.ok, result.error) == (False, "exceeded its 1 s timeout and was stopped")


def test_release_deletes_the_task_files(make_backend, runs: Runs) -> None:
    backend = make_backend()
    result = result_of(run_all(backend, runs.make("r", "add"))["r"])
    path = result.artifacts["image.ome.tif"].path
    assert path.is_file()
    backend.release("r")
    assert not path.exists() and not result.log.exists()


# ----- what only the isolated backend promises ------------------------------------------------
def test_isolated_tasks_share_no_files(runs: Runs, tmp_path: Path) -> None:
    backend = IsolatedBackend(1)
    try:
        result = result_of(run_all(backend, runs.make("i", "add"))["i"])
        task = result.artifacts["image.ome.tif"].path.parents[1]
        files = [p for p in task.rglob("*")]
        assert not any(p.is_symlink() for p in files)
        spec = json.loads((task / "task.json").read_text())
        shipped = task / spec["inputs"]["image"][0]
        assert shipped.read_bytes() == runs.image.read_bytes() and not shipped.samefile(runs.image)
        assert not task.is_relative_to(tmp_path)
    finally:
        backend.close()
    assert not backend.root.exists()


def test_isolated_refuses_an_input_whose_content_changed(runs: Runs) -> None:
    backend = IsolatedBackend(1)
    try:
        request = runs.make("d", "add")
        runs.image.write_bytes(runs.image.read_bytes() + b"extra")
        result = result_of(run_all(backend, request)["d"])
        assert (result.ok, result.error) == (False, "input 'image' (in.ome.tif) changed since it "
                                             "was hashed")
    finally:
        backend.close()


def test_local_workers_stay_warm_across_runs(runs: Runs, tmp_path: Path) -> None:
    backend = LocalBackend(1, scratch=tmp_path)
    try:
        run_all(backend, runs.make("w1", "add"))
        first = backend.worker_pids
        run_all(backend, runs.make("w2", "add", amount=3))
        assert backend.worker_pids == first and len(first) == 1
        assert os.path.exists(f"/proc/{first[0]}")
    finally:
        backend.close()


def test_the_worker_start_and_the_reaper_name_the_same_marker() -> None:
    from lamella.runner import _workers
    from lamella.runner.backends import _reaping

    assert _workers.MARKER == _reaping.MARKER


def test_a_worker_started_early_is_adopted_by_the_first_run(runs: Runs, tmp_path: Path) -> None:
    # `lamella run` starts one worker before it reads the workflow; the backend takes it.
    from lamella.runner import _workers

    _workers.start_early(1)
    early = _workers._early[0].process
    backend = LocalBackend(1, scratch=tmp_path)
    try:
        result = result_of(run_all(backend, runs.make("e", "add"))["e"])
        assert result.ok and backend.worker_pids == [early.pid]
        assert _workers._early == []
    finally:
        backend.close()


def test_a_worker_started_early_for_other_threads_ends_unused(runs: Runs, tmp_path: Path) -> None:
    from lamella.runner import _workers

    _workers.start_early(1)  # one job: it may use every core's thread
    early = _workers._early[0].process
    backend = LocalBackend(2, scratch=tmp_path)  # two jobs: fewer threads each (on 2+ cores)
    try:
        result = result_of(run_all(backend, runs.make("t", "add"))["t"])
        assert result.ok
        if backend.threads != _workers.threads_per_worker(1):
            assert early.pid not in backend.worker_pids
            assert early.wait(timeout=30) is not None  # its pipe closed: it ended
    finally:
        backend.close()
        early.wait(timeout=30)


BROKEN_AT_IMPORT = """\
print("importing broken")
raise ImportError("No module named 'not_installed_here'")
"""


def test_local_workers_import_the_run_modules_ahead(runs: Runs, tmp_path: Path) -> None:
    # Told which modules a run needs, every worker starts and imports them while idle; a
    # module that fails to import is reported by its own task, as without the hint.
    marker = tmp_path / "imports"
    ahead = write_module(tmp_path / "mods", "ahead", f"open({str(marker)!r}, 'a').write('x')\n"
                         "def run(task):\n    task.save_table('table', [{'n': 1}])\n", inputs=())
    broken = write_module(tmp_path / "mods", "broken", BROKEN_AT_IMPORT, inputs=())
    backend = LocalBackend(2, scratch=tmp_path)
    try:
        backend.prepare([runs.make("b", broken).module, runs.make("a", ahead).module])
        assert len(backend.worker_pids) == 2
        deadline = time.monotonic() + 60
        while (not marker.exists() or marker.read_text() != "xx") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "xx"  # imported once by each worker
        failed = result_of(run_all(backend, runs.make("b", broken))["b"])
        assert (failed.ok, failed.error) == (False, "ImportError: No module named 'not_installed_here'")
        assert failed.log is not None and "importing broken" in failed.log.read_text()
        done = result_of(run_all(backend, runs.make("a", ahead))["a"])
        assert done.ok and marker.read_text() == "xx"  # the task found it imported
    finally:
        backend.close()


# ----- processes a module starts ----------------------------------------------------------------
def _spawning_run(runs: Runs, tmp_path: Path, mode: str) -> tuple[RunRequest, Path]:
    from tests.runner.test_child_processes import spawner

    module = spawner(tmp_path / f"mods-{mode}")
    pids = tmp_path / f"pids-{mode}"
    return runs.make(mode, module, mode=mode, pid_file=str(pids)), pids


def _alive(pids: Path) -> list[int]:
    from tests.runner.test_child_processes import running

    return [pid for pid in map(int, pids.read_text().split()) if running(pid)]


@pytest.mark.parametrize("mode", ["finish", "fail"])
def test_processes_a_module_started_end_with_its_run(make_backend, runs: Runs, tmp_path: Path,
                                                     mode: str) -> None:
    request, pids = _spawning_run(runs, tmp_path, mode)
    backend = make_backend()
    if in_container(backend):
        pytest.skip("a container's processes end with it (its own PID namespace), and their "
                    "pids are not this machine's: tests/docker checks no container outlives a run")
    result = result_of(run_all(backend, request)[mode])
    assert result.ok == (mode == "finish")
    assert len(pids.read_text().split()) == 2 and _alive(pids) == []
    assert result.log is not None
    assert result.log.read_text().splitlines()[-1] == ("[lamella: ended 2 process(es) the module "
                                                       "left running]")


def test_cancel_ends_the_processes_a_module_started(make_backend, runs: Runs,
                                                    tmp_path: Path) -> None:
    backend = make_backend()
    if in_container(backend):
        pytest.skip("a container's processes end with it (its own PID namespace)")
    request, pids = _spawning_run(runs, tmp_path, "hang")
    backend.submit(request)
    while not (pids.is_file() and len(pids.read_text().split()) == 2):
        backend.poll(0.2)
    backend.cancel("hang")
    assert _alive(pids) == []
