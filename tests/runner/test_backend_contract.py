"""The contract every execution backend must meet, run here against the local backend.

Later backends (docker, dask) join by adding a factory to BACKENDS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lamella.core.cache_keys import file_digest
from lamella.core.manifest import load_manifest, resolve_params
from lamella.core.sdk import LOG_FILE, Image, prepare_task_folder, write_image
from lamella.runner.backends import Backend, LocalBackend, NodeProgress, NodeResult, NodeRun

BACKENDS: dict[str, Callable[[int], Backend]] = {"local": LocalBackend}


@pytest.fixture(params=sorted(BACKENDS))
def make_backend(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    made: list[Backend] = []

    def factory(slots: int = 1) -> Backend:
        made.append(BACKENDS[request.param](slots))
        return made[-1]

    yield factory
    for backend in made:
        backend.close()


class Runs:
    """Prepares task folders for the fixture modules."""

    def __init__(self, modules: Path, tmp: Path) -> None:
        self.modules, self.tmp = modules, tmp
        self.image = write_image(tmp / "in.ome.tif", Image(np.full((4, 4), 7, np.uint16), "YX"))

    def make(self, job_id: str, module: str, **params: object) -> NodeRun:
        folder = self.modules / module
        manifest = load_manifest(folder / "module.json")
        task_dir = self.tmp / job_id
        inputs = {"image": [self.image]} if "image" in manifest.inputs else {}
        prepare_task_folder(task_dir, node=job_id, manifest=manifest, inputs=inputs,
                            params=resolve_params(manifest, params))
        (task_dir / LOG_FILE).touch()
        return NodeRun(job_id, job_id, "item", manifest, folder, task_dir, task_dir / LOG_FILE)


@pytest.fixture
def runs(fixture_modules: Path, tmp_path: Path) -> Runs:
    return Runs(fixture_modules, tmp_path)


def run_all(backend: Backend, *node_runs: NodeRun, limit_s: float = 120) -> dict[str, list]:
    """Submit runs as slots free up; return every update per job id."""
    pending, updates = list(node_runs), {r.job_id: [] for r in node_runs}
    finished: set[str] = set()
    deadline = time.monotonic() + limit_s
    while len(finished) < len(node_runs) and time.monotonic() < deadline:
        while pending and backend.free_slots > 0:
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


def test_success_reports_output_digests(make_backend, runs: Runs) -> None:
    run = runs.make("ok", "add", amount=2)
    result = result_of(run_all(make_backend(), run)["ok"])
    out = run.task_dir / "outputs" / "image.ome.tif"
    assert result.ok and result.error == ""
    assert result.output_digests == {"image.ome.tif": file_digest(out)}
    assert run.log_path.read_text() == "adding 2\n"


def test_progress_is_forwarded(make_backend, runs: Runs) -> None:
    updates = run_all(make_backend(), runs.make("p", "add", sleep=1.0))["p"]
    fractions = [u.fraction for u in updates if isinstance(u, NodeProgress)]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)


@pytest.mark.parametrize(("mode", "error", "exit_status"), [
    ("raise", "ValueError: bad pixel at (3, 4)", 1),   # the container entry's statuses
    ("fail", "parameter 'mode': asked to fail", 2),
    ("exit", "module process exited with exit status 3", 3),
    ("segfault", "module process killed by SIGSEGV (segmentation fault)", -11),
])
def test_failures_are_results_not_crashes(make_backend, runs: Runs, mode: str, error: str,
                                          exit_status: int | None) -> None:
    backend = make_backend()
    bad, good = runs.make("bad", "crash", mode=mode), runs.make("good", "add")
    updates = run_all(backend, bad, good)
    result = result_of(updates["bad"])
    assert (result.ok, result.error, result.exit_status) == (False, error, exit_status)
    assert result_of(updates["good"]).ok  # the backend carries on after the failure
    log = bad.log_path.read_text()
    assert log.startswith("crash module starting\n")
    if mode == "raise":
        assert "Traceback" in log and log.rstrip().endswith("ValueError: bad pixel at (3, 4)")
    if mode == "segfault":
        assert "Fatal Python error: Segmentation fault" in log


def test_slots_run_in_parallel(make_backend, runs: Runs) -> None:
    backend = make_backend(2)
    assert backend.free_slots == 2
    backend.submit(runs.make("a", "add", sleep=2.0))
    backend.submit(runs.make("b", "add", sleep=2.0))
    assert backend.free_slots == 0
    sequence: list[tuple[str, str]] = []
    while sum(kind == "result" for _, kind in sequence) < 2:
        for update in backend.poll(0.2):
            sequence.append((update.job_id, "result" if isinstance(update, NodeResult) else "progress"))
    # Run one after the other, one job's first progress would follow the other's result.
    first_result = next(i for i, (_, kind) in enumerate(sequence) if kind == "result")
    started_before = {job for job, kind in sequence[:first_result] if kind == "progress"}
    assert started_before == {"a", "b"}
    assert backend.free_slots == 2
