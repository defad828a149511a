"""What validation returns, and the graph shown as chains of steps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lamella.core.errors import WorkflowValidationError
from lamella.core.graph import WorkflowGraph
from tests.runner.test_engine import CHAIN

LAMELLA = str(Path(sys.executable).parent / "lamella")

# gen feeds a and b; p reads both (a diamond); a also feeds s; lone stands apart.
FORKS = """\
lamella: 1
name: forks
nodes:
  gen: {module: test/gen@1}
  a: {module: test/add@1, in: {image: gen.image}}
  b: {module: test/add@1, params: {amount: 2}, in: {image: gen.image}}
  p: {module: test/pair@1, in: {a: a.image, b: b.image}}
  s: {module: test/stats@1, in: {image: a.image}}
  after: {module: test/stats@1, in: {image: p.image}}
  lone: {module: test/gen@1}
outputs: {table: s.table}
"""


def test_validate_returns_the_graph_with_a_short_summary(make_analysis, image_file: Path) -> None:
    check = make_analysis(CHAIN).validate()
    assert repr(check) == "<Validation chain: 2 nodes, ok>"
    assert check and check.ok is True
    assert isinstance(check, WorkflowGraph) and check.order == ["add", "stats"]
    assert check.branches() == [["add", "stats"]]


def test_an_invalid_workflow_still_raises(make_analysis, image_file: Path) -> None:
    with pytest.raises(WorkflowValidationError, match="test/nothing"):
        make_analysis(CHAIN.replace("test/stats@1", "test/nothing@1")).validate()


def test_branches_show_every_wire_once(make_analysis) -> None:
    check = make_analysis(FORKS).validate()
    assert repr(check) == "<Validation forks: 7 nodes, ok>"
    assert check.order == ["gen", "lone", "a", "b", "s", "p", "after"]
    assert check.branches() == [
        ["gen", "a", "s"],  # a's first dependant in run order is s
        ["gen", "b", "p", "after"],
        ["a", "p"],  # p was followed onward on the line that reached it first
        ["lone"],
    ]
    wires = {(chain[i], chain[i + 1]) for chain in check.branches() for i in range(len(chain) - 1)}
    assert wires == {(up, node) for node in check.order for up in check.upstream(node)}


def test_validate_prints_the_chains(tmp_path: Path, fixture_modules: Path) -> None:
    (tmp_path / "forks.yaml").write_text(FORKS)
    done = subprocess.run([LAMELLA, "validate", "forks.yaml", "--modules", str(fixture_modules)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "forks.yaml: valid (7 nodes)\n"
                                                 "  gen -> a -> s\n"
                                                 "  gen -> b -> p -> after\n"
                                                 "  a -> p\n"
                                                 "  lone\n")
