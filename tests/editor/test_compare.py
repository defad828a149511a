"""Compare values: the values proposed, one real sweep shown as a grid, picking one, cancel."""

from __future__ import annotations

import pytest

from lamella.core.manifest import load_manifest
from lamella.editor._compare import CompareDialog, open_compare
from lamella.editor._compare_results import Cell
from lamella.editor._compare_values import parse_values, propose_values
from tests.editor.test_runs_from_the_editor import EXAMPLE, PARTICLES, RUN_S
from tests.editor.test_window import REPO

THRESHOLD = load_manifest(REPO / "modules" / "threshold" / "module.json").parameters
WATERSHED = load_manifest(REPO / "modules" / "watershed" / "module.json").parameters


# ----- the values proposed ---------------------------------------------------------------------
def test_numbers_are_half_the_same_and_one_and_a_half_times_inside_the_range() -> None:
    assert propose_values(WATERSHED["core_depth"], 0.05) == [0.025, 0.05, 0.075]
    assert propose_values(THRESHOLD["k"], 0.8) == [0.4, 0.8, 1.0]  # 1.2 is above the max of 1
    assert propose_values(THRESHOLD["level"], 0.123456) == [0.0617, 0.123, 0.185]
    assert propose_values(WATERSHED["distance_weight"], 2) == [1.0, 2.0, 3.0]
    assert propose_values(THRESHOLD["k"], None) == [0.1, 0.2, 0.3]  # not set: the default's


def test_whole_numbers_round_halves_up_and_stay_in_range_without_repeats() -> None:
    assert propose_values(THRESHOLD["window_size"], 15) == [8, 15, 23]
    assert propose_values(THRESHOLD["classes"], 3) == [2, 3, 5]  # 1.5 -> 2, 4.5 -> 5
    assert propose_values(THRESHOLD["classes"], 2) == [2, 3]  # 1 is below the min of 2
    assert all(type(v) is int for v in propose_values(THRESHOLD["window_size"], 15))


def test_zero_has_no_scale_so_the_values_step_up_from_it() -> None:
    assert propose_values(WATERSHED["distance_weight"], 0.0) == [0.0, 1.0, 2.0]
    assert propose_values(WATERSHED["core_depth"], 0.0) == [0.0, 0.5, 1.0]  # max 1: half-steps
    assert propose_values(WATERSHED["smooth"], "0 px") == ["0 px", "1 px", "2 px"]


def test_sizes_keep_their_unit() -> None:
    assert propose_values(WATERSHED["smooth"], "8 nm") == ["4 nm", "8 nm", "12 nm"]
    assert propose_values(THRESHOLD["min_area"], "126 px^2") == ["63 px^2", "126 px^2", "189 px^2"]
    assert propose_values(WATERSHED["smooth"], "0.02 um") == ["0.01 um", "0.02 um", "0.03 um"]


def test_auto_is_kept_and_scaled_from_the_value_it_chose() -> None:
    spec = THRESHOLD["smooth"]
    assert propose_values(spec, "auto", resolved="2.29 px") == ["auto", "1.15 px", "3.44 px"]
    assert propose_values(THRESHOLD["min_area"], "auto", resolved="46.5 px^2") == [
        "auto", "23.2 px^2", "69.8 px^2"]


def test_choices_are_all_offered_up_to_six_with_the_current_one_always_in() -> None:
    assert propose_values(THRESHOLD["method"], "li") == [
        "otsu", "li", "triangle", "yen", "multi-otsu", "sauvola"]
    assert propose_values(THRESHOLD["method"], "manual") == [
        "otsu", "li", "triangle", "yen", "multi-otsu", "manual"]
    assert propose_values(THRESHOLD["connectivity"], 8) == [4, 8]


