"""The results folder holds exactly the newest ended run's results, whatever ended it.

Runs publish into a hidden staging folder and replace the previous run's results in one
commit step at their end; a run killed outright changes nothing; two runs never share a
folder; a folder of the user's own files is refused.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lamella.core.sdk import Image, write_image
from lamella.runner.api import ArgumentError
from tests.runner.processes import LAMELLA, start_lamella
from tests.runner.test_engine import BRANCHES, CHAIN

SLOW = """\
lamella: 1
name: slow
nodes:
  gen: {{module: test/gen@1}}
  a: {{module: test/add@1, params: {{sleep: {sleep}}}, in: {{image: gen.image}}}}
  b: {{module: test/add@1, params: {{sleep: {sleep}, amount: 2}}, in: {{image: gen.image}}}}
outputs: {{a: a.image, b: b.image}}
"""


def contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) -> its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def lamella(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def workdir(tmp_path: Path, fixture_modules: Path, image_file: Path) -> Path:
    (tmp_path / "mods").symlink_to(fixture_modules)
    for sleep in (0, 30):
        (tmp_path / f"slow-{sleep}.yaml").write_text(SLOW.format(sleep=sleep))
    return tmp_path


def start_run(workdir: Path, workflow: str, *extra: str, started: int) -> subprocess.Popen[str]:
    """Start ``lamella run``; return once ``started`` nodes have started."""
    run = start_lamella("run", workflow, "--modules", "mods", "-o", "out", "--json-events", *extra,
                        cwd=workdir)
    assert run.stdout is not None
    seen = 0
    try:
        while seen < started:
            line = run.stdout.readline()
            assert line, run.stderr.read() if run.stderr else "run ended early"
            seen += json.loads(line)["kind"] == "node_started"
    except BaseException:
        run.kill()  # no run outlives its test, and its pipes are closed
        run.communicate(timeout=60)
        raise
    return run


def wait_for_line(cache: Path, log: str, line: str, within_s: float = 30) -> None:
    """Wait until a running node's log in the cache's scratch space holds ``line``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if any(p.read_text() == line for p in (cache / "tmp").glob(f"*/{log}")):
            return
        time.sleep(0.05)
    raise AssertionError(f"no {log} with {line!r}")


