"""A node that runs too long: resources.timeout in the manifest, --timeout / timeout= for a run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.core.errors import ManifestError
from lamella.core.manifest import manifest_from_dict
from lamella.core.manifest._params import format_duration, parse_duration
from lamella.runner import Analysis, Session
from lamella.runner._arguments import ArgumentError
from lamella.runner._pooled_run import rerun_node
from lamella.runner.backends import BackendOptions, create_backend
from lamella.runner.cache import CacheStore
from tests.runner.tmp_modules import write_module

LAMELLA = str(Path(sys.executable).parent / "lamella")
FIXTURES = str(Path(__file__).parents[1] / "fixtures" / "modules")

NAP = """\
import time

def run(task):
    print("napping", flush=True)
    time.sleep(task.param("seconds"))
    task.save_table("table", [{"slept": task.param("seconds")}])
"""

WORKFLOW = """\
lamella: 1
name: naps
nodes:
  slow: {module: test/nap@1, params: {seconds: SECONDS}}
  after: {module: test/tally@1, in: {table: slow.table}}
  other: {module: test/gen@1}
outputs: {stats: after.table, image: other.image}
"""

TALLY = """\
def run(task):
    task.save_table("table", [{"rows": 1}])
"""

MESSAGE = ("node 'slow' (test/nap 1.0.0) exceeded its {limit} timeout and was stopped; give it "
           "more time with --timeout (timeout= in Python)")


def nap_module(folder: Path, timeout: str | None) -> Path:
    module = write_module(folder, "nap", NAP, inputs=())
    manifest = json.loads((module / "module.json").read_text())
    manifest["parameters"] = {"seconds": {"type": "float", "default": 0, "description": "Sleep."}}
    if timeout is not None:
        manifest["resources"] = {"timeout": timeout}
    (module / "module.json").write_text(json.dumps(manifest))
    return module


@pytest.fixture
def naps(tmp_path: Path, fixture_modules: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def make(seconds: float, manifest_timeout: str | None = None) -> Analysis:
        monkeypatch.chdir(tmp_path)  # results go to out/ in the test's folder
        nap_module(tmp_path / "mods", manifest_timeout)
        tally = write_module(tmp_path / "mods", "tally", TALLY, inputs=())
        manifest = json.loads((tally / "module.json").read_text())
        manifest["inputs"] = {"table": {"type": "table", "description": "Rows."}}
        (tally / "module.json").write_text(json.dumps(manifest))
        path = tmp_path / "naps.yaml"
        path.write_text(WORKFLOW.replace("SECONDS", str(seconds)))
        return Analysis.load(path, modules=[tmp_path / "mods", fixture_modules])

    return make


def statuses(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {job.node.id: job.status for job in result.jobs}


# ----- the duration form -------------------------------------------------------------------
@pytest.mark.parametrize(("text", "seconds"), [
    ("10 min", 600.0), ("10min", 600.0), ("90 s", 90.0), ("1.5 h", 5400.0), ("2h", 7200.0),
    ("250 ms", 0.25), ("45", 45.0), (30, 30.0), (0.5, 0.5), ("1 minute", 60.0),
    ("3 seconds", 3.0), ("1 hour", 3600.0),
])
def test_durations_are_read_with_their_unit(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("seconds", "text"), [
    (600, "10 min"), (1, "1 s"), (90, "90 s"), (7200, "2 h"), (5400, "90 min"), (0.25, "0.25 s"),
])
def test_durations_are_shown_in_the_largest_whole_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("bad", ["soon", "10 parsecs", "-5 s", "0", "inf s", "nan", True, [], ""])
def test_a_bad_duration_is_refused_with_an_example(bad: object) -> None:
    with pytest.raises(ValueError) as error:
        parse_duration(bad)
    assert str(error.value) == (f"expected a duration above 0 such as '10 min', '90 s' or "
                                f"'2 h' (a bare number is seconds), got {bad!r}")


def test_the_manifest_keeps_its_timeout_in_seconds() -> None:
    manifest = manifest_from_dict(_manifest({"timeout": "10 min"}))
    assert manifest.resources.timeout == 600.0
    assert manifest_from_dict(_manifest({})).resources.timeout is None


def test_a_bad_manifest_timeout_is_one_problem() -> None:
    with pytest.raises(ManifestError) as error:
        manifest_from_dict(_manifest({"timeout": "ten minutes"}))
    assert [str(p) for p in error.value.problems] == [
        "resources.timeout: expected a duration above 0 such as '10 min', '90 s' or '2 h' "
        "(a bare number is seconds), got 'ten minutes'"]


def _manifest(resources: dict[str, object]) -> dict[str, object]:
    return {"id": "test/x", "version": "1.0.0", "name": "X", "category": "Other",
            "description": "x", "outputs": {"table": {"type": "table"}}, "resources": resources}


# ----- runs --------------------------------------------------------------------------------
def test_the_manifest_timeout_stops_the_node_and_skips_downstream(naps) -> None:  # type: ignore[no-untyped-def]
    result = naps(30, manifest_timeout="1 s").run(out="out")
    assert statuses(result) == {"slow": "failed", "after": "skipped", "other": "finished"}
    (slow,) = result.failures
    assert slow.error == MESSAGE.format(limit="1 s")
    assert slow.exit_status is None
    assert slow.log is not None and slow.log.read_text() == "napping\n"


def test_the_run_timeout_limits_every_node(naps) -> None:  # type: ignore[no-untyped-def]
    result = naps(30).run(out="out", timeout="1s")
    assert statuses(result) == {"slow": "failed", "after": "skipped", "other": "finished"}
    assert result.failures[0].error == MESSAGE.format(limit="1 s")


def test_the_run_timeout_overrides_the_manifest(naps) -> None:  # type: ignore[no-untyped-def]
    result = naps(1.5, manifest_timeout="1 s").run(out="out", timeout="10 min")
    assert statuses(result) == {"slow": "finished", "after": "finished", "other": "finished"}


def test_the_run_timeout_is_checked_before_anything_runs(naps) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArgumentError) as error:
        naps(0).run(out="out", timeout="soon")
    assert str(error.value) == ("timeout='soon': expected a duration above 0 such as '10 min', "
                                "'90 s' or '2 h' (a bare number is seconds), got 'soon'")


def test_a_session_run_takes_the_timeout_too(naps) -> None:  # type: ignore[no-untyped-def]
    analysis = naps(30)
    with Session(jobs=2) as session:
        result = session.run(analysis, out="out", timeout=1)
    assert statuses(result) == {"slow": "failed", "after": "skipped", "other": "finished"}
    assert result.failures[0].error == MESSAGE.format(limit="1 s")


def test_the_isolated_backend_words_it_the_same(naps) -> None:  # type: ignore[no-untyped-def]
    result = naps(30).run(out="out", timeout="1 s", backend="isolated")
    assert result.failures[0].error == MESSAGE.format(limit="1 s")


def test_the_command_line_takes_a_timeout(naps, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    naps(30)
    run = subprocess.run([LAMELLA, "run", "naps.yaml", "--modules", "mods", "--modules", FIXTURES,
                          "-o", "out", "--timeout", "1 s", "-q"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert (f"✗ node 'slow' (test/nap 1.0.0) failed: {MESSAGE.format(limit='1 s')}"
            in run.stderr.splitlines())


def test_the_command_line_refuses_a_bad_timeout(naps, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    naps(0)
    run = subprocess.run([LAMELLA, "run", "naps.yaml", "--modules", "mods", "--modules", FIXTURES,
                          "--timeout", "soon"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2
    assert run.stderr.splitlines() == ["error: --timeout soon: expected a duration above 0 such as "
                                       "'10 min', '90 s' or '2 h' (a bare number is seconds), "
                                       "got 'soon'"]


def test_a_pooled_rerun_keeps_the_node_time_limit(naps, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A batch's pooled plot runs its node's module once more, on the pooled table: that run
    # is stopped at the node's limit like the node's own runs.
    node = naps(30, manifest_timeout="1 s").graph.nodes["slow"]
    table = tmp_path / "pooled.csv"
    table.write_text("area_nm2\n1.0\n")
    store = CacheStore(tmp_path / "cache")
    backend = create_backend("local", BackendOptions(1, store.new_run_dir("pooled-test")))
    try:
        done = rerun_node(node, {"table": [table]}, backend=backend, store=store,
                          run_id="pooled-test", workflow="naps", use_cache=False)
    finally:
        backend.close()
        store.release_run_dir("pooled-test")
    assert done.error == ("node 'slow (pooled)' (test/nap 1.0.0) exceeded its 1 s timeout and was "
                          "stopped; give it more time with --timeout (timeout= in Python) "
                          "(log: napping)")
    assert done.outputs == {}
