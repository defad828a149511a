"""Sessions: warm workers across runs, partial runs, cancel from another thread, previews."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from lamella.core.sdk import read_image
from lamella.runner import Analysis, Session
from lamella.runner._arguments import ArgumentError
from tests.runner.tmp_modules import write_module

CHAIN = """\
lamella: 1
name: chain
inputs:
  image: {type: image, default: input.ome.tif}
nodes:
  add: {module: test/add@1, params: {amount: 5}, in: {image: $inputs.image}}
  stats: {module: test/stats@1, in: {image: add.image}}
  more: {module: test/add@1, params: {amount: 1}, in: {image: add.image}}
outputs: {table: stats.table, image: more.image}
"""

SLOW = """\
lamella: 1
name: slow
inputs:
  image: {type: image, default: input.ome.tif}
nodes:
  quick: {module: test/add@1, in: {image: $inputs.image}}
  slow: {module: test/add@1, params: {sleep: 60}, in: {image: quick.image}}
  stats: {module: test/stats@1, in: {image: slow.image}}
outputs: {table: stats.table}
"""


@pytest.fixture
def session():  # type: ignore[no-untyped-def]
    with Session(jobs=1) as made:
        yield made


def statuses(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {job.node.id: job.status for job in result.jobs}


def test_workers_stay_warm_and_only_changed_nodes_rerun(session: Session, make_analysis,
                                                        image_file: Path, tmp_path: Path) -> None:
    analysis = make_analysis(CHAIN)
    first = session.run(analysis, out=tmp_path / "out")
    workers = session.backend.worker_pids
    second = session.run(analysis, out=tmp_path / "out", params={"more.amount": 2})
    assert statuses(first) == {"add": "finished", "stats": "finished", "more": "finished"}
    assert statuses(second) == {"add": "cached", "stats": "cached", "more": "finished"}
    assert session.backend.worker_pids == workers and len(workers) == 1
    assert read_image(second.path("image")).data.max() == 17  # 10 + 5 + 2


def test_a_run_stops_at_its_targets(session: Session, make_analysis, image_file: Path,
                                    tmp_path: Path) -> None:
    result = session.run(make_analysis(CHAIN), out=tmp_path / "out", targets=["stats"])
    assert statuses(result) == {"add": "finished", "stats": "finished"}
    assert result.record["targets"] == ["stats"]
    assert sorted(result.record["items"]["chain"]["nodes"]) == ["add", "stats"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["logs", "run-record.json",
                                                                    "table.csv"]


def test_an_unknown_target_is_named(session: Session, make_analysis, image_file: Path) -> None:
    with pytest.raises(ArgumentError) as caught:
        session.start(make_analysis(CHAIN), targets=["stat"])
    assert str(caught.value) == ("targets: the workflow has no node 'stat' (did you mean "
                                 "'stats'?) (nodes: add, stats, more)")


def test_cancel_from_another_thread_keeps_the_earlier_results(session: Session, make_analysis,
                                                               image_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analysis = make_analysis(SLOW)
    earlier = session.run(analysis, out=out, params={"slow.sleep": 0})
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    handle = session.start(analysis, out=out)
    started = threading.Event()

    def cancel_once_slow_runs() -> None:
        for event in handle.events():
            if event.kind == "node_progress" and event.node == "slow":
                started.set()
                handle.cancel()

    follower = threading.Thread(target=cancel_once_slow_runs)
    follower.start()
    result = handle.wait(timeout=120)
    follower.join(timeout=30)
    assert started.is_set() and result.status == "cancelled"
    assert statuses(result) == {"quick": "cached", "slow": "cancelled", "stats": "not_started"}
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()
             and not p.name.startswith(".lamella-cancelled")}
    assert after == before and earlier.ok
    record = json.loads((out / ".lamella-cancelled-run.json").read_text())
    assert record["status"] == "cancelled" and record["run_id"] == result.run_id
    assert record["items"]["slow"]["nodes"]["slow"]["status"] == "cancelled"
    assert handle.record == result.record
    # The session goes on: its next run on the warm backend works.
    assert session.run(analysis, out=out, params={"slow.sleep": 0}).ok


def test_events_end_with_the_run(session: Session, make_analysis, image_file: Path,
                                 tmp_path: Path) -> None:
    seen: list[str] = []
    handle = session.start(make_analysis(CHAIN), out=tmp_path / "out",
                           on_event=lambda e: seen.append(e.kind))
    kinds = [event.kind for event in handle.events(timeout=120)]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("node_finished") == 3
    handle.wait()
    assert seen == kinds


def test_changed_module_code_is_imported_again(session: Session, tmp_path: Path,
                                               image_file: Path) -> None:
    modules = tmp_path / "mods"
    code = 'def run(task):\n    task.save_table("table", [{"version": VERSION}])\n'
    module = write_module(modules, "versioned", code.replace("VERSION", "1"))
    workflow = tmp_path / "wf.yaml"
    workflow.write_text("lamella: 1\nname: v\ninputs:\n  image: {type: image, default: "
                        "input.ome.tif}\nnodes:\n  v: {module: test/versioned@1, in: {image: "
                        "$inputs.image}}\noutputs: {table: v.table}\n")
    analysis = Analysis.load(workflow, modules=[modules])
    first = session.run(analysis, out=tmp_path / "out").table("table").to_dict("records")
    workers = session.backend.worker_pids
    (module / "main.py").write_text(code.replace("VERSION", "2"))
    second = session.run(analysis, out=tmp_path / "out")
    assert first == [{"version": 1}]
    assert second.table("table").to_dict("records") == [{"version": 2}]
    assert session.backend.worker_pids == workers  # the same warm worker imported it again
    assert statuses(second) == {"v": "finished"}


def test_previews_are_kept_bounded(make_analysis, image_file: Path) -> None:
    with Session(jobs=1, keep_previews=2) as session:
        results = [session.run(make_analysis(CHAIN), preview=True, params={"more.amount": n})
                   for n in range(4)]
        kept = session.previews()
        assert [r.out_dir for r in results[-2:]] == kept
        assert all(not r.out_dir.exists() for r in results[:2])
        scratch = session.scratch
    assert not scratch.exists()  # closing the session removes its scratch space


def test_a_run_started_while_another_is_on_waits_its_turn(session: Session, make_analysis,
                                                          image_file: Path, tmp_path: Path) -> None:
    analysis = make_analysis(SLOW)
    first = session.start(analysis, out=tmp_path / "a", params={"slow.sleep": 2})
    second = session.start(analysis, out=tmp_path / "b", params={"slow.sleep": 0})
    second.cancel()  # still queued behind the first: it ends before running anything
    assert first.wait(timeout=120).ok
    queued = second.wait(timeout=120)
    assert queued.status == "cancelled" and set(statuses(queued).values()) == {"not_started"}


def test_close_cancels_what_still_runs(make_analysis, image_file: Path, tmp_path: Path) -> None:
    session = Session(jobs=1)
    handle = session.start(make_analysis(SLOW), out=tmp_path / "out")
    for event in handle.events(timeout=120):
        if event.kind == "node_started" and event.node == "slow":
            break
    session.close()
    assert handle.wait(timeout=60).status == "cancelled"
    assert session.backend.worker_pids == []
