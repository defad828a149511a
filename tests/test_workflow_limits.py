"""Workflow files a hostile or careless user writes: odd YAML keys, huge files, long names.

Each is refused with one short line (exit 2) before anything runs, and before a huge file
is parsed in full.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.bad_inputs import BadInput

LAMELLA = str(Path(sys.executable).parent / "lamella")
HEAD = "lamella: 1\nname: x\n"
NODE = "{module: lamella/threshold@1}"


def many_nodes(count: int, pad: int = 0) -> str:
    return HEAD + "nodes:\n" + "".join(f"  n{i}: {NODE}{' ' * pad}\n" for i in range(count))


# (case, workflow text, the first line of stderr after 'error: ', the lines after it)
CASES = [
    (BadInput("yaml-mapping-key", "'? *m' (a mapping used as a key)",
              "error: wf.yaml line 5: a mapping used as a key; keys are plain names such as "
              "'segment' (write 'key: value')", 2),
     HEAD + "m: &m {a: 1}\nnodes:\n  ? *m\n  : " + NODE + "\n"),
    (BadInput("yaml-list-key", "'? [a, b]' (a list used as a key)",
              "error: wf.yaml line 3: a list used as a key; keys are plain names such as "
              "'segment' (write 'key: value')", 2),
     HEAD + "? [a, b]\n: 1\nnodes: {a: " + NODE + "}\n"),
    (BadInput("yaml-key-in-params", "a mapping as a parameter name",
              "error: wf.yaml line 3: a mapping used as a key; keys are plain names such as "
              "'segment' (write 'key: value')", 2),
     HEAD + "nodes: {a: {module: lamella/threshold@1, params: {? {x: 1} : 2}}}\n"),
    (BadInput("workflow-too-large", "a workflow file of 1,095,116 bytes",
              "error: wf.yaml: the file is 1,095,116 bytes, above the 1,048,576 bytes (1 MB) a "
              "workflow file may take; a workflow lists steps, not data (run many images with "
              "--batch)", 2),
     many_nodes(400, pad=2700)),
    (BadInput("workflow-too-many-nodes", "a workflow of 1,001 nodes",
              "error: wf.yaml: the workflow has 1001 nodes, above the limit of 1000; split it into "
              "several workflows (run many images with --batch, not one node per image)", 2),
     many_nodes(1001)),
]
ID_CASE = BadInput(
    "node-id-too-long", "a node id of 5,000 characters",
    f"  - nodes.{'a' * 71}...: '{'a' * 115}...' (5000 characters) is too long for a node id; use "
    "at most 64 characters, e.g. 'segment'", 2)
LONG_TEXT_CASE = BadInput(
    "long-text-in-message", "a module reference of 100,000 characters",
    f"  - nodes.a.module: '{'x' * 115}...' is not a module reference; write 'owner/name@version', "
    "e.g. 'lamella/threshold@1'", 2)


def validate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "wf.yaml").write_text(text)
    return subprocess.run([LAMELLA, "validate", "wf.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("case", CASES, ids=[c[0].id for c in CASES])
def test_refused_in_one_line(tmp_path: Path, case: tuple[BadInput, str]) -> None:
    bad, text = case
    done = validate(tmp_path, text)
    assert (done.returncode, done.stderr) == (bad.exit_status, bad.line(tmp_path) + "\n")


def test_the_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    # 50 MB of one YAML scalar: refused from its size, without reading it.
    with (tmp_path / "wf.yaml").open("w") as handle:
        handle.write(HEAD + "description: ")
        handle.truncate(50 * 2**20)
    done = subprocess.run([LAMELLA, "validate", "wf.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stderr) == (
        2, "error: wf.yaml: the file is 52,428,800 bytes, above the 1,048,576 bytes (1 MB) a "
        "workflow file may take; a workflow lists steps, not data (run many images with --batch)\n")


@pytest.mark.parametrize(("case", "text"), [
    (ID_CASE, HEAD + "nodes:\n  ? " + "a" * 5000 + "\n  : " + NODE + "\n"),
    (LONG_TEXT_CASE, HEAD + "nodes:\n  a: {module: " + "x" * 100_000 + "}\n"),
], ids=[ID_CASE.id, LONG_TEXT_CASE.id])
def test_messages_quoting_user_text_stay_short(tmp_path: Path, case: BadInput, text: str) -> None:
    done = validate(tmp_path, text)
    assert done.returncode == case.exit_status
    assert done.stderr.splitlines() == ["error: wf.yaml: 1 problem in workflow file", case.message]
    assert len(done.stderr) < 400


BAD_INPUTS = [*(c[0] for c in CASES), ID_CASE, LONG_TEXT_CASE]
