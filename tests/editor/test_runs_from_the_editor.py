"""Previews and runs from the editor window: real runs in a warm session, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.events import RunEvent
from tests.editor.test_window import REPO

EXAMPLE = REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml"
PARTICLES = REPO / "examples" / "data" / "particles.tif"
RUN_S = 240_000  # ms: the whole example, cold, on a busy 2-core machine


def collect(window) -> list[tuple[str, RunEvent]]:  # type: ignore[no-untyped-def]
    events: list[tuple[str, RunEvent]] = []
    window.controller.run_event.connect(lambda kind, event: events.append((kind, event)))
    return events


def ran(events: list[tuple[str, RunEvent]], start: int = 0) -> dict[str, str]:
    """Node -> how it ended, from the preview events after ``start``."""
    ends = {"node_finished": "ran", "node_cached": "cached", "node_failed": "failed"}
    return {e.node: ends[e.kind] for kind, e in events[start:]
            if kind == "preview" and e.kind in ends and e.node}


@pytest.mark.slow
def test_preview_reruns_only_the_changed_step(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    events = collect(window)
    window.inputs.set_path(PARTICLES)
    shown = []
    window.preview.ready.connect(shown.append)
    window.canvas.select(["segment"])  # selecting a step previews it
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=RUN_S)
    assert ran(events) == {"load": "ran", "segment": "ran"}
    assert shown[0].node == "segment" and shown[0].files["mask"][0].is_file()
    assert shown[0].background is not None  # the mask is drawn over the loaded image
    first = len(events)
    window.model.set_param("segment", "method", "otsu")
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=RUN_S)
    assert ran(events, first) == {"load": "cached", "segment": "ran"}
    viewer = window.outputs.viewer
    assert type(viewer).__name__ == "ImageViewer"


@pytest.mark.slow
def test_a_newer_change_cancels_the_preview_still_running(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    events = collect(window)
    window.inputs.set_path(PARTICLES)
    shown = []
    window.preview.ready.connect(shown.append)
    window.preview.view("separate")
    qtbot.waitUntil(lambda: any(e.kind == "node_started" and e.node == "segment"
                                for _, e in events), timeout=RUN_S)
    window.model.set_param("segment", "method", "otsu")  # the preview starts again after the debounce
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=RUN_S)
    finished = [e for _, e in events if e.kind == "run_finished"]
    assert [e.message for e in finished] == ["cancelled", "succeeded"]
    assert shown[0].node == "separate"


@pytest.mark.slow
def test_running_the_example_colours_every_step_and_shows_its_outputs(make_window, qtbot,
                                                                     tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    events = collect(window)
    window.runs.out_dir = tmp_path / "results"
    done = []
    window.controller.finished.connect(lambda kind, result, error: done.append((kind, result, error)))
    window.canvas.select(["overlay"])
    window.controller.cancel("preview")
    assert window.runs.start()
    assert not window.runs.run.isEnabled() and window.runs.cancel.isEnabled()
    qtbot.waitUntil(lambda: any(kind == "run" for kind, *_ in done), timeout=RUN_S)
    (_, result, error) = next(d for d in done if d[0] == "run")
    assert error is None and result.status == "succeeded"
    states = window.runs.states
    assert states == dict.fromkeys(window.model.node_ids(), "done")
    seen = [(e.node, e.kind) for k, e in events
            if k == "run" and e.node == "segment" and e.kind != "node_progress"]
    assert seen == [("segment", "node_queued"), ("segment", "node_started"), ("segment", "node_finished")]
    assert (tmp_path / "results" / "sizes.csv").is_file()
    assert result.record["status"] == "succeeded"
    assert window.runs.show_result("measure")
    assert type(window.outputs.viewer).__name__ == "TableViewer"
    assert window.runs.show_result("separate")
    assert type(window.outputs.viewer).__name__ == "ImageViewer"
    assert window.runs.run.isEnabled()


@pytest.mark.slow
def test_cancel_stops_the_run_and_the_record_says_so(make_window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    events = collect(window)
    window.runs.out_dir = tmp_path / "results"
    done = []
    window.controller.finished.connect(lambda kind, result, error: done.append((kind, result)))
    assert window.runs.start()
    qtbot.waitUntil(lambda: any(k == "run" and e.kind == "node_started" and e.node == "separate"
                                for k, e in events), timeout=RUN_S)
    window.runs.cancel.trigger()
    qtbot.waitUntil(lambda: any(kind == "run" for kind, _ in done), timeout=RUN_S)
    result = next(r for kind, r in done if kind == "run")
    assert result.status == "cancelled"
    assert window.runs.states["separate"] == "cancelled"
    assert not (tmp_path / "results" / "sizes.csv").exists()  # the results folder stays as it was
    assert "cancelled" in window.log.toPlainText()


def test_a_run_with_problems_does_not_start_and_says_why(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.canvas.add_module("lamella/watershed@1", (0, 0))  # its mask input is not wired
    assert not window.runs.start()
    assert "problems" in window.statusBar().currentMessage()
    assert window.runs.run.isEnabled()  # nothing is running


@pytest.mark.slow
def test_a_folder_runs_as_a_batch_with_progress_and_pooled_results(make_window, qtbot,
                                                                  tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "images"
    folder.mkdir()
    for name in ("a.tif", "b.tif"):
        (folder / name).write_bytes(PARTICLES.read_bytes())
    window = make_window(EXAMPLE)
    events = collect(window)
    window.runs.out_dir = tmp_path / "results"
    done = []
    window.controller.finished.connect(lambda kind, result, error: done.append((kind, result)))
    window.inputs.set_path(folder)
    assert window.inputs.is_folder and window.inputs.preview_path() == folder / "a.tif"
    window.controller.cancel("preview")
    assert window.runs.start()
    qtbot.waitUntil(lambda: any(kind == "run" for kind, _ in done), timeout=RUN_S)
    result = next(r for kind, r in done if kind == "run")
    assert result.status == "succeeded" and result.batch
    progress = [e.detail["done"] for k, e in events if k == "run" and e.kind == "batch_progress"]
    assert progress == [0, 1, 2]
    assert window.runs.pooled.isEnabled()
    assert window.runs.show_pooled()
    assert set(window.outputs.shown.files) == set(result.pooled)
    assert (tmp_path / "results" / "summary-pooled.csv").is_file()


@pytest.mark.parametrize("mode", ["segfault", "raise"])
def test_a_module_crashing_in_a_preview_leaves_the_window_working(  # type: ignore[no-untyped-def]
        make_window, qtbot, tmp_path: Path, fixture_modules: Path, mode: str) -> None:
    path = tmp_path / "crash.yaml"
    path.write_text("lamella: 1\nname: crash\nnodes:\n  make: {module: test/gen@1}\n"
                    f"  boom: {{module: test/crash@1, params: {{mode: {mode}}}, "
                    "in: {image: make.image}}\n")
    window = make_window(path, modules=(fixture_modules,))
    failures = []
    window.preview.failed.connect(lambda node, error: failures.append((node, error)))
    window.canvas.select(["boom"])
    qtbot.waitUntil(lambda: bool(failures), timeout=RUN_S)
    node, error = failures[0]
    assert node == "boom" and error.startswith("boom: ")
    expected = "SIGSEGV" if mode == "segfault" else "ValueError"
    assert expected in error
    assert expected in window.outputs.title.text()
    # The session survived: the next preview runs.
    shown = []
    window.preview.ready.connect(shown.append)
    window.canvas.select(["make"])
    qtbot.waitUntil(lambda: bool(shown), timeout=RUN_S)
    assert shown[0].node == "make"


@pytest.mark.slow
def test_the_example_can_be_built_from_nothing_in_the_editor_and_runs_headless(  # type: ignore[no-untyped-def]
        make_window, qtbot, tmp_path: Path) -> None:
    from tests.editor.test_window import _wire_gesture

    window = make_window()
    window.edits.add_image_input()
    steps = {"load": "lamella/load-image@1", "segment": "lamella/threshold@1",
             "separate": "lamella/watershed@1", "measure": "lamella/measure@1",
             "histogram": "lamella/histogram@1"}
    for x, (name, ref) in enumerate(steps.items()):
        made = window.canvas.add_module(ref, (220.0 * x, 0.0))
        window.model.rename_node(made, name)
    for wire in [("$inputs.image", "image", "load", "path"), ("load", "image", "segment", "image"),
                 ("segment", "mask", "separate", "mask"), ("load", "image", "separate", "image"),
                 ("separate", "labels", "measure", "labels"), ("load", "image", "measure", "image"),
                 ("measure", "table", "histogram", "table")]:
        _wire_gesture(window, *wire)
    window.properties.param_changed.emit("segment", "method", "otsu")
    window.properties.param_changed.emit("histogram", "column", "ecd")
    assert window.model.problems() == []
    window.model.set_output("sizes", "measure.table")
    window.inputs.set_path(PARTICLES)
    path = tmp_path / "built.yaml"
    assert window.files._save(path)
    done = []
    window.controller.finished.connect(lambda kind, result, error: done.append((kind, result)))
    window.runs.out_dir = tmp_path / "from-editor"
    window.controller.cancel("preview")
    assert window.runs.start()
    qtbot.waitUntil(lambda: any(kind == "run" for kind, _ in done), timeout=RUN_S)
    from_editor = next(r for kind, r in done if kind == "run")
    assert from_editor.status == "succeeded"
    # The saved file runs headless to the same table.
    from lamella.runner import Analysis

    headless = Analysis.load(path).run(inputs={"image": PARTICLES}, out=tmp_path / "headless")
    assert headless.ok
    assert headless.table("sizes").equals(from_editor.table("sizes"))
    assert len(headless.table("sizes")) > 100
