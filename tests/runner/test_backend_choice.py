"""Choosing a backend, stopping at target nodes, GPUs, and modules a backend cannot run."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.runner import Analysis
from tests.runner.test_engine import CHAIN
from tests.runner.tmp_modules import write_module

LAMELLA = str(Path(sys.executable).parent / "lamella")

GPU_CODE = """\
import os

def run(task):
    print("CUDA_VISIBLE_DEVICES=" + os.environ["CUDA_VISIBLE_DEVICES"])
    task.save_table("table", [{"gpus": ",".join(task.spec.resources.gpu_ids)}])
"""

TWO_GPU_STEPS = """\
lamella: 1
name: gpus
inputs:
  image: {type: image, default: input.ome.tif}
nodes:
  first: {module: test/gpu@1, params: {tag: 1}, in: {image: $inputs.image}}
  second: {module: test/gpu@1, params: {tag: 2}, in: {image: $inputs.image}}
outputs: {first: first.table, second: second.table}
"""

# Two steps with different values, so the second does not reuse the first's result.
TAG = {"tag": {"type": "int", "default": 0, "description": "Which step this is."}}


def lamella(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.fixture
def workdir(tmp_path: Path, image_file: Path, fixture_modules: Path) -> Path:
    (tmp_path / "chain.yaml").write_text(CHAIN)
    (tmp_path / "mods").symlink_to(fixture_modules)
    return tmp_path


def module_with(folder: Path, name: str, code: str, **manifest: object) -> Path:
    """A module written by :func:`write_module`, with more manifest fields."""
    module = write_module(folder, name, code)
    data = json.loads((module / "module.json").read_text())
    (module / "module.json").write_text(json.dumps({**data, **manifest}))
    return module


def test_isolated_and_local_give_the_same_files(workdir: Path) -> None:
    for backend in ("local", "isolated"):
        done = lamella("run", "chain.yaml", "--modules", "mods", "-o", backend, "--no-cache",
                       "--backend", backend, cwd=workdir)
        assert done.returncode == 0, done.stderr
    for name in ("table.csv", "image.ome.tif"):
        assert (workdir / "local" / name).read_bytes() == (workdir / "isolated" / name).read_bytes()
    record = json.loads((workdir / "isolated" / "run-record.json").read_text())
    assert record["backend"]["name"] == "isolated" and not record["backend"]["shared_filesystem"]
    assert record["items"]["chain"]["nodes"]["add"]["host"] == socket.gethostname()
    assert (workdir / "isolated" / "logs" / "add.log").read_text() == "adding 5\n"


def test_an_unknown_backend_is_refused_with_the_names(workdir: Path) -> None:
    done = lamella("run", "chain.yaml", "--modules", "mods", "--backend", "isolatd", cwd=workdir)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --backend isolatd: no such backend (did you mean "
                                   "'isolated'?) (backends: docker, isolated, local)")


def test_until_runs_only_what_the_node_needs(workdir: Path) -> None:
    done = lamella("run", "chain.yaml", "--modules", "mods", "-o", "out", "--until", "add",
                   cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["image.ome.tif", "logs",
                                                                   "run-record.json"]
    record = json.loads((workdir / "out" / "run-record.json").read_text())
    assert list(record["items"]["chain"]["nodes"]) == ["add"] and record["targets"] == ["add"]
    wrong = lamella("run", "chain.yaml", "--modules", "mods", "--until", "stat", cwd=workdir)
    assert (wrong.returncode, wrong.stderr.strip()) == (2, "error: --until: the workflow has no "
                                                       "node 'stat' (did you mean 'stats'?) "
                                                       "(nodes: add, stats)")


def test_each_gpu_step_gets_its_own_device(workdir: Path) -> None:
    # No GPU exists here: the test checks the exact request that reaches each module.
    module_with(workdir / "own", "gpu", GPU_CODE, resources={"gpu": "required"}, parameters=TAG)
    (workdir / "gpus.yaml").write_text(TWO_GPU_STEPS)
    done = lamella("run", "gpus.yaml", "--modules", "own", "-o", "out", "--gpus", "0,1",
                   "--jobs", "2", cwd=workdir)
    assert done.returncode == 0, done.stderr
    record = json.loads((workdir / "out" / "run-record.json").read_text())
    nodes = record["items"]["gpus"]["nodes"]
    given = {node: nodes[node]["gpu_ids"] for node in ("first", "second")}
    assert sorted(map(tuple, given.values())) == [("0",), ("1",)]
    assert record["backend"]["hosts"][0]["gpu_ids"] == ["0", "1"]
    for node, ids in given.items():
        assert (workdir / "out" / f"{node}.csv").read_text() == f"gpus\n{ids[0]}\n"
        assert (workdir / "out" / "logs" / f"{node}.log").read_text() == f"CUDA_VISIBLE_DEVICES={ids[0]}\n"


def test_a_gpu_step_without_a_gpu_fails_in_one_line(workdir: Path, image_file: Path) -> None:
    module_with(workdir / "own", "gpu", GPU_CODE, resources={"gpu": "required"}, parameters=TAG)
    (workdir / "gpus.yaml").write_text(TWO_GPU_STEPS)
    result = Analysis.load(workdir / "gpus.yaml", modules=[workdir / "own"]).run(
        out=workdir / "out", gpus=[])
    assert result.status == "failed"
    assert {job.node.id: job.error for job in result.jobs} == {
        node: (f"node '{node}': needs a GPU, and backend 'local' has none (give GPUs with --gpus, "
               "e.g. --gpus all, or run on a backend with GPUs)") for node in ("first", "second")}


def test_a_missing_package_is_named_before_the_module_runs(workdir: Path, image_file: Path) -> None:
    module = write_module(workdir / "own", "needy", 'def run(task):\n    import torchlike\n')
    (module / "requirements.txt").write_text("numpy>=1.26\nsurely-not-installed-pkg>=2.0\n")
    (workdir / "needy.yaml").write_text(CHAIN.replace("test/add@1, params: {amount: 5}",
                                                      "test/needy@1").replace(
        "stats: {module: test/stats@1, in: {image: add.image}}", "").replace(
        "outputs: {table: stats.table, image: add.image}", "outputs: {table: add.table}"))
    result = Analysis.load(workdir / "needy.yaml", modules=[workdir / "own"]).run(out=workdir / "o")
    (job,) = result.jobs
    assert (job.status, job.error) == ("failed", "node 'add': module test/needy needs "
                                       "surely-not-installed-pkg>=2.0: pip install "
                                       "'surely-not-installed-pkg>=2.0'")
    assert job.log is None  # it never started


def test_a_container_module_is_refused_by_a_folder_backend(workdir: Path, image_file: Path) -> None:
    module = module_with(workdir / "own", "boxed", "", kind="container", image="test/boxed:1.0.0")
    (module / "main.py").unlink()
    (workdir / "boxed.yaml").write_text(CHAIN.replace("test/add@1, params: {amount: 5}",
                                                      "test/boxed@1").replace(
        "stats: {module: test/stats@1, in: {image: add.image}}", "").replace(
        "outputs: {table: stats.table, image: add.image}", "outputs: {table: add.table}"))
    for backend in ("local", "isolated"):
        result = Analysis.load(workdir / "boxed.yaml", modules=[workdir / "own"]).run(
            out=workdir / backend, backend=backend)
        assert result.jobs[0].error == (
            f"node 'add': module test/boxed@1.0.0 is a container module and backend '{backend}' "
            "runs only Python module folders; run it on a container backend (--backend docker)")
