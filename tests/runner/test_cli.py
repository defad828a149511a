"""The ``lamella`` command as users type it: exit codes, one-line errors, output formats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.runner.processes import LAMELLA, start_lamella
from tests.runner.test_engine import BRANCHES, CHAIN


def lamella(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def workdir(tmp_path: Path, image_file: Path, fixture_modules: Path) -> Path:
    (tmp_path / "chain.yaml").write_text(CHAIN)
    (tmp_path / "branches.yaml").write_text(BRANCHES.replace("MODE", "exit"))
    (tmp_path / "mods").symlink_to(fixture_modules)
    return tmp_path


def test_run_prints_where_results_are(workdir: Path) -> None:
    done = lamella("run", "chain.yaml", "--modules", "mods", "--out", "out", cwd=workdir)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-4:] == ["Results in out/", "  table        table.csv", "  image        image.ome.tif",
                          "  run record   run-record.json"]
    assert any(line.startswith("Run succeeded (2 ran, 0 reused from cache;") for line in lines)
    assert "add: done in" in done.stdout  # not a terminal: one plain line per node state


def test_explain_and_quiet(workdir: Path) -> None:
    lamella("run", "chain.yaml", "--modules", "mods", "-o", "out", cwd=workdir)
    done = lamella("run", "chain.yaml", "--modules", "mods", "-o", "out", "--explain", "-q",
                   cwd=workdir)
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "Why each node ran or was reused:"
    assert done.stdout.splitlines()[1].startswith("  add: reused: same module, parameters and inputs")
    assert "Results in" not in done.stdout  # --quiet: no summary when all is well


def test_json_events_are_one_object_per_line(workdir: Path) -> None:
    done = lamella("run", "chain.yaml", "--modules", "mods", "-o", "out", "--json-events", cwd=workdir)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("node_finished") == 2 and events[-1]["message"] == "succeeded"
    assert "Results in out/" in done.stderr  # human text goes to stderr


def test_failed_node_is_reported_and_exit_code_is_1(workdir: Path) -> None:
    done = lamella("run", "branches.yaml", "--modules", "mods", "-o", "out", cwd=workdir)
    assert done.returncode == 1
    assert ("✗ node 'bad' (test/crash 1.0.0) failed: module process exited with exit status 3"
            in done.stderr)
    assert "  log: out/logs/bad.log (last lines):" in done.stderr
    assert "  | crash module starting" in done.stderr
    assert "  skipped because it failed: after-bad" in done.stderr
    assert "Run failed (2 ran, 0 reused from cache, 1 failed, 1 skipped)." in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["run", "missing.yaml"], "error: missing.yaml: workflow file not found (check the path)"),
    (["run", "chain.yaml", "--modules", "mods", "--input", "image"],
     "error: --input 'image': write NAME=PATH, e.g. --input image=my.tif"),
    (["run", "chain.yaml", "--modules", "mods", "--input", "image=nope.tif"],
     "error: input 'image': {workdir}/nope.tif: file not found (check the path)"),
    (["run", "chain.yaml"],
     "error: {workdir}/chain.yaml: 2 problems in workflow"),
    (["modules", "show", "test/nothing", "--modules", "mods"],
     "error: unknown module 'test/nothing'"),
    (["run", "chain.yaml", "--bogus"], "error: unrecognized arguments: --bogus (see `lamella --help`)"),
    (["run"], "error: the following arguments are required: workflow (see `lamella run --help`)"),
    (["run", "chain.yaml", "--jobs", "0"],
     "error: argument -j/--jobs: must be 1 or more, got 0 (see `lamella run --help`)"),
    (["cache"], "error: the following arguments are required: ACTION (see `lamella cache --help`)"),
    (["run", "chain.yaml", "--modules", "mods", "--input", "image=a.tif", "--input", "image=b.tif"],
     "error: --input image: given twice (a.tif and b.tif); give each input once, or use --batch "
     "for many files"),
    (["run", "chain.yaml", "--modules", "mods", "--batch", "imgae=*.tif"],
     "error: --batch imgae=*.tif: the workflow has no input 'imgae' (did you mean 'image'?) "
     "(inputs: image)"),
    (["run", "chain.yaml", "--modules", "mods", "--batch", "*.tif", "--input", "image=x.tif"],
     "error: --batch *.tif: input 'image' is given twice, as a batch and as one file; give it once"),
    (["run", "chain.yaml", "--modules", "mods", "--batch", "mod*"],
     "error: --batch mod*: no files match (only folders match; end the pattern with e.g. /*.tif)"),
    (["validate", "chain.yaml", "--modules", "."],
     "error: --modules .: no module folders in it (a module folder holds module.json"),
    (["validate", "."], "error: .: is a folder; give the workflow's .yaml file"),
])
def test_bad_input_is_one_clear_error(workdir: Path, args: list[str], message: str) -> None:
    done = lamella(*args, cwd=workdir)
    assert done.returncode == 2
    assert done.stderr.startswith(message.format(workdir=workdir))
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback(workdir: Path) -> None:
    done = lamella("run", "missing.yaml", "--debug", cwd=workdir)
    assert done.returncode == 2  # the same exit status as without --debug
    assert "Traceback (most recent call last)" in done.stderr
    assert "WorkflowFileError: missing.yaml: workflow file not found" in done.stderr
    assert done.stderr.rstrip().endswith("error: missing.yaml: workflow file not found (check the path)")


def test_json_events_report_a_bad_input(workdir: Path) -> None:
    done = lamella("run", "missing.yaml", "--json-events", cwd=workdir)
    assert done.returncode == 2
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{
        "kind": "error", "message": "missing.yaml: workflow file not found (check the path)",
        "detail": {"exit_status": 2}, "time": json.loads(done.stdout)["time"]}]


def test_validate(workdir: Path) -> None:
    done = lamella("validate", "chain.yaml", "--modules", "mods", cwd=workdir)
    assert (done.returncode, done.stdout) == (0, "chain.yaml: valid (2 nodes)\n  add -> stats\n")


def test_input_without_file_names_the_option(workdir: Path) -> None:
    (workdir / "nd.yaml").write_text(CHAIN.replace(", default: input.ome.tif", ""))
    done = lamella("run", "nd.yaml", "--modules", "mods", cwd=workdir)
    assert (done.returncode, done.stderr) == (2, "error: --input image: no file given, and the "
                                              "workflow has no default for this input\n")


def test_validate_reports_a_missing_default_input(workdir: Path) -> None:
    (workdir / "gone.yaml").write_text(CHAIN.replace("default: input.ome.tif", "default: gone.tif"))
    done = lamella("validate", "gone.yaml", "--modules", "mods", cwd=workdir)
    assert done.returncode == 2
    assert done.stderr == (f"error: input 'image': its default {workdir / 'gone.tif'} is not a file; "
                           "fix 'default' in the workflow, or remove it and pass --input "
                           "image=PATH when running\n")


def test_modules_list_and_show(workdir: Path) -> None:
    listed = lamella("modules", "list", "--modules", "mods", cwd=workdir)
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert ["test/add", "1.0.0", "Preprocessing", "Add", "--modules"] in rows
    shown = lamella("modules", "show", "test/add@1", "--modules", "mods", cwd=workdir)
    assert shown.stdout.splitlines()[0] == "Add (test/add 1.0.0, Preprocessing)"
    assert "  amount         int       default 1; between -100 and 100" in shown.stdout


def test_cache_ls_and_clear(workdir: Path, isolated_cache: Path) -> None:
    lamella("run", "chain.yaml", "--modules", "mods", "-o", "out", cwd=workdir)
    listed = lamella("cache", "ls", cwd=workdir)
    assert listed.stdout.splitlines()[-1].startswith("2 entries, ")
    assert listed.stdout.splitlines()[-1].endswith(f" in {isolated_cache}")
    cleared = lamella("cache", "clear", cwd=workdir)
    assert cleared.stdout.startswith("Removed 2 entries (")
    assert lamella("cache", "ls", cwd=workdir).stdout.startswith("0 entries, ")


SLOW = """\
lamella: 1
name: slow
nodes:
  gen: {module: test/gen@1}
  a: {module: test/add@1, params: {sleep: 30}, in: {image: gen.image}}
  b: {module: test/add@1, params: {sleep: 30, amount: 2}, in: {image: gen.image}}
