"""Parameter values given for a run (``params`` / ``--set``), checked as workflow values are."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.core.errors import LamellaError, WorkflowValidationError
from lamella.runner import Analysis
from lamella.runner._arguments import ArgumentError
from lamella.runner.cli._sweep import parse_sets, parse_sweeps
from tests.conftest import REPO
from tests.runner.test_engine import CHAIN

LAMELLA = str(Path(sys.executable).parent / "lamella")
NANOPARTICLES = REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml"


def lamella(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_a_set_value_is_used_and_recorded(make_analysis, image_file: Path, tmp_path: Path) -> None:
    result = make_analysis(CHAIN).run(params={"add.amount": 7}, out=tmp_path / "out")
    assert result.table("table")["mean"].tolist() == [17.0]  # 10 + 7, not the workflow's 5
    assert result.record["overrides"] == {"add.amount": 7}
    assert result.record["sweep"] is None
    assert result.record["items"]["chain"]["nodes"]["add"]["params"] == {"amount": 7, "sleep": 0.0}
    assert (tmp_path / "out" / "logs" / "add.log").read_text() == "adding 7\n"
    again = make_analysis(CHAIN).run(out=tmp_path / "out")
    assert {j.node.id: j.reason for j in again.jobs}["add"] == "ran: parameter 'amount' changed (7 -> 5)"


BAD_PARAMS = [
    ({"ad.amount": 1}, "params['ad.amount']: the workflow has no node 'ad' (did you mean 'add'?); "
                       "its nodes: add, stats"),
    ({"add.amont": 1}, "params['add.amont']: unknown parameter (did you mean 'amount'?); test/add "
                       "takes: amount, sleep"),
    ({"add.amount": 500}, "params['add.amount']: must be between -100 and 100, got 500"),
    ({"add.amount": "5"}, "params['add.amount']: must be a whole number, got '5'"),
    ({"add.amount": None}, "params['add.amount']: must be set (null is not allowed here)"),
    ({"amount": 1}, "params['amount']: name the node and the parameter, as 'node.param', e.g. "
                    "'add.amount' (nodes with a parameter 'amount': add)"),
    ({"stats.": 1}, "params['stats.']: name the node and the parameter, as 'node.param', e.g. "
                    "'add.amount'"),
    ({3: 1}, "params: parameters are named as text, 'node.param', got 3"),
    ("add.amount=1", "params: expected a mapping of 'node.param' to a value, e.g. "
                     "{'segment.method': 'li'}, got 'add.amount=1'"),
]
BAD_SWEEPS = [
    ({"add.amount": 5}, "sweep['add.amount']: expected a list of values, e.g. ['otsu', 'li'], got 5"),
    ({"add.amount": "12"}, "sweep['add.amount']: expected a list of values, e.g. ['otsu', 'li'], "
                           "got '12'"),
    ({"add.amount": []}, "sweep['add.amount']: give at least one value"),
    ({"add.amount": [1, 2, 1]}, "sweep['add.amount']: 1 is given twice; give each value once"),
    ({"add.amount": [1, 500]}, "sweep['add.amount']: must be between -100 and 100, got 500"),
    ({"add.amont": [1]}, "sweep['add.amont']: unknown parameter (did you mean 'amount'?); test/add "
                         "takes: amount, sleep"),
    ([1, 2], "sweep: expected a mapping of 'node.param' to a list of values, e.g. "
             "{'segment.method': ['otsu', 'li']}, got [1, 2]"),
]


@pytest.mark.parametrize(("arguments", "message"),
                         [({"params": p}, m) for p, m in BAD_PARAMS]
                         + [({"sweep": s}, m) for s, m in BAD_SWEEPS]
                         + [({"params": {"add.amount": 1}, "sweep": {"add.amount": [2, 3]}},
                             "sweep['add.amount']: is also set to one value; sweep it or set it, "
                             "not both")],
                         ids=lambda value: None if isinstance(value, dict) else value.split(":")[0])
def test_bad_values_are_refused_before_anything_runs(make_analysis, image_file: Path,
                                                     tmp_path: Path, arguments: dict,
                                                     message: str) -> None:
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(out=tmp_path / "out", **arguments)
    assert str(info.value) == message
    assert not (tmp_path / "out").exists()


def test_messages_are_the_ones_workflow_validation_gives(tmp_path: Path) -> None:
    analysis = Analysis.load(NANOPARTICLES)
    with pytest.raises(ArgumentError) as info:
        analysis.run(params={"segment.min_area": "-5 nm^2"}, out=tmp_path / "out")
    assert str(info.value) == "params['segment.min_area']: must not be negative, got '-5 nm^2'"
    text = NANOPARTICLES.read_text().replace("min_area: auto", "min_area: -5 nm^2")
    (tmp_path / "wf.yaml").write_text(text.replace("../data/", str(REPO / "examples/data") + "/"))
    with pytest.raises(WorkflowValidationError) as validation:
        Analysis.load(tmp_path / "wf.yaml").validate()
    assert validation.value.problems[0].message == info.value.problem
    with pytest.raises(ArgumentError) as info:
        analysis.run(sweep={"segment.method": ["otsu", "lii"]}, out=tmp_path / "out")
    assert info.value.as_option("--sweep") == (
        "--sweep segment.method: 'lii' is not one of 'otsu', 'li', 'triangle', 'yen', "
        "'multi-otsu', 'sauvola', 'manual' (did you mean 'li'?)")


def test_values_are_read_as_the_workflow_file_reads_them() -> None:
    assert parse_sets(["segment.method=li", "separate.min_distance=8 nm", "segment.fill_holes=true",
                       "histogram.bins=25", "load.crop_info_bar=off", "histogram.title=",
                       "denoise.sigma='2'", "histogram.column=a=b"]) == {
        "segment.method": "li", "separate.min_distance": "8 nm", "segment.fill_holes": True,
        "histogram.bins": 25, "load.crop_info_bar": "off", "histogram.title": None,
        "denoise.sigma": "2", "histogram.column": "a=b"}
    assert parse_sweeps(["segment.method=otsu,li", "histogram.bins=[10, 25]",
                         "separate.min_distance=8 nm, 10 nm", "a.t='x,y',z", "a.u=[[1, 2], 3]",
                         "a.v=true,off"]) == {
        "segment.method": ["otsu", "li"], "histogram.bins": [10, 25],
        "separate.min_distance": ["8 nm", "10 nm"], "a.t": ["x,y", "z"], "a.u": [[1, 2], 3],
        "a.v": [True, "off"]}


@pytest.mark.parametrize(("option", "message"), [
    (["--set", "segment"], "--set 'segment': write NODE.PARAM=VALUE, e.g. --set segment.method=li"),
    (["--set", "=li"], "--set '=li': write NODE.PARAM=VALUE, e.g. --set segment.method=li"),
    (["--set", "a.b=1", "--set", "a.b=2"], "--set a.b: given twice; give each parameter once"),
    (["--set", "a.b=!!python/name:os.system"], "--set a.b: the YAML tag '!!python/name:os.system' "
                                               "is not allowed; workflows hold plain data only "
                                               "(remove the tag)"),
    (["--set", "a.b=[1,"], "--set a.b: not valid YAML (did not find expected node content)"),
    (["--sweep", "a.b=1", "--sweep", "a.b=2"], "--sweep a.b: given twice; list all its values in "
                                               "one --sweep, e.g. --sweep a.b=A,B"),
    (["--sweep", "a.b=[]"], "--sweep a.b: give values separated by commas, e.g. --sweep a.b=A,B"),
])
def test_malformed_options_are_one_line_errors(option: list[str], message: str) -> None:
    with pytest.raises(LamellaError) as info:
        parse_sets(option[1::2]) if option[0] == "--set" else parse_sweeps(option[1::2])
    assert str(info.value) == message


def test_cli_set_and_its_errors(tmp_path: Path, image_file: Path, fixture_modules: Path) -> None:
    (tmp_path / "chain.yaml").write_text(CHAIN)
    done = lamella("run", "chain.yaml", "--modules", str(fixture_modules), "-o", "out", "-q",
                   "--set", "add.amount=7", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "out" / "run-record.json").read_text())
    assert record["overrides"] == {"add.amount": 7}
    assert (tmp_path / "out" / "table.csv").read_text().splitlines()[1] == "17.0,2.0"
    done = lamella("run", "chain.yaml", "--modules", str(fixture_modules), "-o", "out",
                   "--set", "add.amount=500", "--json-events", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "error: --set add.amount: must be between -100 and 100, got 500\n"
    assert json.loads(done.stdout)["message"] == ("--set add.amount: must be between -100 and 100, "
                                                  "got 500")
    done = lamella("run", "chain.yaml", "--modules", str(fixture_modules), "-o", "out",
                   "--sweep", "add.amount=1,lots", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "error: --sweep add.amount: must be a whole "
                                                 "number, got 'lots'\n")