def test_a_run_killed_outright_leaves_the_earlier_results_and_record(workdir: Path,
                                                                     isolated_cache: Path) -> None:
    assert lamella("run", "slow-0.yaml", "--modules", "mods", "-o", "out", cwd=workdir).returncode == 0
    before = contents(workdir / "out")
    assert sorted(before) == ["a.ome.tif", "b.ome.tif", "logs/a.log", "logs/b.log",
                              "logs/gen.log", "run-record.json"]
    run = start_run(workdir, "slow-30.yaml", started=2)  # gen reused and published, a and b run
    staging = [p for p in (workdir / "out").iterdir() if p.name.startswith(".lamella-staging-")]
    assert [p.name for p in staging[0].rglob("*.log")] == ["gen.log"]
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    after = {k: v for k, v in contents(workdir / "out").items() if not k.startswith(".")}
    assert after == before
    # The next run into the folder removes the killed run's staging folder and lock.
    done = lamella("run", "slow-0.yaml", "--modules", "mods", "-o", "out", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert sorted(contents(workdir / "out")) == sorted(before)
    # No temporary or scratch file of the killed run is left, in the results or the cache.
    assert [p.name for p in (workdir / "out").iterdir() if p.name.startswith(".")] == []
    assert list((isolated_cache / "tmp").iterdir()) == []
    assert list(isolated_cache.rglob(".*")) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_replaces_the_earlier_results_with_its_own(workdir: Path,
                                                                      isolated_cache: Path,
                                                                      stop: signal.Signals) -> None:
    assert lamella("run", "slow-0.yaml", "--modules", "mods", "-o", "out", cwd=workdir).returncode == 0
    run = start_run(workdir, "slow-30.yaml", "--jobs", "1", started=1)  # gen reused, a runs, b waits
    wait_for_line(isolated_cache, "*-a/log.txt", "adding 1\n")  # the local backend's task folder
    run.send_signal(stop)
    run.communicate(timeout=60)
    assert run.returncode == 130
    out = workdir / "out"
    assert sorted(contents(out)) == ["logs/a.log", "logs/gen.log", "run-record.json"]
    assert (out / "logs" / "a.log").read_text() == "adding 1\n"  # what a said before it was cut
    record = json.loads((out / "run-record.json").read_text())
    nodes = record["items"]["slow"]["nodes"]
    assert record["status"] == "interrupted"
    assert {n: nodes[n]["status"] for n in nodes} == {"gen": "cached", "a": "interrupted",
                                                      "b": "not_started"}
    assert (nodes["a"]["log"], nodes["b"]["log"]) == ("logs/a.log", None)
    assert record["items"]["slow"]["outputs"] == {}


def test_logs_of_steps_that_did_not_run_this_time_are_removed(make_analysis, image_file: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "out"
    make_analysis(BRANCHES.replace("MODE", "raise"), name="branches.yaml").run(out=out)
    assert sorted(contents(out)) == ["good.csv", "logs/bad.log", "logs/good-stats.log",
                                     "logs/good.log", "run-record.json"]
    (out / "notes.txt").write_text("mine")  # never listed in a record: never touched
    make_analysis(CHAIN).run(out=out)
    assert sorted(contents(out)) == ["image.ome.tif", "logs/add.log", "logs/stats.log",
                                     "notes.txt", "run-record.json", "table.csv"]


def test_a_batch_replaces_a_single_runs_results_and_empty_folders_go(make_analysis,
                                                                     tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for value in (1, 2):
        write_image(folder / f"img{value}.tif", Image(np.full((4, 4), value, np.uint16), "YX"))
    out = tmp_path / "out"
    make_analysis(CHAIN).run(batch=str(folder / "*.tif"), out=out)
    make_analysis(CHAIN).run(inputs={"image": folder / "img1.tif"}, out=out)
    assert sorted(contents(out)) == ["image.ome.tif", "logs/add.log", "logs/stats.log",
                                     "run-record.json", "table.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["image.ome.tif", "logs", "run-record.json",
                                                     "table.csv"]


def test_a_batch_item_named_like_the_folders_own_entries_gets_its_own_folder(make_analysis,
                                                                            tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for name, value in (("logs", 1), ("table.csv", 2), ("logs-2", 3)):
        write_image(folder / f"{name}.tif", Image(np.full((4, 4), value, np.uint16), "YX"))
    result = make_analysis(CHAIN).run(batch=str(folder / "*.tif"), out=tmp_path / "out")
    assert result.ok
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "logs", "logs-2", "logs-3", "run-record.json", "table.csv", "table.csv-2"]
    assert result.path("table", item="logs") == tmp_path / "out" / "logs-3" / "table.csv"
    assert result.table("table", item="logs")["mean"].tolist() == [6.0]
    assert result.table("table", item="table.csv")["mean"].tolist() == [7.0]
    assert sorted(p.name for p in (tmp_path / "out" / "logs").iterdir()) == [
        "logs-2", "logs-3", "table.csv-2"]
    assert result.table("table")["image"].tolist() == ["logs-2.tif", "logs.tif", "table.csv.tif"]


def test_only_stale_staging_folders_are_removed(make_analysis, image_file: Path,
                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    make_analysis(CHAIN).run(out=out)
    stale = out / ".lamella-staging-20260101-000000-dead00"
    (stale / "logs").mkdir(parents=True)
    (stale / "logs" / "add.log").write_text("half")
    (out / ".lamella-staging-notes.txt").write_text("a file, not a staging folder")
    (out / ".mine").mkdir()
    make_analysis(CHAIN).run(out=out)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [
        ".lamella-staging-notes.txt", ".mine"]


def test_a_second_run_into_the_same_folder_is_refused(workdir: Path, make_analysis) -> None:
    run = start_run(workdir, "slow-30.yaml", started=1)
    try:
        second = lamella("run", "slow-0.yaml", "--modules", "mods", "-o", "out", cwd=workdir)
        assert_one_line_error(second, "out", "another run is writing its results to this "
                              "folder; wait for it to end, or give another folder")
        with pytest.raises(ArgumentError) as info:
            make_analysis(CHAIN).run(out=workdir / "out")
        assert str(info.value) == (f"out={str(workdir / 'out')!r}: another run is writing its "
                                   "results to this folder; wait for it to end, or give another "
                                   "folder")
    finally:
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)


def test_a_folder_of_the_users_own_files_is_refused(make_analysis, image_file: Path,
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "user"
    folder.mkdir()
    for name in ("sizes.csv", "b.txt", "c.txt", "d.txt"):
        (folder / name).write_text("the user's")
    (folder / ".hidden").write_text("ignored")
    before = contents(folder)
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(out=folder)
    assert str(info.value) == (f"out={str(folder)!r}: the folder holds files no Lamella run wrote "
                               "(b.txt, c.txt, d.txt, ...); give an empty or new folder, or one "
                               "an earlier run wrote")
    assert contents(folder) == before


def test_a_folder_that_cannot_be_written_is_refused_before_anything_runs(make_analysis,
                                                                         image_file: Path,
                                                                         isolated_cache: Path) -> None:
    # sysfs refuses new files even to root (CI runs as root, which ignores permission bits),
    # so it is the one folder on every Linux machine that cannot be written.
    folder = Path("/sys/kernel")
    if not sys.platform.startswith("linux"):
        pytest.skip("sysfs (/sys/kernel) exists only on Linux")
    reason = _creation_error(folder)
    assert reason is not None, "creating a file in /sys/kernel unexpectedly worked"
    events: list = []
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(out=folder, on_event=events.append)
    assert str(info.value) == (f"out='/sys/kernel': cannot write in this folder ({reason}); give a "
                               "folder you can write to")
    assert events == [] and list((isolated_cache / "store").iterdir()) == []


def _creation_error(folder: Path) -> str | None:
    """Why creating a file in ``folder`` fails (e.g. 'Permission denied'), or None if it works."""
    try:
        (folder / ".lamella-probe").touch()
    except OSError as exc:
        return exc.strerror
    (folder / ".lamella-probe").unlink()
    return None


def test_the_command_line_refuses_bad_results_folders_in_one_line(workdir: Path) -> None:
    (workdir / "user").mkdir()
    (workdir / "user" / "sizes.csv").write_text("mine")
    (workdir / "a-file").write_text("")
    for out, problem in (("user", "the folder holds files no Lamella run wrote (sizes.csv); give "
                                  "an empty or new folder, or one an earlier run wrote"),
                         ("a-file", "is a file, not a folder; give a folder path")):
        done = lamella("run", "slow-0.yaml", "--modules", "mods", "-o", out, cwd=workdir)
        assert_one_line_error(done, out, problem)
    assert contents(workdir / "user") == {"sizes.csv": b"mine"}


def assert_one_line_error(done: subprocess.CompletedProcess[str], folder: str, problem: str) -> None:
    """Exit status 2 and one line naming the folder (however the CLI names its option)."""
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ") and line.endswith(f": {problem}")
    assert folder in line.removesuffix(problem)


def test_a_results_folder_inside_the_cache_is_refused(workdir: Path, isolated_cache: Path) -> None:
    (workdir / "cache-link").symlink_to(isolated_cache)
    # The scratch space (tmp/) too: only a session's own preview folders may live there.
    for out in (str(isolated_cache), str(isolated_cache / "results"), "cache-link/results",
                str(isolated_cache / "tmp" / "results")):
        done = lamella("run", "slow-0.yaml", "--modules", "mods", "-o", out, cwd=workdir)
        assert_one_line_error(done, out, f"is inside the cache folder ({isolated_cache}), whose "
                              "clean-up would delete the results; give a folder outside it")
    assert sorted(p.name for p in isolated_cache.iterdir() if p.name == "results") == []
    assert not (isolated_cache / "tmp" / "results").exists()


@pytest.mark.parametrize("planted", ["logs", "img1", "logs/img1"])
def test_results_are_never_written_through_a_link_in_the_folder(make_analysis, tmp_path: Path,
                                                                 planted: str) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for value in (1, 2):
        write_image(folder / f"img{value}.tif", Image(np.full((4, 4), value, np.uint16), "YX"))
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    make_analysis(CHAIN).run(batch=str(folder / "*.tif"), out=out)
    elsewhere.mkdir()
    shutil.rmtree(out / planted)
    (out / planted).symlink_to(elsewhere)
    before = contents(out)
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(batch=str(folder / "*.tif"), out=out)
    assert str(info.value) == (f"out={str(out)!r}: {planted!r} in it is a symbolic link, and results "
                               "are never written through links; remove the link, or give another "
                               "folder")
    assert list(elsewhere.iterdir()) == []
    assert contents(out) == before


def test_earlier_results_behind_a_link_are_not_removed(make_analysis, image_file: Path,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for value in (1, 2):
        write_image(folder / f"img{value}.tif", Image(np.full((4, 4), value, np.uint16), "YX"))
    out = tmp_path / "out"
    make_analysis(CHAIN).run(batch=str(folder / "*.tif"), out=out)
    # img1/ and logs/img2/ become links to the user's own folder (in the results folder,
    # so no record lists it) holding files with the very names the record lists.
    mine = out / "mine"
    for planted in ("img1", "logs/img2"):
        shutil.copytree(out / planted, mine / planted)
        shutil.rmtree(out / planted)
        (out / planted).symlink_to(mine / planted)
    kept = contents(mine)
    assert sorted(kept) == ["img1/image.ome.tif", "img1/table.csv", "logs/img2/add.log",
                            "logs/img2/stats.log"]
    make_analysis(CHAIN).run(out=out)  # a single run: every batch result is removed
    assert contents(mine) == kept
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                  if p.is_symlink() or p.is_file()) == [
        "image.ome.tif", "img1", "logs/add.log", "logs/img2", "logs/stats.log",
        *(f"mine/{name}" for name in sorted(kept)), "run-record.json", "table.csv"]


def test_the_lock_file_is_never_created_through_a_link(make_analysis, image_file: Path,
                                                       tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / ".lamella-lock").symlink_to(elsewhere / "lock")
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(out=out)
    assert str(info.value) == (f"out={str(out)!r}: cannot write in this folder (Too many levels of "
                               "symbolic links); give a folder you can write to")
    assert list(elsewhere.iterdir()) == []
