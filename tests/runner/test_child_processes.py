"""Processes a module starts end with its node: a plain child and a detached one (double fork
and setsid), whether the node finishes, fails, runs past its time limit or the run is
interrupted, on every backend.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lamella.runner import Analysis
from tests.runner.tmp_modules import write_module

LAMELLA = str(Path(sys.executable).parent / "lamella")

# Starts `sleep 300` twice: once as a plain child, once detached (its own session, its parent
# gone, so it is nobody's child but init's, or the nearest subreaper's), and writes both pids.
SPAWNER = """\
import os
import subprocess
import time


def _detached():
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "300"])
        os._exit(0)
    os.waitpid(child, 0)


def run(task):
    plain = subprocess.Popen(["sleep", "300"])
    deadline = time.monotonic() + 30
    while plain.pid not in _sleepers() and time.monotonic() < deadline:
        time.sleep(0.01)  # until it runs sleep (before, it is a copy of this process)
    before = set(_sleepers())
    _detached()
    while not (set(_sleepers()) - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    detached = sorted(set(_sleepers()) - before)
    with open(task.param("pid_file"), "w") as handle:
        handle.write(f"{plain.pid}\\n{detached[0]}\\n")
    print("started children", flush=True)
    mode = task.param("mode")
    if mode == "fail":
        raise RuntimeError("gave up")
    if mode == "hang":
        time.sleep(300)
    if mode == "crash":
        os._exit(3)
    task.save_table("table", [{"children": 2}])


def _sleepers():
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if handle.read() == b"sleep\\x00300\\x00":
                        found.append(int(entry))
            except OSError:
                pass
    return found
"""

WORKFLOW = """\
lamella: 1
name: children
nodes:
  spawn: {module: test/spawner@1, params: {mode: MODE, pid_file: PIDS}}
outputs: {table: spawn.table}
"""


def spawner(folder: Path) -> Path:
    module = write_module(folder, "spawner", SPAWNER, inputs=())
    manifest = json.loads((module / "module.json").read_text())
    manifest["parameters"] = {
        "mode": {"type": "enum", "choices": ["finish", "fail", "hang", "crash"], "default": "finish",
                 "description": "How the run ends."},
        "pid_file": {"type": "string", "default": "", "description": "Where the pids go."}}
    (module / "module.json").write_text(json.dumps(manifest))
    return module


@pytest.fixture
def workflow(tmp_path: Path):  # type: ignore[no-untyped-def]
    spawner(tmp_path / "mods")

    def make(mode: str) -> Path:
        path = tmp_path / f"{mode}.yaml"
        path.write_text(WORKFLOW.replace("MODE", mode).replace("PIDS", str(tmp_path / "pids")))
        return path

    yield make
    # A failing test must not leave its sleepers behind.
    for pid in started_pids(tmp_path) if (tmp_path / "pids").is_file() else []:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


def started_pids(tmp_path: Path) -> list[int]:
    text = (tmp_path / "pids").read_text()
    pids = [int(line) for line in text.split()]
    assert len(pids) == 2 and all(pid > 0 for pid in pids)
    return pids


def running(pid: int) -> bool:
    """True if ``pid`` exists at all (a zombie nobody reaps counts: it still holds its pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("backend", ["local", "isolated"])
@pytest.mark.parametrize(("mode", "status"), [("finish", "finished"), ("fail", "failed")])
def test_children_end_with_the_node(workflow, tmp_path: Path, backend: str, mode: str,
                                    status: str) -> None:
    analysis = Analysis.load(workflow(mode), modules=[tmp_path / "mods"])
    result = analysis.run(out=tmp_path / "out", backend=backend)
    assert [job.status for job in result.jobs] == [status]
    assert [pid for pid in started_pids(tmp_path) if running(pid)] == []


@pytest.mark.parametrize("backend", ["local", "isolated"])
def test_children_end_with_a_node_past_its_timeout(workflow, tmp_path: Path, backend: str) -> None:
    analysis = Analysis.load(workflow("hang"), modules=[tmp_path / "mods"])
    result = analysis.run(out=tmp_path / "out", backend=backend, timeout="3 s")
    assert [job.status for job in result.jobs] == ["failed"]
    assert result.jobs[0].error.startswith("node 'spawn' (test/spawner 1.0.0) exceeded its 3 s")
    assert [pid for pid in started_pids(tmp_path) if running(pid)] == []


def test_a_local_worker_stays_warm_after_ending_children(workflow, tmp_path: Path) -> None:
    from lamella.runner import Session

    analysis = Analysis.load(workflow("finish"), modules=[tmp_path / "mods"])
    with Session(jobs=1) as session:
        first = session.run(analysis, out=tmp_path / "one")
        workers = session.backend.worker_pids  # type: ignore[attr-defined]
        second = session.run(analysis, out=tmp_path / "two", use_cache=False)
        assert session.backend.worker_pids == workers  # type: ignore[attr-defined]
    assert [first.status, second.status] == ["succeeded", "succeeded"]
    assert [pid for pid in started_pids(tmp_path) if running(pid)] == []


@pytest.mark.parametrize("backend", ["local", "isolated"])
def test_children_end_when_the_command_line_run_is_interrupted(workflow, tmp_path: Path,
                                                               backend: str) -> None:
    run = subprocess.Popen(
        [LAMELLA, "run", str(workflow("hang")), "--modules", "mods", "-o", "out", "-q",
         "--backend", backend], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
            (tmp_path / "pids").is_file() and len((tmp_path / "pids").read_text().split()) == 2):
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert [pid for pid in started_pids(tmp_path) if running(pid)] == []


def ended(pid: int) -> bool:
    """Gone, or a zombie: dead, waiting for a parent's wait (init here may not reap)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("backend", ["local", "isolated"])
def test_children_end_when_the_module_process_dies(workflow, tmp_path: Path, backend: str) -> None:
    analysis = Analysis.load(workflow("crash"), modules=[tmp_path / "mods"])
    result = analysis.run(out=tmp_path / "out", backend=backend)
    assert [(job.status, job.error) for job in result.jobs] == [
        ("failed", "module process exited with exit status 3")]
    pids = started_pids(tmp_path)
    if backend == "isolated":  # its wrapper outlives the module and reaps them
        assert [pid for pid in pids if running(pid)] == []
    # A local worker that died cannot reap them: the runner kills them by their marker.
    assert [pid for pid in pids if not ended(pid)] == []
