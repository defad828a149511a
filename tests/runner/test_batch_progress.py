"""Batch progress: images done of total, failed, and the time left from the pace so far."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from lamella.core.events import EVENT_KINDS, RunEvent
from lamella.runner._progress import BatchProgress
from lamella.runner.cli._display import PlainLines, ProgressBars, batch_words
from tests.runner.test_engine import CHAIN


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def node_event(kind: str, item: str, node: str) -> RunEvent:
    return RunEvent(kind, "r1", node=node, item=item)  # type: ignore[arg-type]


def test_progress_counts_whole_images_and_estimates_from_the_mean_time_per_image() -> None:
    clock, seen = Clock(), []
    progress = BatchProgress(seen.append, items=["a", "b", "c"], nodes=2, clock=clock)
    progress(RunEvent("run_started", "r1"))
    clock.now = 110.0
    progress(node_event("node_finished", "a", "load"))
    progress(node_event("node_finished", "a", "measure"))  # a done after 10 s: 2 left, 20 s
    clock.now = 120.0
    progress(node_event("node_failed", "b", "load"))
    progress(node_event("node_skipped", "b", "measure"))  # b done (failed): 10 s per image
    clock.now = 126.0
    progress(node_event("node_cached", "c", "load"))
    progress(node_event("node_progress", "c", "measure"))  # not an end: nothing more
    progress(node_event("node_cached", "c", "measure"))
    batch = [e for e in seen if e.kind == "batch_progress"]
    assert [(e.item, e.detail) for e in batch] == [
        (None, {"done": 0, "total": 3, "failed": 0, "eta_s": None, "elapsed_s": 0.0}),
        ("a", {"done": 1, "total": 3, "failed": 0, "eta_s": 20.0, "elapsed_s": 10.0}),
        ("b", {"done": 2, "total": 3, "failed": 1, "eta_s": 10.0, "elapsed_s": 20.0}),
        ("c", {"done": 3, "total": 3, "failed": 1, "eta_s": 0.0, "elapsed_s": 26.0}),
    ]
    # Every event passes through, each image's progress right after its last node.
    assert [e.kind for e in seen].count("node_finished") == 2
    assert seen.index(batch[1]) == 4  # run_started, progress 0, two nodes of a, then a done
    assert "batch_progress" in EVENT_KINDS


def test_progress_words() -> None:
    assert batch_words({"done": 2, "total": 5, "failed": 1, "eta_s": 185.4}) == (
        "2/5 done, 1 failed, about 3 min 05 s left")
    assert batch_words({"done": 0, "total": 5, "failed": 0, "eta_s": None}) == "0/5 done"
    assert batch_words({"done": 5, "total": 5, "failed": 0, "eta_s": 0.0}) == "5/5 done"
    assert batch_words({"done": 1, "total": 9, "failed": 0, "eta_s": 7300}, counts=False) == (
        "about 2 h 01 min left")


def test_plain_lines_show_images_done() -> None:
    text = io.StringIO()
    lines = PlainLines(Console(file=text, width=200))
    lines(RunEvent("batch_progress", "r1", detail={"done": 0, "total": 2, "failed": 0,
                                                   "eta_s": None}))  # the start: no line
    lines(RunEvent("batch_progress", "r1", item="a", detail={"done": 1, "total": 2,
                                                             "failed": 0, "eta_s": 4.0}))
    assert text.getvalue().endswith("] images: 1/2 done, about 4 s left\n")


def test_a_batch_run_reports_its_images(make_analysis, tmp_path: Path, image_file: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{name}.ome.tif").write_bytes(image_file.read_bytes())
    events: list[RunEvent] = []
    result = make_analysis(CHAIN).run(batch=str(tmp_path / "in" / "*.ome.tif"),
                                      out=tmp_path / "out", on_event=events.append)
    assert result.ok
    batch = [e for e in events if e.kind == "batch_progress"]
    assert [(e.detail["done"], e.detail["total"], e.detail["failed"]) for e in batch] == [
        (0, 2, 0), (1, 2, 0), (2, 2, 0)]
    assert sorted(e.item for e in batch[1:]) == ["one", "two"]
    assert events[-1].kind == "run_finished"
    assert "pooled" not in result.record  # nothing to pool: no measure summary, no histogram
    single = make_analysis(CHAIN).run(out=tmp_path / "single", on_event=events.append)
    assert single.ok and events.count(batch[0]) == 1  # a single run has no batch progress


def test_progress_bars_have_an_images_bar_with_the_time_left() -> None:
    text = io.StringIO()
    bars = ProgressBars(Console(file=text, width=120, force_terminal=True), ["load"], items=3)
    bars(RunEvent("batch_progress", "r1", item="a", detail={"done": 1, "total": 3, "failed": 1,
                                                            "eta_s": 65.0}))
    assert bars.images is not None
    task = bars.progress.tasks[bars.images]
    assert (task.description, task.completed, task.fields["state"]) == (
        "images", 1, "1 failed, about 1 min 05 s left")
    bars.close()
    assert "1 failed, about 1 min 05 s left" in text.getvalue()
    single = ProgressBars(Console(file=io.StringIO(), force_terminal=True), ["load"], items=1)
    assert single.images is None  # one image: the node bars say it all
    single.close()