def test_the_edited_list_is_read_in_the_parameter_s_types() -> None:
    assert parse_values(THRESHOLD["method"], " li, otsu,, li ", name="method") == ["li", "otsu"]
    assert parse_values(THRESHOLD["connectivity"], "4, 8", name="connectivity") == [4, 8]
    assert parse_values(WATERSHED["smooth"], "8nm, 2", name="smooth") == ["8 nm", "2 px"]
    assert parse_values(THRESHOLD["smooth"], "auto, 3 px", name="smooth") == ["auto", "3 px"]
    with pytest.raises(ValueError, match=r"^smooth: "):
        parse_values(WATERSHED["smooth"], "auto", name="smooth")  # this one has no 'auto'


def test_a_wrong_value_in_the_list_is_one_line_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match=r"^classes: must be between 2 and 5, got 7$"):
        parse_values(THRESHOLD["classes"], "3, 7", name="classes")
    with pytest.raises(ValueError, match=r"^method: 'lee' is not one of"):
        parse_values(THRESHOLD["method"], "li, lee", name="method")
    with pytest.raises(ValueError, match=r"^level: must be a number, got 'x'$"):
        parse_values(THRESHOLD["level"], "0.5, x", name="level")
    with pytest.raises(ValueError, match="type the values"):
        parse_values(THRESHOLD["level"], " , ", name="level")


def test_a_caption_names_the_value_and_what_was_measured() -> None:
    assert Cell("li", None, 485, 69.61, "nm").caption() == "li — 485 objects, mean ECD 69.6 nm"
    assert Cell("8 nm", None).caption() == "8 nm"  # nothing measures the node's output
    assert Cell(True, None, 1, None).caption() == "true — 1 object"


# ----- real runs --------------------------------------------------------------------------------
def _dialog(window, node: str, param: str, values: str) -> CompareDialog:  # type: ignore[no-untyped-def]
    """A dialog comparing ``values`` (not the proposed ones: fewer points, a quicker run)."""
    dialog = CompareDialog(window, node, param)
    dialog.show()
    dialog.values_field.setText(values)
    dialog.compare()
    return dialog


