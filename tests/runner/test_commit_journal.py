"""A run killed at any point of its commit step: the folder holds one whole run's results.

The commit is run in a forked child that kills itself (SIGKILL) just before its N-th change
to the filesystem (rename, removal, new folder), for every N the step makes. The next
opening of the folder must then leave exactly the previous run's results and record, or
exactly the killed run's: never a mix, and nothing hidden left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lamella.core.sdk import Image, write_image
from lamella.runner.api import ArgumentError
from lamella.runner.engine import OutputFolder
from lamella.runner.engine._publish import complete_commit
from tests.runner.test_engine import CHAIN
from tests.runner.test_results_folder import contents

# Calls that change the filesystem; the commit step makes its changes with these.
CHANGES = ("replace", "rename", "unlink", "rmdir", "mkdir")
NEVER = 10**9


def run_in_child(run: Callable[[], object], kill_at: int, counted: Path,
                 stop: signal.Signals = signal.SIGKILL) -> int:
    """Run ``run`` in a forked child that sends itself ``stop`` before the commit's ``kill_at``-th change.

    Returns the child's wait status (exit status 130 for a KeyboardInterrupt); the number of
    changes it made is written to ``counted``.
    """
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            _count_commit_changes(kill_at, counted, stop)
            run()
        except KeyboardInterrupt:
            status = 130
        finally:
            os._exit(status)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the run killed at change {kill_at} did not end within 120 s")


def _count_commit_changes(kill_at: int, counted: Path, stop: signal.Signals) -> None:
    state = {"committing": False, "changes": 0}
    commit = OutputFolder.commit

    def committing(self, record_text):  # type: ignore[no-untyped-def]
        state["committing"] = True
        try:
            return commit(self, record_text)
        finally:
            state["committing"] = False
            counted.write_text(str(state["changes"]))

    def counting(change):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            if state["committing"]:
                state["changes"] += 1
                if state["changes"] == kill_at:
                    os.kill(os.getpid(), stop)
            return change(*args, **kwargs)
        return call

    OutputFolder.commit = committing  # type: ignore[method-assign]
    for name in CHANGES:
        setattr(os, name, counting(getattr(os, name)))


def reopen(out: Path) -> None:
    """What every run does first on opening a results folder (and nothing else)."""
    OutputFolder.open(out, batch=False, run_id="reopen", items=[], outputs=[]).close()


def which_run(out: Path, runs: dict[str, dict[str, bytes]]) -> str:
    """The name of the run whose results ``out`` holds exactly, or a description of the mix."""
    found = contents(out)
    for name, files in runs.items():
        same_files = {k: v for k, v in found.items() if k != "run-record.json"} == {
            k: v for k, v in files.items() if k != "run-record.json"}
        if sorted(found) == sorted(files) and same_files:
            record = json.loads(found["run-record.json"])
            if record["workflow"]["name"] == json.loads(files["run-record.json"])["workflow"]["name"]:
                return name
    return f"a mix: {sorted(found)}"


@pytest.fixture
def two_runs(make_analysis, tmp_path: Path) -> dict[str, Callable[[Path], object]]:
    """A batch of three images and a single run: one file (``table.csv``) in common."""
    folder = tmp_path / "images"
    folder.mkdir()
    for value in (1, 2, 3):
        write_image(folder / f"img{value}.tif", Image(np.full((4, 4), value, np.uint16), "YX"))
    write_image(tmp_path / "input.ome.tif", Image(np.full((4, 4), 9, np.uint16), "YX"))
    batch = make_analysis(CHAIN)
    single = make_analysis(CHAIN.replace("name: chain", "name: single").replace("5", "7"), "b.yaml")
    return {"batch": lambda out: batch.run(batch=str(folder / "*.tif"), out=out),
            "single": lambda out: single.run(out=out)}


@pytest.mark.parametrize(("before", "killed"), [("batch", "single"), ("single", "batch")])
def test_a_kill_at_any_point_of_the_commit_leaves_one_whole_run(two_runs, tmp_path: Path,
                                                                 before: str, killed: str) -> None:
    reference = {}
    for name in (before, killed):  # the runs as they end when nothing kills them (and cached)
        two_runs[name](tmp_path / f"ref-{name}")
        reference[name] = contents(tmp_path / f"ref-{name}")
    counted = tmp_path / "changes"
    two_runs[before](tmp_path / "counted")
    assert run_in_child(lambda: two_runs[killed](tmp_path / "counted"), NEVER, counted) == 0
    assert which_run(tmp_path / "counted", reference) == killed
    changes = int(counted.read_text())
    assert changes >= 10
    ends = []
    for kill_at in range(1, changes + 1):
        out = tmp_path / f"out-{kill_at}"
        two_runs[before](out)
        status = run_in_child(lambda out=out: two_runs[killed](out), kill_at, counted)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        reopen(out)
        ends.append(which_run(out, {before: reference[before], killed: reference[killed]}))
    # Killed before its journal is in place (a folder made if missing, then a rename): the
    # earlier run; from then on: the killed run, completed.
    assert ends == [before] * 2 + [killed] * (changes - 2)


def test_the_next_run_completes_a_commit_cut_short(two_runs, tmp_path: Path) -> None:
    out = tmp_path / "out"
    two_runs["batch"](out)
    counted = tmp_path / "changes"
    status = run_in_child(lambda: two_runs["single"](out), 5, counted)
    assert os.WIFSIGNALED(status)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".lamella-")) == [
        ".lamella-commit.json", ".lamella-lock", next(p.name for p in out.iterdir()
                                                      if p.name.startswith(".lamella-staging-"))]
    done = subprocess.run([str(Path(sys.executable).parent / "lamella"), "run", "b.yaml",
                           "--modules", str(Path(__file__).parents[1] / "fixtures" / "modules"),
                           "-o", str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(contents(out)) == ["image.ome.tif", "logs/add.log", "logs/stats.log",
                                     "run-record.json", "table.csv"]


def test_complete_commit_finishes_the_step_for_a_reader(two_runs, tmp_path: Path) -> None:
    out = tmp_path / "out"
    two_runs["batch"](out)
    assert os.WIFSIGNALED(run_in_child(lambda: two_runs["single"](out), 12, tmp_path / "n"))
    complete_commit(out)
    assert sorted(contents(out)) == ["image.ome.tif", "logs/add.log", "logs/stats.log",
                                     "run-record.json", "table.csv"]
    assert json.loads((out / "run-record.json").read_text())["workflow"]["name"] == "single"


def test_a_damaged_journal_is_one_line_and_changes_nothing(two_runs, tmp_path: Path) -> None:
    out = tmp_path / "out"
    two_runs["single"](out)
    (out / ".lamella-commit.json").write_text('{"staging": ".lamella-staging-x", "move": ["../x"], '
                                              '"remove": []}')
    before = contents(out)
    with pytest.raises(ArgumentError) as info:
        two_runs["single"](out)
    assert str(info.value) == (f"out={str(out)!r}: its commit journal .lamella-commit.json is "
                               "damaged; remove it and check the results against "
                               "run-record.json, or give another folder")
    assert contents(out) == before


def test_ctrl_c_during_the_commit_waits_for_its_end_with_other_threads_about(two_runs,
                                                                           tmp_path: Path) -> None:
    # The kernel hands a signal the main thread blocks to another thread; Python then runs
    # the handler in the main thread, wherever it is: blocking alone would not hold it back.
    out = tmp_path / "out"
    two_runs["batch"](out)

    def run_beside_a_thread() -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # pytest may run in the background
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        two_runs["single"](out)

    status = run_in_child(run_beside_a_thread, 12, tmp_path / "n", stop=signal.SIGINT)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 130  # after the commit
    assert sorted(contents(out)) == ["image.ome.tif", "logs/add.log", "logs/stats.log",
                                     "run-record.json", "table.csv"]  # no journal left
