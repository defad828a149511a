"""Signals close together: the first stops the run cleanly, later ones never break that.

A second Ctrl-C or SIGTERM while the run is stopping is ignored; a third ends the command
at once, and the results folder then holds a valid record (the earlier one, or this run's).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.runner.processes import LAMELLA
from tests.runner.test_results_folder import SLOW, contents, lamella, start_run

STATUSES = {"finished", "cached", "failed", "skipped", "interrupted", "cancelled", "not_started"}
INTERRUPTED = ("error: interrupted; run the same command again to resume (finished nodes are "
               "reused from the cache)")


@pytest.fixture
def workdir(tmp_path: Path, fixture_modules: Path, image_file: Path) -> Path:
    (tmp_path / "mods").symlink_to(fixture_modules)
    for sleep in (0, 30):
        (tmp_path / f"slow-{sleep}.yaml").write_text(SLOW.format(sleep=sleep))
    return tmp_path


def send(run, stop: signal.Signals, times: int, apart_s: float) -> str:  # type: ignore[no-untyped-def]
    """Send ``stop`` ``times`` times, ``apart_s`` apart; return the run's stderr once it ended."""
    for n in range(times):
        if n:
            time.sleep(apart_s)
        run.send_signal(stop)
    _, err = run.communicate(timeout=120)
    return err  # type: ignore[no-any-return]


def test_two_sigterms_30_ms_apart_stop_the_run_cleanly(workdir: Path, isolated_cache: Path) -> None:
    run = start_run(workdir, "slow-30.yaml", started=3)  # gen, then a and b run
    workers = psutil.Process(run.pid).children()
    err = send(run, signal.SIGTERM, 2, 0.03)
    assert run.returncode == 130
    assert err.splitlines()[-1] == INTERRUPTED
    record = json.loads((workdir / "out" / "run-record.json").read_text())
    nodes = record["items"]["slow"]["nodes"]
    assert record["status"] == "interrupted"
    assert {n: nodes[n]["status"] for n in nodes} == {"gen": "finished", "a": "interrupted",
                                                      "b": "interrupted"}
    assert sorted(contents(workdir / "out")) == ["logs/a.log", "logs/b.log", "logs/gen.log",
                                                 "run-record.json"]
    assert list((isolated_cache / "tmp").iterdir()) == []
    assert psutil.wait_procs(workers, timeout=30)[1] == []


def test_three_sigints_10_ms_apart_leave_a_valid_record(workdir: Path, isolated_cache: Path) -> None:
    assert lamella("run", "slow-0.yaml", "--modules", "mods", "-o", "out", cwd=workdir).returncode == 0
    before = {k: v for k, v in contents(workdir / "out").items() if not k.startswith(".")}
    run = start_run(workdir, "slow-30.yaml", started=2)  # gen reused, a and b run
    err = send(run, signal.SIGINT, 3, 0.01)
    assert run.returncode == 130
    assert "Traceback" not in err
    after = {k: v for k, v in contents(workdir / "out").items() if not k.startswith(".")}
    if after != before:  # the run's own record made it: whole, with documented statuses only
        record = json.loads(after["run-record.json"])
        nodes = record["items"]["slow"]["nodes"]
        assert record["status"] == "interrupted"
        assert {nodes[n]["status"] for n in nodes} <= STATUSES
        assert sorted(after) == sorted({"run-record.json"} | {nodes[n]["log"] for n in nodes
                                                              if nodes[n]["log"]})
    # The next run into the folder finds it in order, and leaves nothing of the stopped one.
    done = lamella("run", "slow-0.yaml", "--modules", "mods", "-o", "out", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert sorted(contents(workdir / "out")) == sorted(before)
    assert list((isolated_cache / "tmp").iterdir()) == []


def ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a POSIX shell starts a background job


def test_a_background_job_ignores_ctrl_c_and_stops_on_sigterm(workdir: Path) -> None:
    (workdir / "slow-2.yaml").write_text(SLOW.format(sleep=2))
    runs = []
    for stop in (signal.SIGINT, signal.SIGTERM):
        run = subprocess.Popen([LAMELLA, "run", "slow-2.yaml", "--modules", "mods", "-o",
                                f"out-{stop.name}", "--json-events", "--no-cache"], cwd=workdir,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=ignoring_sigint)
        assert run.stdout is not None
        line = "{}"
        while json.loads(line).get("kind") != "node_started":
            line = run.stdout.readline()
            assert line, run.communicate(timeout=60)[1]  # it ended early: say why
        run.send_signal(stop)
        run.communicate(timeout=120)
        record = json.loads((workdir / f"out-{stop.name}" / "run-record.json").read_text())
        runs.append((run.returncode, record["status"]))
    assert runs == [(0, "succeeded"), (130, "interrupted")]