@pytest.mark.slow
def test_a_sweep_of_the_threshold_method_shows_one_cell_per_value(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    window.inputs.set_path(PARTICLES)
    dialog = _dialog(window, "segment", "method", "li, otsu")
    assert dialog.objectName() == "compare-values" and not dialog.isModal()
    assert dialog.measure == "measure"  # measured through separate and edge
    assert not window.preview.enabled  # a live preview would cancel the sweep
    qtbot.waitUntil(lambda: not dialog.running, timeout=RUN_S)
    assert dialog.message() == "" and dialog.run_result is not None
    assert dialog.run_result.status == "succeeded"
    assert dialog.grid.values() == ["li", "otsu"]
    table = dialog.run_result.comparison().set_index("segment.method")  # the runner's own numbers
    counts = {value: int(table.loc[value, "count"]) for value in ("li", "otsu")}
    assert all(count > 0 for count in counts.values())
    assert counts["li"] != counts["otsu"]  # Li's lower level merges particles Otsu keeps apart
    for cell in dialog.grid.cells:
        assert cell.cell.count == counts[cell.cell.value]
        assert cell.cell.mean == pytest.approx(table.loc[cell.cell.value, "mean_ecd_nm"])
        assert cell.caption.text().startswith(f"{cell.cell.value} — {counts[cell.cell.value]} objects, "
                                              "mean ECD ")
        assert type(cell.viewer).__name__ == "ImageViewer"
        assert cell.viewer.display.kind == "mask" and cell.viewer.display.image is not None
        assert not cell.viewer.rendered_image().isNull()
    assert [cell.current for cell in dialog.grid.cells] == [True, False]  # the workflow has li
    assert window.preview.enabled


@pytest.mark.slow
def test_using_a_value_sets_the_parameter_in_one_undo_step(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    dialog = _dialog(window, "separate", "core_depth", "0.02, 0.1")
    qtbot.waitUntil(lambda: not dialog.running, timeout=RUN_S)
    assert dialog.message() == "", dialog.message()
    by_value = {cell.cell.value: cell for cell in dialog.grid.cells}
    assert set(by_value) == {0.02, 0.1}
    assert all(isinstance(cell.cell.count, int) and cell.cell.count > 0 for cell in by_value.values())
    assert by_value[0.02].cell.count != by_value[0.1].cell.count  # deeper cores: fewer seeds
    by_value[0.1].use.click()
    assert window.model.params("separate")["core_depth"] == 0.1
    assert not dialog.isVisible()
    window.model.undo()
    assert "core_depth" not in window.model.params("separate")  # back to the module's default


@pytest.mark.slow
def test_auto_is_compared_with_values_around_what_it_chose(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    dialog = open_compare(window, "segment", "smooth")  # 'auto' in the example
    qtbot.waitUntil(lambda: not dialog.running and dialog.run_result is not None, timeout=RUN_S)
    probe = next(j for j in dialog.run_result.jobs if j.node.id == "segment"
                 and j.item.name == dialog.run_result.sweep.points[0].folder)
    chosen = probe.resolved["smooth"]  # what 'auto' chose on this image, e.g. '2.29 px'
    assert dialog.values == propose_values(THRESHOLD["smooth"], "auto", resolved=chosen)
    assert dialog.values[0] == "auto" and len(dialog.grid.cells) == 3
    assert open_compare(window, "segment", "smooth") is dialog  # one dialog per parameter


@pytest.mark.slow
def test_closing_the_dialog_cancels_its_run(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    events, done = [], []
    window.controller.run_event.connect(lambda kind, event: events.append(event))
    window.controller.finished.connect(lambda kind, result, error: done.append((kind, result, error)))
    dialog = _dialog(window, "segment", "method", "li, otsu, yen")
    qtbot.waitUntil(lambda: any(e.kind == "node_started" and e.node == "separate" for e in events),
                    timeout=RUN_S)
    assert dialog.running and dialog.progress.isVisible()
    dialog.close()
    qtbot.waitUntil(lambda: bool(done), timeout=RUN_S)
    kind, result, error = done[0]
    assert (kind, error) == ("preview", None)
    assert result.status == "cancelled" and result.sweep is not None
    assert window.preview.enabled  # the live preview is back


def test_try_values_on_a_field_asks_for_that_node_and_parameter(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    window.canvas.select(["segment"])
    asked = []
    window.properties.try_values.connect(lambda node, name: asked.append((node, name)))
    row = window.properties.field_row("method")
    assert row is not None and row.try_button is not None
    assert window.properties.field_row("invert").try_button is None  # a switch: nothing to compare
    row.try_button.click()
    assert asked == [("segment", "method")]
    dialog = window.findChild(CompareDialog, "compare-values")
    assert dialog is not None and dialog.isVisible()
    assert dialog.values_field.text() == "otsu, li, triangle, yen, multi-otsu, sauvola"


@pytest.mark.slow
def test_a_second_comparison_stops_the_first_and_the_preview_comes_back(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    first = _dialog(window, "segment", "method", "li, otsu")
    second = _dialog(window, "separate", "core_depth", "0.02, 0.1")
    assert not first.running and first.message() == "stopped: separate.core_depth is being compared"
    assert second.running and not window.preview.enabled
    qtbot.waitUntil(lambda: not second.running, timeout=RUN_S)
    assert second.message() == "" and len(second.grid.cells) == 2
    assert window.preview.enabled and first.grid.cells == []


def test_a_workflow_with_problems_or_a_removed_step_is_said_in_one_line(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    dialog = CompareDialog(window, "separate", "core_depth")
    assert dialog.values_field.text() == "0.025, 0.05, 0.075"  # the module's default, 0.05
    window.model.remove_nodes(["segment"])  # separate's mask is no longer wired
    dialog.compare()
    assert not dialog.running
    assert dialog.message() == "The workflow has problems (see Problems); fix them to compare values."
    window.model.remove_nodes(["separate"])
    dialog.use_value(0.1)
    assert dialog.message() == "separate is no longer in the workflow."
    dialog.close()