outputs: {a: a.image, b: b.image}
"""


def start_slow_run(workdir: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """Start a run with two 30 s nodes; return it once both run, with its worker pids."""
    import psutil

    (workdir / "slow.yaml").write_text(SLOW)
    run = start_lamella("run", "slow.yaml", "--modules", "mods", "-o", "out", "--json-events",
                        cwd=workdir)
    with ended_on_failure(run):
        started = 0
        while started < 3:  # gen, then a and b
            started += json.loads(run.stdout.readline())["kind"] == "node_started"  # type: ignore[union-attr]
        workers = [p.pid for p in psutil.Process(run.pid).children()]
        assert len(workers) == 2
    return run, workers


@contextmanager
def ended_on_failure(run: subprocess.Popen[str]) -> Iterator[None]:
    """Kill the run if the block fails: no run outlives its test, no pipe is left open."""
    try:
        yield
    except BaseException:
        run.kill()
        run.communicate(timeout=60)
        raise


def gone(pids: list[int], within_s: float = 10) -> bool:
    import psutil

    _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)],
                                 timeout=within_s)
    return not alive


def test_sigterm_stops_cleanly(workdir: Path, isolated_cache: Path) -> None:
    run, workers = start_slow_run(workdir)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130
    assert err.splitlines()[-1] == ("error: interrupted; run the same command again to resume "
                                    "(finished nodes are reused from the cache)")
    assert gone(workers)
    assert list((isolated_cache / "tmp").iterdir()) == []
    record = json.loads((workdir / "out" / "run-record.json").read_text())
    nodes = record["items"]["slow"]["nodes"]
    assert record["status"] == "interrupted"
    assert [nodes[n]["status"] for n in ("gen", "a", "b")] == ["finished", "interrupted", "interrupted"]


def test_ctrl_c_while_workers_start_is_clean(workdir: Path, isolated_cache: Path) -> None:
    # A terminal's Ctrl-C goes to the whole foreground process group; workers that are
    # still starting must not print tracebacks (they live in their own group).
    (workdir / "slow.yaml").write_text(SLOW)
    run = start_lamella("run", "slow.yaml", "--modules", "mods", "-o", "out", "--json-events",
                        cwd=workdir, new_group=True)
    with ended_on_failure(run):
        while json.loads(run.stdout.readline())["kind"] != "node_started":  # type: ignore[union-attr]
            pass
    time.sleep(0.1)  # the worker is importing now (without its own group: a traceback)
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130
    assert "Traceback" not in err and "Fatal Python error" not in err
    assert err.splitlines()[-1].startswith("error: interrupted; run the same command again")
    assert list((isolated_cache / "tmp").iterdir()) == []


def test_workers_die_with_a_killed_runner(workdir: Path) -> None:
    run, workers = start_slow_run(workdir)
    run.kill()
    run.communicate(timeout=30)
    assert gone(workers)
