"""Limits a run keeps whatever it is given: --jobs, and the size of a node's log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.runner import Analysis
from lamella.runner._arguments import ArgumentError
from lamella.runner.backends._log import LOG_HEAD_BYTES, LOG_TAIL_BYTES
from tests.runner.tmp_modules import write_module

LAMELLA = str(Path(sys.executable).parent / "lamella")
LIMIT = 4 * (os.cpu_count() or 1)

# 20 MB of output between a first and a last line, as one print and many lines.
CHATTY = """\
def run(task):
    print("FIRST LINE")
    print("x" * 10_000_000)
    for number in range(100_000):
        print(f"line {number:06d} " + "y" * 90)
    print("LAST LINE")
    task.save_table("table", [{"said": "a lot"}])
"""

WORKFLOW = """\
lamella: 1
name: chatty
nodes:
  talk: {module: test/chatty@1}
outputs: {table: talk.table}
"""


@pytest.fixture
def chatty(tmp_path: Path) -> Analysis:
    write_module(tmp_path / "mods", "chatty", CHATTY, inputs=())
    (tmp_path / "chatty.yaml").write_text(WORKFLOW)
    return Analysis.load(tmp_path / "chatty.yaml", modules=[tmp_path / "mods"])


@pytest.mark.parametrize("backend", ["local", "isolated"])
def test_a_node_log_keeps_its_head_and_tail(chatty: Analysis, tmp_path: Path, backend: str) -> None:
    result = chatty.run(out=tmp_path / "out", backend=backend)
    (job,) = result.jobs
    assert job.status == "finished"
    assert job.entry is not None
    for log in (job.log, job.entry.log):  # the copy beside the results and the cached one
        assert log is not None
        text = log.read_text()
        lines = text.splitlines()
        assert lines[0] == "FIRST LINE" and lines[-1] == "LAST LINE"
        assert len(log.read_bytes()) <= LOG_HEAD_BYTES + LOG_TAIL_BYTES + 200
        notes = [line for line in lines if line.startswith("[lamella: ")]
        assert len(notes) == 1
        assert notes[0].endswith("of output left out here: a node's log keeps its first 1 MiB "
                                 "and its last 1 MiB]")


def test_jobs_above_the_limit_are_refused(chatty: Analysis, tmp_path: Path) -> None:
    with pytest.raises(ArgumentError) as error:
        chatty.run(out=tmp_path / "out", jobs=10_000)
    assert str(error.value) == (f"jobs: 10000 is more than this machine runs at once; give at most "
                                f"{LIMIT} (4 per CPU core)")
    assert not (tmp_path / "out").exists()


def test_the_command_line_refuses_too_many_jobs(chatty: Analysis, tmp_path: Path) -> None:
    run = subprocess.run([LAMELLA, "run", "chatty.yaml", "--modules", "mods", "--jobs", "10000"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [f"error: --jobs: 10000 is more than this machine runs at "
                                       f"once; give at most {LIMIT} (4 per CPU core)"]


def test_jobs_at_the_limit_run(chatty: Analysis, tmp_path: Path) -> None:
    assert chatty.run(out=tmp_path / "out", jobs=LIMIT).status == "succeeded"


# ----- messages quoting huge values stay short -----------------------------------------------
LONG = "x" * 5000
HOSTILE = {
    "parameter value": f"seg: {{module: lamella/threshold@1, params: {{method: {LONG}}}}}",
    "module name": f"seg: {{module: lamella/{LONG}@1}}",
    "module version": f"seg: {{module: lamella/threshold@{'9' * 5000}}}",
    "wired node": f"seg: {{module: lamella/threshold@1, in: {{image: {'n' * 5000}.image}}}}",
}


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_a_problem_quoting_a_huge_value_is_cut_to_one_short_line(tmp_path: Path, what: str) -> None:
    (tmp_path / "wf.yaml").write_text(f"lamella: 1\nname: a\nnodes:\n  {HOSTILE[what]}\n")
    done = subprocess.run([LAMELLA, "validate", "wf.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: ") and "problem" in lines[0]
    assert max(len(line) for line in lines) <= 300 + len("error: ")
    assert " ... " in done.stderr  # cut in the middle: the start and the advice stay


def test_a_default_input_path_too_long_for_the_system_is_a_bad_input(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(
        "lamella: 1\nname: a\ninputs:\n  image: {type: image, default: " + "/d" * 3000 + "}\n"
        "nodes:\n  load: {module: lamella/load-image@1, in: {path: $inputs.image}}\n")
    done = subprocess.run([LAMELLA, "validate", "wf.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: input 'image': its default /d/d/") and len(line) <= 307
    assert line.endswith("pass --input image=PATH when running")
